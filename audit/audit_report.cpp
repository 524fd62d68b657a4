#include "audit/audit_report.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <bit>
#include <cmath>

#include "audit/audit_engine.hpp"
#include "core/json_numbers.hpp"

namespace ropecheck::audit {
namespace {

// Errors of exactly zero are drawn at this floor on the log axis (the table shows them as 0).
constexpr double kPlotFloor = 1e-18;

std::string band_label(const AuditOptions& o, std::size_t band) {
  return fmt::format("[{},{}{}", format_position(o.band_edges[band]),
                     format_position(o.band_edges[band + 1]),
                     band + 2 == o.band_edges.size() ? "]" : ")");
}

std::string error_cell(const CellStats& c) {
  if (c.outputs == 0) return "-";
  if (std::isinf(c.max_abs_err.error))
    return fmt::format("NaN/inf @{}", format_position(c.max_abs_err.position));
  return fmt::format("{:.1e} @{}", c.max_abs_err.error, format_position(c.max_abs_err.position));
}

// Text for a single-quoted gnuplot string: quotes doubled, and only printable ASCII other than
// the backquote and '@' (gnuplot's command and macro substitution) kept; the rest shows as '?'.
std::string gnuplot_text(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\'')
      out += "''";
    else if (c < 0x20 || c > 0x7e || c == '`' || c == '@')
      out += '?';
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string format_position(std::int64_t p) {
  if (p >= 1024) {
    for (int k = 10; k <= 53; ++k) {
      const std::int64_t power = std::int64_t{1} << k;
      for (int c = -2; c <= 2; ++c)
        if (p == power + c) return c == 0 ? fmt::format("2^{}", k) : fmt::format("2^{}{:+d}", k, c);
    }
  }
  return std::to_string(p);
}

std::string text_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)
      line += fmt::format("{:<{}}", row[c], width[c] + (c + 1 < row.size() ? 2 : 0));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string report_table(const AuditOptions& o, const AuditResult& r) {
  std::string out = fmt::format(
      "ropecheck audit: {} ({} positions from {} to {}, {} head(s) each, seed {})\n"
      "Worst |y - exact| per position band, inputs uniform in [-1, 1], with the position of the "
      "worst input.\n\n",
      o.config_label, o.positions.size(), format_position(o.positions.front()),
      format_position(o.positions.back()), o.heads, o.seed);
  std::size_t name_width = 4;
  for (const auto& name : o.impls) name_width = std::max(name_width, name.size());
  std::vector<std::size_t> bands;
  for (std::size_t b = 0; b + 1 < o.band_edges.size(); ++b) {
    bool used = false;
    for (std::size_t k = 0; k < o.impls.size(); ++k) used |= r.cells[k][b].outputs > 0;
    if (used) bands.push_back(b);
  }
  std::vector<std::string> header = {"impl"};
  for (std::size_t b : bands) header.push_back(band_label(o, b));
  for (double t : o.thresholds) header.push_back(fmt::format("safe<={:g}", t));

  std::vector<std::vector<std::string>> rows = {header};
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    std::vector<std::string> row = {o.impls[k]};
    for (std::size_t b : bands) row.push_back(error_cell(r.cells[k][b]));
    for (std::size_t t = 0; t < o.thresholds.size(); ++t) {
      const auto safe = safe_position(o, r.first_failure[k][t]);
      row.push_back(!safe                    ? "none"
                    : !r.first_failure[k][t] ? ">=" + format_position(*safe)
                                             : format_position(*safe));
    }
    rows.push_back(std::move(row));
  }
  out += text_table(rows);
  out +=
      "\nsafe<=T: the largest audited position up to which every audited position stays within "
      "T\n(>= means the threshold was never exceeded).\n";
  const ReferenceWork& w = r.work;
  out += fmt::format(
      "reference: {} exact pair outputs, {} by MPFR where the fast path could not evaluate them, "
      "{} redone by MPFR near a threshold; {} exact scores, {} by MPFR.\n",
      w.pairs, w.exact_mpfr, w.refined, w.scores, w.scores_mpfr);
  return out;
}

std::string report_csv_header() {
  return "impl,band_lo,band_hi,outputs,max_abs_err,mean_abs_err,max_err_ulp_norm,"
         "mean_err_ulp_norm,correctly_rounded,worst_position,worst_channel,worst_x_a,worst_x_b,"
         "worst_got,worst_expected,max_score_err,max_invariance_drift,max_norm_drift";
}

