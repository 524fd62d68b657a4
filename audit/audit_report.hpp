// Human-facing forms of an audit: the terminal table, CSV, and the gnuplot error plot.
#pragma once

#include <string>
#include <vector>

#include "audit/audit_types.hpp"

namespace ropecheck::audit {

// A table laid out like Zimmermann's libm accuracy tables: rows = implementations, columns =
// position bands, cells = worst absolute error and the position where it occurred; then the
// "safe up to" positions per threshold.
std::string report_table(const AuditOptions& options, const AuditResult& result);

// One row per implementation and band, every metric, the worst input in hex.
std::string report_csv(const AuditOptions& options, const AuditResult& result);

// The CSV's header line and one row (no newline), for writers that add columns of their own
// (`grade`): with drift_measured false the score, invariance and norm drift cells are empty.
std::string report_csv_header();
std::string report_csv_row(const std::string& impl, std::int64_t band_lo, std::int64_t band_hi,
                           const CellStats& cell, bool drift_measured);

// Plot data (one column per implementation: max abs error per position bucket) and the
// gnuplot script that draws it on log-log axes with the thresholds, to PNG and SVG.
std::string plot_data(const AuditOptions& options, const AuditResult& result);
std::string plot_script(const AuditOptions& options, const std::string& data_file,
                        const std::string& png_file, const std::string& svg_file);

// One curve of an error-against-position plot: per plot bucket (bucket_of), the largest error,
// -1 where the bucket holds no position.
struct PlotSeries {
  std::string name;
  std::vector<double> bucket_max;
};

// What the axes and title of an error-against-position plot say, and its threshold lines.
struct PlotLayout {
  std::string title;   // shown as is (no gnuplot markup)
  std::string ylabel;  // what the curves measure
  std::vector<double> thresholds;
};

// The same plot for any set of curves (the audit's above, `grade`'s pair-norm error): data with
// one column per series, and the log-log gnuplot script that draws it to PNG and SVG.
std::string plot_data(const std::vector<PlotSeries>& series);
std::string plot_script(const PlotLayout& layout, const std::vector<std::string>& names,
                        const std::string& data_file, const std::string& png_file,
                        const std::string& svg_file);

// Rows of cells laid out in left-aligned columns two spaces apart, trailing spaces trimmed.
std::string text_table(const std::vector<std::vector<std::string>>& rows);

// "2^20", "2^31-1" or the plain number, whichever is shorter to read.
std::string format_position(std::int64_t position);

}  // namespace ropecheck::audit
