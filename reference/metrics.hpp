// Error metrics (spec/precision.md, "Error metrics"): bits of error, error in ulps of the pair
// norm, absolute/relative error, NMSE, the score-level invariance error, and a tracker that keeps
// each maximum with the input that produced it (hex floats, so it replays exactly). Ulps, ulp
// distances and hex floats are core's measurement toolkit (core/ulp.hpp, core/hex_float.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hex_float.hpp"
#include "core/number_format.hpp"
#include "core/ulp.hpp"

namespace ropecheck::reference {

// core's ulp_steps as a double (exact below 2^53 steps), +inf when exactly one value is NaN.
double ulp_distance(double a, double b, Dtype dtype);

// Bits of error log2(1 + ulps): 0 for exact, 1 for one ulp, ~p for garbage.
double bits_of_error(double ulps);

// |y - exact| with exact = exact_hi + exact_lo (a double-double from Reference::apply_exact).
double absolute_error(double y, double exact_hi, double exact_lo = 0.0);

// |y - exact| / |exact|; 0 when both are 0, +inf when only exact is 0.
double relative_error(double y, double exact_hi, double exact_lo = 0.0);

// |y - exact| in ulps of the exact pair's norm |v| = hypot(exact_a, exact_b) in format F: the
// error that matters for a rotation, since one component can be tiny while its pair is not.
double norm_ulp_error(double y, double exact_hi, double exact_lo, double pair_norm, Dtype dtype);

// Normalised mean squared error sum (y - exact)^2 / sum exact^2 (ggml's test-backend-ops); 0
// when both vectors are 0, +inf when only exact is.
double nmse(std::span<const double> y, std::span<const double> exact);

// The invariance error |<rq, rk> - g| / (|q| |k|): rq, rk are an implementation's R_m q and R_n k,
// g = Reference::exact_score(q, k, m, n), |q| and |k| the input norms. The dot product is
// evaluated in compensated arithmetic (Ogita, Rump, Oishi 2005) so that the metric measures the
// implementation, not itself.
double score_error(std::span<const double> rq, std::span<const double> rk, double exact_score,
                   std::span<const double> q, std::span<const double> k);

// The largest value of one metric seen so far, with the input that produced it.
class MaxTracker {
 public:
  explicit MaxTracker(std::string metric = "error") : metric_(std::move(metric)) {}

  // Records one measurement; keeps it if it exceeds the maximum so far (a NaN error counts as
  // larger than any number, so a NaN output is never hidden).
  void add(double error, std::int64_t position, std::span<const double> input,
           std::string_view note = {});
  // Folds in another tracker of the same metric (e.g. one per thread).
  void merge(const MaxTracker& other);

  bool empty() const { return count_ == 0; }
  std::uint64_t count() const { return count_; }
  double max() const { return max_; }
  std::int64_t worst_position() const { return position_; }
  const std::vector<double>& worst_input() const { return input_; }
  const std::string& worst_note() const { return note_; }

  // One line: "<metric>: max <value> at position <m> [(<note>)], x = [<hex>, ...]".
  std::string describe() const;

 private:
  bool exceeds(double error) const;

  std::string metric_;
  std::uint64_t count_ = 0;
  double max_ = 0.0;
  std::int64_t position_ = 0;
  std::vector<double> input_;
  std::string note_;
};

}  // namespace ropecheck::reference
