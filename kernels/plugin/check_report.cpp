#include "kernels/plugin/check_report.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "audit/audit_report.hpp"

namespace ropecheck::kernels {
namespace {

std::string number(double v) {
  if (v == 0) return "0";
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.3g}", v);
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters; keep tab and newline.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

// Indents every line after the first.
std::string indent_lines(const std::string& text, const std::string& prefix) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

std::string shorten(const std::string& text, std::size_t width) {
  return text.size() <= width ? text : text.substr(0, width - 3) + "...";
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string margin_text(const std::optional<double>& margin) {
  return margin ? number(*margin) : "-";
}

// One property over every configuration a subject ran: its worst margin and where.
struct PropertyMargin {
  std::string property;
  std::optional<double> margin;
  const properties::Finding* worst = nullptr;  // the finding with the largest margin
  int cases = 0;
  std::size_t configs = 0;
  std::size_t failed = 0;
};

std::vector<PropertyMargin> property_margins(const SubjectOutcome& s) {
  std::vector<PropertyMargin> out;
  for (const ConfigOutcome& c : s.configs) {
    if (!c.skipped.empty()) continue;
    for (const properties::Finding& f : c.findings) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const PropertyMargin& m) { return m.property == f.property; });
      if (it == out.end()) it = out.insert(out.end(), PropertyMargin{f.property, {}, nullptr});
      it->cases += f.cases;
      it->configs += 1;
      it->failed += f.passed ? 0 : 1;
      const std::optional<double> margin = finding_margin(f);
      if (margin && (!it->margin || *margin > *it->margin)) it->margin = margin, it->worst = &f;
    }
  }
  return out;
}

std::string margins_table(const SubjectOutcome& s) {
  const std::vector<PropertyMargin> margins = property_margins(s);
  if (margins.empty()) return "";
  std::vector<std::vector<std::string>> rows = {
      {"property", "configs", "cases", "margin", "measured", "bound", "at config", "position"}};
  for (const PropertyMargin& m : margins) {
    const properties::Finding* w = m.worst;
    rows.push_back(
        {m.property,
         fmt::format("{}{}", m.configs, m.failed ? fmt::format(" ({} failed)", m.failed) : ""),
         std::to_string(m.cases), margin_text(m.margin), w ? number(w->measured) : "-",
         w ? number(w->bound) : "-", w ? w->config : "-", w ? std::to_string(w->position) : "-"});
  }
  std::string out =
      "  bound margin per property (its worst configuration: measured / bound, <= 1 holds; "
      "- : no numeric bound):\n";
  for (const std::string& line : split_lines(audit::text_table(rows))) out += "    " + line + "\n";
  return out;
}

// JSON has no infinity: an infinite margin is the string "inf", none is null.
nlohmann::json margin_json(const std::optional<double>& margin) {
  if (!margin) return nullptr;
  if (std::isinf(*margin)) return "inf";
  return *margin;
}

nlohmann::json number_json(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(std::isnan(v) ? "nan" : "inf");
}

nlohmann::json safe_json(const SweepSafe& safe) {
  return {
      {"safe_up_to", safe.safe_up_to ? nlohmann::json(*safe.safe_up_to) : nlohmann::json(nullptr)},
      {"exceeded", safe.exceeded}};
}

nlohmann::json sweep_json(const std::vector<SweepPoint>& points) {
  const SweepSummary summary = summarise_sweep(points);
  nlohmann::json bands = nlohmann::json::array();
  for (const SweepBand& b : summary.bands)
    bands.push_back({{"lo", b.lo},
                     {"hi", b.hi},
                     {"positions", b.positions},
                     {"max_abs_error", number_json(b.max_error)},
                     {"max_abs_error_position", b.max_error_position},
                     {"max_error_over_bound", number_json(b.max_ratio)},
                     {"max_error_over_bound_position", b.max_ratio_position}});
  nlohmann::json safe = nlohmann::json::array();
  for (std::size_t t = 0; t < summary.thresholds.size(); ++t) {
    nlohmann::json entry = safe_json(summary.safe[t]);
    entry["threshold"] = summary.thresholds[t];
    safe.push_back(std::move(entry));
  }
  return {
      {"bands", bands}, {"safe_up_to", safe}, {"within_bound", safe_json(summary.within_bound)}};
}

