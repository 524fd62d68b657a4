// The oracle: mathematically exact RoPE, rounded correctly (to nearest, ties to even) to the
// output format. Shares no computation with impl/ (spec/precision.md, "The reference"): theta, angle, reduction, sin/cos
// and rotation are all evaluated here from their real-number definitions in spec/rope.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"

namespace ropecheck::reference {

// Counters of how outputs were certified (for the benchmark's fallback rate and for audits).
struct ReferenceStats {
  std::uint64_t fast = 0;      // rotated pairs certified by the double-double fast path
  std::uint64_t fallback = 0;  // rotated pairs that needed the MPFR path
  std::uint64_t special = 0;   // pairs decided by the exact rules (non-finite or zero inputs)
  std::uint64_t exact_fallback = 0;  // apply_with_exact: pairs whose hi + lo came from MPFR
  std::uint64_t score_fast = 0;      // exact_score: scores certified by the fast path
  std::uint64_t score_fallback = 0;  // exact_score: scores computed by MPFR
};

// One pair's exact output as double-doubles: |exact_a - a_hi - a_lo| <= bound, same for b.
struct ExactPair {
  double a_hi, a_lo, b_hi, b_lo, bound;
};

// Correctly rounded RoPE for one configuration and sequence length. Construction does the
// per-config work (exact frequencies, tables); apply() is const and thread-safe.
class Reference {
 public:
  // Throws ConfigError for an invalid configuration.
  Reference(const RopeConfig& config, std::int64_t seq_len);
  ~Reference();
  Reference(Reference&&) noexcept;
  Reference& operator=(Reference&&) noexcept;

  // y = RN_dtype(exact RoPE of x at `position`), for |position| < 2^53. x holds head_dim finite
  // or non-finite doubles (any values; they are taken as exact). Uses the certified fast path
  // and falls back to MPFR when its rounding test is inconclusive. y may alias x.
  // Non-finite and zero inputs follow the rules of rotate_pair_mpfr (reference/mpfr_rotation.hpp):
  // NaN in a pair gives NaN in both its outputs; otherwise IEEE arithmetic of the formula with
  // exact cos and sin. Throws std::invalid_argument for a wrong span size, std::out_of_range
  // for |position| >= 2^53.
  void apply(std::int64_t position, std::span<const double> x, Dtype dtype,
             std::span<double> y) const;

  // The same result computed by the MPFR path alone (Ziv loop), for cross-checking.
  void apply_mpfr(std::int64_t position, std::span<const double> x, Dtype dtype,
                  std::span<double> y) const;

  // The exact output as a double-double hi + lo, for error metrics of f64 implementations:
  // |exact_j - hi_j - lo_j| <= 2^-100 a (|x_a| + |x_b|) for a rotated pair, 0 for a passed-through
  // channel. Non-finite inputs give the f64 outputs of apply() with lo = 0.
  void apply_exact(std::int64_t position, std::span<const double> x, std::span<double> hi,
                   std::span<double> lo) const;

  // apply() and the exact output at once, for audits: y = RN_dtype(exact) exactly as apply(),
  // and hi + lo with a bound per pair, |exact_c - hi_c - lo_c| <= bound_i for both channels c of
  // rotated pair i. The bound is the fast path's 2^-74 a (|x_a| + |x_b|) (plus 2^-1073) where it
  // evaluates the pair, else the MPFR path's 2^-100 a (|x_a| + |x_b|) (0 for non-finite inputs,
  // with hi = the f64 output and lo = 0); passed-through channels get hi = x, lo = 0
  // (spec/precision.md, "Exact outputs"). hi, lo and y hold head_dim values, bound pairs().
  // Returns the number of rotated pairs whose hi + lo came from the MPFR path.
  std::size_t apply_with_exact(std::int64_t position, std::span<const double> x, Dtype dtype,
                               std::span<double> y, std::span<double> hi, std::span<double> lo,
                               std::span<double> bound) const;

  // Rotated pair `pair`'s exact output from the MPFR path, within 2^-100 a (|x_a| + |x_b|): for
  // a caller whose measurement needs more than the fast path's bound. Finite inputs only.
  ExactPair exact_pair_mpfr(std::int64_t position, int pair, double xa, double xb) const;

  // Number of rotated pairs (rotary_dim / 2).
  int pairs() const;

  // exact_score() by the fast path alone: true with `out` set when it proves the rounding,
  // false where only the MPFR path can answer (callers that count fallbacks).
  bool exact_score_fast(std::span<const double> q, std::span<const double> k, std::int64_t m,
                        std::int64_t n, double& out) const;

  // exact_score() by the MPFR path alone, for cross-checking the fast path.
  double exact_score_mpfr(std::span<const double> q, std::span<const double> k, std::int64_t m,
                          std::int64_t n) const;

  // The exact attention score <R_m q, R_n k> of the reference (a^2 on the rotated channels),
  // which depends on m - n only: the g(q, k, m - n) of the invariance metric. Rounded to double
  // after an evaluation whose error is below 2^-180 (|q| . |k|). Finite inputs only. The fast
  // path answers when it can prove the same rounding (fast_path.hpp, fast_score).
  double exact_score(std::span<const double> q, std::span<const double> k, std::int64_t m,
                     std::int64_t n) const;

  // The attention factor a, correctly rounded to double.
  double attention_factor() const;
  // theta_i correctly rounded to double (for reports and generators).
  double theta(int pair) const;

  const RopeConfig& config() const;
  std::int64_t seq_len() const;

  ReferenceStats stats() const;
  void reset_stats() const;

  // Whether this machine's fast path uses the hardware FMA variant (else Dekker's products).
  static bool fast_path_uses_fma();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ropecheck::reference
