// The exact coefficients a cos(m theta_i) and a sin(m theta_i) of every rotated pair at
// consecutive positions m, m + 1, ... (the reference side of the exhaustive audit): the turn
// count m theta_i / 2pi kept modulo one as a double-double and advanced by adding theta_i / 2pi,
// resynchronised with the exact reduction every kResync positions, then cos and sin in double
// from the fast path's table. Every value comes with a proven absolute error bound
// (spec/precision.md, "Coefficients at consecutive positions").
#pragma once

#include <cstdint>
#include <vector>

#include "reference/fast_path.hpp"

namespace ropecheck::reference {

class CoefficientScan {
 public:
  // Positions between two exact reductions: the incremental turn count drifts by at most
  // 2^-93.8 turns per step (precision.md), so 2^12 steps keep it below 2^-81.7 turns.
  static constexpr int kResync = 4096;

  // Whether the scan can serve this configuration: every pair rotates (no p-RoPE still pairs,
  // no MPFR-only pairs) and the attention factor is in the fast path's range.
  static bool usable(const FastPathData& data);

  // Throws std::invalid_argument unless usable(data).
  explicit CoefficientScan(const FastPathData& data);

  // The next call to next() gives position m (0 <= m < 2^53 - kResync).
  void start(std::int64_t m);

  // c[i] and s[i] of every pair at the current position (pairs() values each), then moves on.
  void next(double* c, double* s);

  // |c[i] - a cos(m theta_i)| and |s[i] - a sin(m theta_i)| never exceed this.
  double error_bound() const { return bound_; }
  int pairs() const { return static_cast<int>(t_hi_.size()); }

 private:
  const FastPathData* data_;
  std::vector<double> t_hi_, t_rest_;  // theta_i / 2pi as t_hi + t_rest (t_rest = RN(t_mid + t_lo))
  std::vector<double> r_hi_, r_lo_;    // the current position's turn count modulo one
  std::int64_t position_ = 0;
  int since_sync_ = 0;
  double a_ = 1.0;
  bool a_is_one_ = true;
  double bound_ = 0.0;
};

}  // namespace ropecheck::reference