std::string band_label(const SweepBand& b) {
  return fmt::format("[{},{}{}", audit::format_position(b.lo), audit::format_position(b.hi),
                     b.closed ? "]" : ")");
}

// "2^10" for the terminal; plain digits (`digits`) where a program reads it (JUnit).
std::string safe_text(const SweepSafe& safe, bool digits = false) {
  if (!safe.safe_up_to) return "none";
  return (safe.exceeded ? "" : ">=") +
         (digits ? std::to_string(*safe.safe_up_to) : audit::format_position(*safe.safe_up_to));
}

std::string sweep_table(const SubjectOutcome& s) {
  // The bands of the first configuration with a sweep: every configuration of a subject sweeps
  // the same positions.
  std::vector<std::vector<std::string>> rows;
  std::vector<SweepBand> header_bands;
  for (const ConfigOutcome& c : s.configs) {
    if (!c.skipped.empty() || c.sweep.empty()) continue;
    const SweepSummary summary = summarise_sweep(c.sweep);
    if (rows.empty()) {
      header_bands = summary.bands;
      std::vector<std::string> header = {"config"};
      for (const SweepBand& b : header_bands) header.push_back(band_label(b));
      for (double t : summary.thresholds) header.push_back(fmt::format("safe<={:g}", t));
      header.push_back("safe<=bound");
      rows.push_back(std::move(header));
    }
    std::vector<std::string> row = {c.config};
    for (const SweepBand& h : header_bands) {
      const auto it = std::find_if(summary.bands.begin(), summary.bands.end(),
                                   [&](const SweepBand& b) { return b.lo == h.lo; });
      row.push_back(
          it == summary.bands.end()
              ? "-"
              : fmt::format(
                    "{} @{} ({})",
                    std::isinf(it->max_error) ? "NaN/inf" : fmt::format("{:.1e}", it->max_error),
                    audit::format_position(it->max_error_position), number(it->max_ratio)));
    }
    for (const SweepSafe& safe : summary.safe) row.push_back(safe_text(safe));
    row.push_back(safe_text(summary.within_bound));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return "";
  std::string out =
      "  position sweep: worst |y - exact| per position band @ its position (worst error / "
      "bound), inputs in [-1, 1];\n  safe<=T: the largest swept position up to which every "
      "swept position stays within T (>= : never exceeded):\n";
  for (const std::string& line : split_lines(audit::text_table(rows))) out += "    " + line + "\n";
  return out;
}

// A testcase's <properties> (measured, bound, margin, cases; for the position sweep also its
// safe-up-to positions) and, for the sweep, its band table as <system-out>.
std::string junit_extra(const properties::Finding& f, const ConfigOutcome& c) {
  std::vector<std::pair<std::string, std::string>> props;
  const std::optional<double> margin = finding_margin(f);
  if (margin) {
    props.emplace_back("measured", number(f.measured));
    props.emplace_back("bound", number(f.bound));
    props.emplace_back("margin", margin_text(margin));
  }
  props.emplace_back("cases", std::to_string(f.cases));
  std::string out_text;
  if (f.property == kPositionSweep && !c.sweep.empty()) {
    const SweepSummary summary = summarise_sweep(c.sweep);
    for (std::size_t t = 0; t < summary.thresholds.size(); ++t)
      props.emplace_back(fmt::format("safe_up_to_{:g}", summary.thresholds[t]),
                         safe_text(summary.safe[t], true));
    props.emplace_back("safe_up_to_bound", safe_text(summary.within_bound, true));
    std::vector<std::vector<std::string>> rows = {
        {"band", "positions", "max |y - exact|", "at", "max error/bound", "at"}};
    for (const SweepBand& b : summary.bands)
      rows.push_back({band_label(b), std::to_string(b.positions), number(b.max_error),
                      audit::format_position(b.max_error_position), number(b.max_ratio),
                      audit::format_position(b.max_ratio_position)});
    out_text = audit::text_table(rows);
  }
  std::string out = "      <properties>\n";
  for (const auto& [name, value] : props)
    out += fmt::format("        <property name=\"{}\" value=\"{}\"/>\n", xml_escape(name),
                       xml_escape(value));
  out += "      </properties>\n";
  if (!out_text.empty()) out += "      <system-out>" + xml_escape(out_text) + "</system-out>\n";
  return out;
}

}  // namespace

