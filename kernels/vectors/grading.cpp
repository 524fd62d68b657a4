#include "kernels/vectors/grading.hpp"

#include <fmt/format.h>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/json_numbers.hpp"
#include "core/format_codec.hpp"
#include "core/ulp.hpp"
#include "kernels/vectors/ulp_distance.hpp"

namespace ropecheck::vectors {
namespace {

std::size_t bucket(std::uint64_t ulps) {
  if (ulps == 0) return 0;
  if (ulps == 1) return 1;
  if (ulps <= 3) return 2;
  if (ulps <= 15) return 3;
  return 4;
}

}  // namespace

OutputSite output_site(const VectorSet& vectors, std::span<const double> y, std::size_t index) {
  const auto width = static_cast<std::size_t>(vectors.config.head_dim);
  const std::size_t row = index / width;
  const std::size_t row_start = row * width;
  OutputSite site;
  site.token = static_cast<std::int64_t>(row / static_cast<std::size_t>(vectors.heads));
  site.head = static_cast<int>(row % static_cast<std::size_t>(vectors.heads));
  site.channel = static_cast<int>(index - row_start);
  site.position = vectors.positions[static_cast<std::size_t>(site.token)];
  site.got = y[index];
  site.expected = vectors.expected[index];
  site.x_a = vectors.x[index];
  const int rotary_dim = vectors.config.rotary_dim;
  if (site.channel < rotary_dim) {
    site.pair = vectors.config.layout == Layout::interleaved ? site.channel / 2
                                                             : site.channel % (rotary_dim / 2);
    const PairChannels channels = pair_channels(vectors.config.layout, rotary_dim, site.pair);
    site.x_a = vectors.x[row_start + static_cast<std::size_t>(channels.a)];
    site.x_b = vectors.x[row_start + static_cast<std::size_t>(channels.b)];
  }
  return site;
}

namespace {

bool within_bound(const GradeBound& bound, const OutputSite& site, std::uint64_t ulps,
                  Dtype dtype) {
  switch (bound.kind) {
    case GradeBound::Kind::exact:
      return bitwise_equal(site.got, site.expected, dtype);
    case GradeBound::Kind::max_ulp:
      return ulps <= bound.max_ulp;
    case GradeBound::Kind::absolute: {
      if (bitwise_equal(site.got, site.expected, dtype)) return true;
      const double allowed = bound.absolute(site) + 0.5 * format_ulp(site.expected, dtype);
      return std::fabs(site.got - site.expected) <= allowed;  // false for NaN and infinities
    }
  }
  return false;
}

std::string ulps_text(std::uint64_t ulps) {
  return ulps == kInfiniteUlps ? "infinite (NaN against a number)" : fmt::format("{} ulp", ulps);
}

}  // namespace

std::string output_site_text(const OutputSite& site) {
  const std::string inputs = site.pair < 0
                                 ? fmt::format("pass-through channel, x = {}", hex_float(site.x_a))
                                 : fmt::format("pair {}, x = ({}, {})", site.pair,
                                               hex_float(site.x_a), hex_float(site.x_b));
  return fmt::format("token {} (position {}) head {} channel {} ({}): got {}, expected {}",
                     site.token, site.position, site.head, site.channel, inputs,
                     hex_float(site.got), hex_float(site.expected));
}

nlohmann::json output_site_json(const OutputSite& site) {
  return {{"token", site.token},
          {"head", site.head},
          {"channel", site.channel},
          {"position", site.position},
          {"pair", site.pair < 0 ? nlohmann::json(nullptr) : nlohmann::json(site.pair)},
          {"x_a", hex_float(site.x_a)},
          {"x_b", hex_float(site.x_b)},
          {"got", hex_float(site.got)},
          {"expected", hex_float(site.expected)},
          {"got_value", json_number(site.got)},
          {"expected_value", json_number(site.expected)}};
}

double bound_ratio(const GradeBound& bound, const OutputSite& site, std::uint64_t ulps,
                   Dtype dtype) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (bitwise_equal(site.got, site.expected, dtype)) return 0;
  switch (bound.kind) {
    case GradeBound::Kind::exact:
      break;
    case GradeBound::Kind::max_ulp:
      if (ulps == kInfiniteUlps || bound.max_ulp == 0) return kInf;
      return static_cast<double>(ulps) / static_cast<double>(bound.max_ulp);
    case GradeBound::Kind::absolute: {
      const double allowed = bound.absolute(site) + 0.5 * format_ulp(site.expected, dtype);
      const double ratio = std::fabs(site.got - site.expected) / allowed;
      return std::isnan(ratio) ? kInf : ratio;
    }
  }
  return kInf;
}