std::string report_csv_row(const std::string& impl, std::int64_t band_lo, std::int64_t band_hi,
                           const CellStats& c, bool drift_measured) {
  const double n = static_cast<double>(c.outputs);
  const Worst& w = c.max_abs_err;
  // Not measured: an empty cell, never a 0 that would read as "no error".
  auto drift = [drift_measured](double v) {
    return drift_measured ? fmt::format("{:.6e}", v) : std::string();
  };
  return fmt::format(
      "{},{},{},{},{:.6e},{:.6e},{:.6e},{:.6e},{:.6f},{},{},{},{},{},{},{},{},{}", impl, band_lo,
      band_hi, c.outputs, w.error, c.sum_abs_err / n, c.max_err_ulp_norm.error,
      c.sum_err_ulp_norm / n, static_cast<double>(c.correctly_rounded) / n, w.position, w.channel,
      hex_float(w.x_a), hex_float(w.x_b), hex_float(w.got), hex_float(w.expected),
      drift(c.max_score_err), drift(c.max_invariance_drift), drift(c.max_norm_drift));
}

std::string report_csv(const AuditOptions& o, const AuditResult& r) {
  std::string out = report_csv_header() + "\n";
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    for (std::size_t b = 0; b + 1 < o.band_edges.size(); ++b) {
      const CellStats& c = r.cells[k][b];
      if (c.outputs == 0) continue;
      out += report_csv_row(o.impls[k], o.band_edges[b], o.band_edges[b + 1], c, true) + "\n";
    }
  }
  return out;
}

std::string plot_data(const std::vector<PlotSeries>& series) {
  std::string out = "# bucket_start_position";
  // One word per column: spaces in a name become underscores.
  for (const PlotSeries& one : series) {
    std::string word = one.name;
    std::replace(word.begin(), word.end(), ' ', '_');
    out += " " + word;
  }
  out += "\n";
  for (int b = 1; b < kBucketCount; ++b) {
    bool any = false;
    for (const PlotSeries& one : series) any |= one.bucket_max.at(static_cast<std::size_t>(b)) >= 0;
    if (!any) continue;
    std::string line = fmt::format("{:.6g}", std::max(1.0, bucket_start(b)));
    for (const PlotSeries& one : series) {
      const double v = one.bucket_max[static_cast<std::size_t>(b)];
      // Infinite errors (NaN outputs) leave the plot: gnuplot skips "NaN" points.
      line += v < 0 || std::isinf(v) ? " NaN" : fmt::format(" {:.6e}", std::max(v, kPlotFloor));
    }
    out += line + "\n";
  }
  return out;
}

std::string plot_data(const AuditOptions& o, const AuditResult& r) {
  std::vector<PlotSeries> series;
  for (std::size_t k = 0; k < o.impls.size(); ++k) series.push_back({o.impls[k], r.bucket_max[k]});
  return plot_data(series);
}

std::string plot_script(const PlotLayout& layout, const std::vector<std::string>& names,
                        const std::string& data, const std::string& png, const std::string& svg) {
  // Ten colours that stay apart (Tableau 10), then dash types once they repeat.
  static const char* kColours[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#000000"};
  std::string plots;
  for (std::size_t k = 0; k < names.size(); ++k)
    plots += fmt::format(
        "{}'{}' using 1:{} with linespoints pt 7 ps 0.4 lw 1.5 lc rgb '{}' dt {} title '{}'",
        k ? ", \\\n     " : "", data, k + 2, kColours[k % 10], 1 + k / 10, gnuplot_text(names[k]));
  std::string thresholds;
  for (double t : layout.thresholds)
    thresholds += fmt::format(
        "set arrow from graph 0, first {0:g} to graph 1, first {0:g} nohead "
        "dt 2 lc rgb 'gray40'\nset label 'error {0:g}' at graph 0.01, first "
        "{1:g} tc rgb 'gray40'\n",
        t, t * 1.5);
  const std::string body = fmt::format(
      "set logscale x 2\nset logscale y 10\nset format x '2^{{%L}}'\nset format y '10^{{%L}}'\n"
      "set xtics 16\nset xlabel 'position m'\n"
      "set ylabel '{}; 0 drawn at {:g}'\n"
      "set title '{}' noenhanced\nset key outside right top noenhanced\n"
      "set grid\nset xrange [1:*]\nset yrange [{:g}:10]\n{}",
      gnuplot_text(layout.ylabel), kPlotFloor, gnuplot_text(layout.title), kPlotFloor / 2,
      thresholds);
  return fmt::format(
      "# ropecheck error plot; regenerate with: gnuplot {}.gp\n"
      "set terminal pngcairo size 1400,800 font ',11'\nset output '{}'\n{}plot {}\n"
      "set terminal svg size 1400,800 dynamic\nset output '{}'\nreplot\n",
      png.substr(0, png.size() - 4), png, body, plots, svg);
}

std::string plot_script(const AuditOptions& o, const std::string& data, const std::string& png,
                        const std::string& svg) {
  return plot_script(
      {"ropecheck audit: " + o.config_label, "max |y - exact| (inputs in [-1, 1])", o.thresholds},
      o.impls, data, png, svg);
}

}  // namespace ropecheck::audit