std::optional<double> finding_margin(const properties::Finding& f) {
  if (f.verdict() == properties::Verdict::not_applicable) return std::nullopt;
  if (std::isnan(f.measured)) return std::numeric_limits<double>::infinity();
  if (f.bound > 0) return f.measured / f.bound;
  // Nothing allowed: a failure with something measured is infinitely over; a property without a
  // numeric bound (measured and bound both 0) has no margin.
  if (!f.passed && f.measured > 0) return std::numeric_limits<double>::infinity();
  return std::nullopt;
}

std::string summary_table(const CheckReport& report, bool verbose) {
  std::string out = fmt::format("ropecheck check {}\n", plugin_text(report.library, 400));
  if (!report.load_failure.empty())
    out += fmt::format("\n  no-crash: the library failed while a worker loaded it: {}\n",
                       plugin_text(report.load_failure, 400));
  for (const SubjectOutcome& s : report.subjects) {
    std::size_t run = 0, failed = 0, total = 0, not_applicable = 0;
    out +=
        fmt::format("\n{}  (bound: {}{}){}\n", s.subject, s.bound,
                    s.max_position > 0 ? fmt::format(", positions up to {}", s.max_position) : "",
                    s.description.empty()
                        ? ""
                        : "  the plugin's description: \"" + plugin_text(s.description) + "\"");
    std::string rows, notes, details;
    for (const ConfigOutcome& c : s.configs) {
      if (!c.skipped.empty()) {
        notes += fmt::format("  not applicable: {}: {}\n", c.config, c.skipped);
        continue;
      }
      ++run;
      if (!c.completed)
        notes += fmt::format("  {}: not completed (the time budget ran out)\n", c.config);
      std::vector<std::string> stopped;  // battery properties that failed on a kernel failure
      for (const properties::Finding& f : c.findings) {
        ++total;
        not_applicable += f.verdict() == properties::Verdict::not_applicable;
        if (f.passed) continue;
        ++failed;
        // A crash or hang fails every property that ran into it; the kernel-level row already
        // says what happened, so these are listed by name on one line.
        if (f.detail.rfind(kKernelFailurePrefix, 0) == 0) {
          stopped.push_back(f.property);
          continue;
        }
        // The table shows the first line of the detail; the whole of it (the case and its
        // replay, for the battery's properties) follows the table.
        const std::string first_line = f.detail.substr(0, f.detail.find('\n'));
        rows +=
            fmt::format("  {:<26} {:<22} {:>12} {:>10} {:>10}  {}: {}\n", shorten(f.property, 26),
                        shorten(f.config, 22), f.position, number(f.measured), number(f.bound),
                        properties::verdict_name(f.verdict()), shorten(first_line, 120));
        if (verbose && (first_line.size() != f.detail.size() || first_line.size() > 120))
          details += fmt::format("  {} on {}:\n    {}\n", f.property, f.config,
                                 indent_lines(f.detail, "    "));
      }
      if (!stopped.empty()) {
        std::string names;
        for (const std::string& name : stopped) {
          if (!names.empty()) names += ", ";
          names += name;
        }
        rows += fmt::format(
            "  {:<26} {:<22} {:>12} {:>10} {:>10}  {} failed on the kernel's "
            "failure: {}\n",
            "(battery)", shorten(c.config, 22), "", "", "", stopped.size(), names);
      }
      if (c.stats.nan_outputs > 0 || c.stats.unwritten_outputs > 0)
        notes += fmt::format(
            "  {}: {} NaN outputs for finite inputs, {} outputs never written, "
            "in {} rows\n",
            c.config, c.stats.nan_outputs, c.stats.unwritten_outputs, c.stats.rows);
      for (const KernelEvent& e : c.stats.events)
        notes += fmt::format("  {} on {}: {} (batch from position {})\n", e.kind, c.config,
                             plugin_text(e.what, 400), e.position);
    }
    out += notes;
    if (!rows.empty())
      out += fmt::format("  {:<26} {:<22} {:>12} {:>10} {:>10}  {}\n", "property", "config",
                         "position", "measured", "bound", "detail") +
             rows;
    if (!details.empty()) out += "  counterexamples:\n" + details;
    if (!verbose && failed > 0)
      out += "  (the counterexamples, inputs in hex: --verbose, --json or --junit)\n";
    out += margins_table(s);
    out += sweep_table(s);
    if (run == 0)
      out += "  FAIL: the kernel supports none of the configurations checked\n";
    else
      out += fmt::format(
          "  {}: {} of {} findings failed, {} not applicable, on {} configuration{}\n",
          s.passed() ? "PASS" : "FAIL", failed, total, not_applicable, run, run == 1 ? "" : "s");
  }
  if (!report.not_run.empty()) {
    out += fmt::format("\nnot run (the time budget ran out): {} subject-configuration pair{}\n",
                       report.not_run.size(), report.not_run.size() == 1 ? "" : "s");
    for (const std::string& what : report.not_run) out += "  " + what + "\n";
  }
  // What a sampled battery cannot promise, said every time so a pass is not read as more.
  out +=
      "\nnote: the battery samples positions and inputs; a fault at a single (position, "
      "channel) can escape it. `ropecheck audit --exhaustive` scans every position of a "
      "range against a pipeline's model.\n";
  out += fmt::format("\n{}\n", report.passed() ? "PASS: every property holds"
                               : !report.load_failure.empty()
                                   ? "FAIL: the library crashed, exited or hung while loading"
                               : !report.completed()
                                   ? "FAIL: not completed within the time budget (not a pass)"
                                   : "FAIL: some property does not hold");
  return out;
}

