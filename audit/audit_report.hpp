// Human-facing forms of an audit: the terminal table, CSV, and the gnuplot error plot.
#pragma once

#include <string>

#include "audit/audit_types.hpp"

namespace ropecheck::audit {

// A table laid out like Zimmermann's libm accuracy tables: rows = implementations, columns =
// position bands, cells = worst absolute error and the position where it occurred; then the
// "safe up to" positions per threshold.
std::string report_table(const AuditOptions& options, const AuditResult& result);

// One row per implementation and band, every metric, the worst input in hex.
std::string report_csv(const AuditOptions& options, const AuditResult& result);

// Plot data (one column per implementation: max abs error per position bucket) and the
// gnuplot script that draws it on log-log axes with the thresholds, to PNG and SVG.
std::string plot_data(const AuditOptions& options, const AuditResult& result);
std::string plot_script(const AuditOptions& options, const std::string& data_file,
                        const std::string& png_file, const std::string& svg_file);

// "2^20", "2^31-1" or the plain number, whichever is shorter to read.
std::string format_position(std::int64_t position);

}  // namespace ropecheck::audit
