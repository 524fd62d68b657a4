// Grading a kernel's outputs against a golden vector set: ulp statistics and a pass/fail bound.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "kernels/vectors/ulp_distance.hpp"
#include "kernels/vectors/vector_set.hpp"

namespace ropecheck::vectors {

// One graded output: where it sits, what went in, what came out.
struct OutputSite {
  std::int64_t token = 0;
  int head = 0;
  int channel = 0;
  std::int64_t position = 0;
  int pair = -1;   // the rotated pair the channel belongs to; -1 for a pass-through channel
  double x_a = 0;  // the pair's inputs (for a pass-through channel, x_a is the channel's input
  double x_b = 0;  // and x_b is 0)
  double got = 0;
  double expected = 0;
};

// A bound B(site) on |y - exact| for each output, such as a pipeline's derived error bound.
using AbsoluteBound = std::function<double(const OutputSite&)>;

// What the outputs must satisfy.
struct GradeBound {
  enum class Kind { exact, max_ulp, absolute };
  Kind kind = Kind::exact;
  std::uint64_t max_ulp = 0;
  AbsoluteBound absolute;
  std::string label = "exact";

  // Every output bit for bit equal to expected (any NaN equals any NaN; -0 differs from +0).
  static GradeBound exact();
  // Every output within `ulps` units in the last place of expected, across signs and zero.
  static GradeBound ulps(std::uint64_t ulps);
  // |y - expected| <= B(site) + 0.5 ulp(expected): B bounds the error against the exact result,
  // which expected itself may miss by half an ulp. Non-finite outputs must equal expected.
  static GradeBound within(AbsoluteBound bound, std::string label);
};

// Histogram buckets of ulp errors: 0, 1, 2-3, 4-15, 16 or more (NaN mismatches included).
inline constexpr std::array<std::string_view, 5> kUlpBuckets = {"0", "1", "2-3", "4-15", "16+"};

// Statistics of one grading run.
struct GradeReport {
  Dtype dtype = Dtype::f32;
  std::string bound;
  std::uint64_t compared = 0;    // outputs compared
  std::uint64_t exact = 0;       // outputs bit for bit equal to expected
  std::uint64_t violations = 0;  // outputs that break the bound
  std::uint64_t max_ulp = 0;     // kInfiniteUlps when a NaN meets a number
  std::array<std::uint64_t, 5> histogram{};
  std::optional<OutputSite> worst;            // the first output with the largest ulp error
  std::optional<OutputSite> first_violation;  // the first output that breaks the bound
  // The bound margin: the largest measured / allowed over the outputs (<= 1 when they pass),
  // and the first output where it occurs. Only for max_ulp and absolute bounds.
  bool margin_applies = false;
  double margin = 0;
  std::optional<OutputSite> margin_site;

  bool passed() const { return violations == 0; }
};

// Where output `index` of y (the shape of vectors.x) sits, with its pair's inputs.
OutputSite output_site(const VectorSet& vectors, std::span<const double> y, std::size_t index);

// measured / allowed for one output under `bound`: 0 for an output bit for bit equal to
// expected, infinity where nothing is allowed but something differs (or a NaN meets a number);
// the output meets the bound exactly when this is <= 1. Not defined for an exact bound.
double bound_ratio(const GradeBound& bound, const OutputSite& site, std::uint64_t ulps,
                   Dtype dtype);

// "token 3 (position 7) head 0 channel 1 (pair 1, x = (...)): got ..., expected ..."
std::string output_site_text(const OutputSite& site);
nlohmann::json output_site_json(const OutputSite& site);

// Grades y (the shape of vectors.x, values of vectors.dtype) against vectors.expected.
GradeReport grade_outputs(const VectorSet& vectors, std::span<const double> y,
                          const GradeBound& bound);

// The verdict as lines of text for the terminal: the outputs compared, the bit-exact share,
// the worst single component and PASS or FAIL (grade_report.hpp adds the pair-norm analysis).
std::string format_grade_report(const GradeReport& report);

// The verdict as JSON (values also as exact hex floats).
nlohmann::json grade_report_json(const GradeReport& report);

}  // namespace ropecheck::vectors