std::string junit_xml(const CheckReport& report) {
  std::string suites;
  std::size_t all_tests = 0, all_failures = 0, all_skipped = 0;
  for (const SubjectOutcome& s : report.subjects) {
    std::string cases;
    std::size_t tests = 0, failures = 0, skipped = 0;
    for (const ConfigOutcome& c : s.configs) {
      const std::string classname = xml_escape(s.subject + "." + c.config);
      if (!c.skipped.empty()) {
        ++tests;
        ++skipped;
        cases += fmt::format(
            "    <testcase classname=\"{}\" name=\"all\"><skipped message=\"not "
            "applicable: {}\"/></testcase>\n",
            classname, xml_escape(c.skipped));
        continue;
      }
      for (const properties::Finding& f : c.findings) {
        ++tests;
        cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", classname,
                             xml_escape(f.property));
        if (f.verdict() == properties::Verdict::not_applicable) {
          ++skipped;
          cases += fmt::format("><skipped message=\"not applicable\"/></testcase>\n");
          continue;
        }
        const std::string extra = junit_extra(f, c);
        if (f.passed) {
          cases += extra.empty() ? "/>\n" : ">\n" + extra + "    </testcase>\n";
          continue;
        }
        ++failures;
        const std::string message =
            fmt::format("{} at position {}: measured {} vs bound {}", f.property, f.position,
                        number(f.measured), number(f.bound));
        cases += fmt::format(">\n{}      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                             extra, xml_escape(message), xml_escape(plugin_text(f.detail, 20000)));
      }
    }
    bool any_run = false;
    for (const ConfigOutcome& c : s.configs) any_run = any_run || c.skipped.empty();
    if (!any_run) {
      // A subject that ran nowhere fails as a whole, so CI does not read "0 tests" as success.
      ++tests;
      ++failures;
      cases += fmt::format(
          "    <testcase classname=\"{}\" name=\"supported-configurations\">\n"
          "      <failure message=\"the kernel supports none of the "
          "configurations checked\"/>\n    </testcase>\n",
          xml_escape(s.subject));
    }
    if (!s.passed() && failures == 0) {
      // Not completed: a failure too, so CI never reads a stopped run as green.
      ++tests;
      ++failures;
      cases += fmt::format(
          "    <testcase classname=\"{}\" name=\"completed\">\n      <failure "
          "message=\"not completed within the time budget\"/>\n    </testcase>\n",
          xml_escape(s.subject));
    }
    suites += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
        "skipped=\"{}\">\n{}  </testsuite>\n",
        xml_escape(s.subject), tests, failures, skipped, cases);
    all_tests += tests;
    all_failures += failures;
    all_skipped += skipped;
  }
  if (!report.load_failure.empty() || !report.not_run.empty()) {
    const std::string message =
        !report.load_failure.empty()
            ? "the library failed while loading: " + plugin_text(report.load_failure, 400)
            : fmt::format("{} subject-configuration pairs not run within the time budget",
                          report.not_run.size());
    suites += fmt::format(
        "  <testsuite name=\"library\" tests=\"1\" failures=\"1\" errors=\"0\" "
        "skipped=\"0\">\n    <testcase classname=\"library\" name=\"{}\">\n"
        "      <failure message=\"{}\"/>\n    </testcase>\n  </testsuite>\n",
        report.load_failure.empty() ? "completed" : "no-crash", xml_escape(message));
    ++all_tests;
    ++all_failures;
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"ropecheck check {}\" tests=\"{}\" failures=\"{}\" "
      "errors=\"0\" skipped=\"{}\">\n{}</testsuites>\n",
      xml_escape(report.library), all_tests, all_failures, all_skipped, suites);
}

