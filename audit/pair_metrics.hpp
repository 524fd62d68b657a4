// The metrics of the sampled audit at one pair: its errors against the exact value, their size
// in ulps of the pair norm, and the vectorized ordinary case of a whole head (spec/audit.md,
// "What is measured" and "Speed"). The engine (audit_engine.cpp) accumulates them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"

namespace ropecheck::audit {

// ulp of |v| in a format: 2^(max(e, emin) - p + 1) with |v| in [2^e, 2^(e+1)), where |v| =
// hypot(a, b). The exponent of hypot(a, b) is floor(e2 / 2) with e2 the exponent of a^2 + b^2,
// except where a^2 + b^2 lies within its rounding error of a power of 4: there (and for zero,
// non-finite or extreme values) hypot itself decides, so the result is hypot's in every case.
double pair_ulp(double a, double b, const FormatTraits& f);

// 1 / v for a power of two v in [2^-1022, 2^1022], exactly: the biased exponent mirrored about
// 1023 (2^k has field k + 1023, 2^-k field 1023 - k).
double reciprocal_pow2(double v);

// |got - (hi + lo)|, the error of one output against the exact value hi + lo. For f64 pipelines
// this is the true error, not the distance to the correctly rounded double (which would read 0
// for a correctly rounded output). NaN where a number was due, or the reverse, is +inf.
double pair_error(double got, double hi, double lo);

// One head's values per rotated pair (index i) and per output (index 2 i + s, s = 0 for the
// pair's first channel), computed for every pair before any is accumulated.
struct HeadValues {
  std::vector<double> got_a, got_b, hi_a, hi_b, lo_a, lo_b, rounded_a, rounded_b;  // gathered
  std::vector<double> err, err_ulp;   // per output: |got - (hi + lo)|, and in ulps
  std::vector<double> slack;          // per output: the error's uncertainty
  std::vector<std::int64_t> exact;    // per output: got is the correctly rounded value
  std::vector<std::int64_t> special;  // per pair: nonzero where the per-pair definition decides
  explicit HeadValues(int pairs) {
    const auto n = static_cast<std::size_t>(pairs);
    for (auto* v : {&got_a, &got_b, &hi_a, &hi_b, &lo_a, &lo_b, &rounded_a, &rounded_b})
      v->resize(n);
    err.resize(2 * n);
    err_ulp.resize(2 * n);
    slack.resize(2 * n);
    exact.resize(2 * n);
    special.resize(n);
  }
};

// The head's outputs and reference values per pair, in pair order (loops over contiguous
// arrays vectorize; the channels of a pair are apart by the layout).
void gather_head(const RopeConfig& c, const double* y, const double* hi, const double* lo,
                 const double* rounded, HeadValues& v);

// The ordinary case of every pair at once, without branches so that the loop vectorizes (an
// AVX2 clone chosen at load time): both errors pair_error would give, their size in ulps of the
// pair's norm as pair_ulp gives it, and whether each output is correctly rounded. A pair is
// special (the engine's per-pair definition decides it, as it always did) where any of these could
// go another way: a non-finite value, an error within its uncertainty of a threshold (the MPFR
// refinement), a squared norm near a power of 4 or of extreme exponent (hypot decides), or an
// ulp whose reciprocal is not a normal double. Elsewhere the same operations give the same
// values.
void pair_values(int pairs, const double* bound, const double* thresholds,
                 std::size_t threshold_count, int precision, int emin, HeadValues& v);

}  // namespace ropecheck::audit