GradeBound GradeBound::exact() {
  return {};
}

GradeBound GradeBound::ulps(std::uint64_t ulps) {
  return {Kind::max_ulp, ulps, {}, fmt::format("max-ulp {}", ulps)};
}

GradeBound GradeBound::within(AbsoluteBound bound, std::string label) {
  return {Kind::absolute, 0, std::move(bound), std::move(label)};
}

GradeReport grade_outputs(const VectorSet& vectors, std::span<const double> y,
                          const GradeBound& bound) {
  if (y.size() != vectors.expected.size())
    throw std::invalid_argument("grade_outputs: outputs and expected differ in size");
  GradeReport report;
  report.dtype = vectors.dtype;
  report.bound = bound.label;
  report.margin_applies = bound.kind != GradeBound::Kind::exact;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::uint64_t ulps = ulp_distance(y[i], vectors.expected[i], vectors.dtype);
    ++report.compared;
    ++report.histogram[bucket(ulps)];
    if (bitwise_equal(y[i], vectors.expected[i], vectors.dtype)) ++report.exact;
    const bool ok = bound.kind == GradeBound::Kind::absolute
                        ? within_bound(bound, output_site(vectors, y, i), ulps, vectors.dtype)
                        : within_bound(bound, {.got = y[i], .expected = vectors.expected[i]}, ulps,
                                       vectors.dtype);
    if (!report.worst || ulps > report.max_ulp) {
      report.max_ulp = ulps;
      report.worst = output_site(vectors, y, i);
    }
    if (!ok && report.violations++ == 0) report.first_violation = output_site(vectors, y, i);
    if (bound.kind != GradeBound::Kind::exact &&
        !bitwise_equal(y[i], vectors.expected[i], vectors.dtype)) {
      const OutputSite site = output_site(vectors, y, i);
      const double ratio = bound_ratio(bound, site, ulps, vectors.dtype);
      if (ratio > report.margin) report.margin = ratio, report.margin_site = site;
    }
  }
  return report;
}

std::string format_grade_report(const GradeReport& report) {
  // Rounded down, so that 100.00% means every output.
  const double share = report.compared ? std::floor(10000.0 * static_cast<double>(report.exact) /
                                                    static_cast<double>(report.compared)) /
                                             100
                                       : 100.0;
  std::string out = fmt::format("graded {} {} outputs against bound: {}\n", report.compared,
                                dtype_name(report.dtype), report.bound);
  out += fmt::format("bit-exact: {} ({:.2f}%)\n", report.exact, share);
  if (report.worst && report.max_ulp > 0)
    out += fmt::format("worst component ({} of its own value): {}\n", ulps_text(report.max_ulp),
                       output_site_text(*report.worst));
  if (report.passed())
    out += fmt::format("PASS: every output within the bound ({})\n", report.bound);
  else
    out +=
        fmt::format("FAIL: {} of {} outputs break the bound ({}); first: {}\n", report.violations,
                    report.compared, report.bound, output_site_text(*report.first_violation));
  return out;
}

nlohmann::json grade_report_json(const GradeReport& report) {
  return {{"dtype", dtype_name(report.dtype)},
          {"bound", report.bound},
          {"passed", report.passed()},
          {"compared", report.compared},
          {"exact", report.exact},
          {"share_exact", report.compared ? static_cast<double>(report.exact) /
                                                static_cast<double>(report.compared)
                                          : 1.0},
          {"violations", report.violations},
          {"max_ulp", report.max_ulp == kInfiniteUlps ? nlohmann::json("inf")
                                                      : nlohmann::json(report.max_ulp)},
          {"margin", report.margin_applies ? json_number(report.margin) : nlohmann::json(nullptr)},
          {"margin_site",
           report.margin_site ? output_site_json(*report.margin_site) : nlohmann::json(nullptr)},
          {"worst", report.worst ? output_site_json(*report.worst) : nlohmann::json(nullptr)},
          {"first_violation", report.first_violation ? output_site_json(*report.first_violation)
                                                     : nlohmann::json(nullptr)}};
}

}  // namespace ropecheck::vectors