nlohmann::json check_json(const CheckReport& report) {
  using nlohmann::json;
  json subjects = json::array();
  for (const SubjectOutcome& s : report.subjects) {
    json configs = json::array();
    for (const ConfigOutcome& c : s.configs) {
      json findings = json::array();
      for (const properties::Finding& f : c.findings)
        findings.push_back({{"property", f.property},
                            {"passed", f.passed},
                            {"verdict", properties::verdict_name(f.verdict())},
                            {"cases", f.cases},
                            {"measured", f.measured},
                            {"bound", f.bound},
                            {"margin", margin_json(finding_margin(f))},
                            {"position", f.position},
                            {"detail", plugin_text(f.detail, 20000)}});
      json events = json::array();
      for (const KernelEvent& e : c.stats.events)
        events.push_back(
            {{"kind", e.kind}, {"what", plugin_text(e.what, 400)}, {"position", e.position}});
      json entry = {{"config", c.config},
                    {"findings", findings},
                    {"events", events},
                    {"event_counts", c.stats.event_counts},
                    {"calls", c.stats.calls},
                    {"rows", c.stats.rows},
                    {"nan_outputs", c.stats.nan_outputs},
                    {"unwritten_outputs", c.stats.unwritten_outputs}};
      json sweep = json::array();
      for (const SweepPoint& p : c.sweep)
        sweep.push_back({{"position", p.position},
                         {"max_abs_error", p.max_error},
                         {"max_error_over_bound", p.max_ratio}});
      entry["position_sweep"] = std::move(sweep);
      entry["position_sweep_report"] = sweep_json(c.sweep);
      if (!c.skipped.empty()) entry["not_applicable"] = c.skipped;
      entry["completed"] = c.completed;
      configs.push_back(std::move(entry));
    }
    json margins = json::array();
    for (const PropertyMargin& m : property_margins(s))
      margins.push_back({{"property", m.property},
                         {"configs", m.configs},
                         {"failed", m.failed},
                         {"cases", m.cases},
                         {"margin", margin_json(m.margin)},
                         {"measured", m.worst ? json(m.worst->measured) : json(nullptr)},
                         {"bound", m.worst ? json(m.worst->bound) : json(nullptr)},
                         {"config", m.worst ? json(m.worst->config) : json(nullptr)},
                         {"position", m.worst ? json(m.worst->position) : json(nullptr)}});
    subjects.push_back({{"subject", s.subject},
                        {"kernel", s.kernel},
                        {"margins", margins},
                        {"description", plugin_text(s.description)},
                        {"dtype", s.dtype},
                        {"bound", s.bound},
                        {"max_position", s.max_position},
                        {"passed", s.passed()},
                        {"configs", configs}});
  }
  return {{"library", plugin_text(report.library, 4000)},
          {"passed", report.passed()},
          {"completed", report.completed()},
          {"load_failure", plugin_text(report.load_failure, 4000)},
          {"not_run", report.not_run},
          {"subjects", subjects}};
}

}  // namespace ropecheck::kernels
