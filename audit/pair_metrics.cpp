#include "audit/pair_metrics.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>

namespace ropecheck::audit {
namespace {

// 2^k as a double for -1074 <= k <= 1023 (exact; std::ldexp is a library call per output).
double pow2(int k) {
  if (k >= -1022) return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
  return std::bit_cast<double>(std::uint64_t{1} << (k + 1074));
}

}  // namespace

// ulp of |v| in a format: 2^(max(e, emin) - p + 1) with |v| in [2^e, 2^(e+1)), where |v| =
// hypot(a, b). The exponent of hypot(a, b) is floor(e2 / 2) with e2 the exponent of a^2 + b^2,
// except where a^2 + b^2 lies within its rounding error of a power of 4: there (and for zero,
// non-finite or extreme values) hypot itself decides, so the result is hypot's in every case.
double pair_ulp(double a, double b, const FormatTraits& f) {
  const double s = a * a + b * b;
  int e;
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(s);
  const int e2 = static_cast<int>(bits >> 52) - 1023;
  const std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  constexpr std::uint64_t kNear = std::uint64_t{1} << 12;  // 2^-40 relative, >> 3 roundings
  const bool near_power_of_4 = (e2 % 2 == 0 && mantissa < kNear) ||
                               (e2 % 2 != 0 && mantissa > (std::uint64_t{1} << 52) - kNear);
  if (e2 > -1000 && e2 < 1000 && !near_power_of_4) {
    e = e2 >= 0 ? e2 / 2 : -((-e2 + 1) / 2);  // floor(e2 / 2)
  } else {
    const double norm = std::hypot(a, b);
    e = norm > 0 ? std::ilogb(norm) : f.emin;
  }
  e = std::max(e, f.emin);
  if (e - f.precision + 1 > 1023) return HUGE_VAL;  // an infinite norm, as std::ldexp gives
  return pow2(e - f.precision + 1);
}

// 1 / v for a power of two v in [2^-1022, 2^1022], exactly: the biased exponent mirrored about
// 1023 (2^k has field k + 1023, 2^-k field 1023 - k).
double reciprocal_pow2(double v) {
  const auto field = std::bit_cast<std::uint64_t>(v) >> 52;
  return std::bit_cast<double>((2046 - field) << 52);
}

// |got - (hi + lo)|, the error of one output against the exact value hi + lo. For f64 pipelines
// this is the true error, not the distance to the correctly rounded double (which would read 0
// for a correctly rounded output). NaN where a number was due, or the reverse, is +inf.
double pair_error(double got, double hi, double lo) {
  if (std::isnan(got) && std::isnan(hi)) return 0.0;
  if (got == hi && std::isinf(got)) return 0.0;
  const double err = std::fabs((got - hi) - lo);
  return std::isnan(err) ? HUGE_VAL : err;
}

// The head's outputs and reference values per pair, in pair order (loops over contiguous
// arrays vectorize; the channels of a pair are apart by the layout).
void gather_head(const RopeConfig& c, const double* y, const double* hi, const double* lo,
                 const double* rounded, HeadValues& v) {
  const auto n = static_cast<std::size_t>(c.pairs());
  const auto [a0, b0] = pair_channels(c.layout, c.rotary_dim, 0);
  const std::size_t step = c.layout == Layout::interleaved ? 2 : 1;
  const auto fa = static_cast<std::size_t>(a0), fb = static_cast<std::size_t>(b0);
  for (std::size_t i = 0; i < n; ++i) {
    v.got_a[i] = y[fa + step * i];
    v.got_b[i] = y[fb + step * i];
    v.hi_a[i] = hi[fa + step * i];
    v.hi_b[i] = hi[fb + step * i];
    v.lo_a[i] = lo[fa + step * i];
    v.lo_b[i] = lo[fb + step * i];
    v.rounded_a[i] = rounded[fa + step * i];
    v.rounded_b[i] = rounded[fb + step * i];
  }
}

// The ordinary case of every pair at once, without branches so that the loop vectorizes (an
// AVX2 clone chosen at load time): both errors pair_error would give, their size in ulps of the
// pair's norm as pair_ulp gives it, and whether each output is correctly rounded. A pair is
// special (measure_pair decides it, as the per-pair code always did) where any of these could
// go another way: a non-finite value, an error within its uncertainty of a threshold (the MPFR
// refinement), a squared norm near a power of 4 or of extreme exponent (hypot decides), or an
// ulp whose reciprocal is not a normal double. Elsewhere the same operations give the same
// values.
__attribute__((target_clones("avx2", "default"))) void pair_values(
    int pairs, const double* __restrict bound, const double* __restrict thresholds,
    std::size_t threshold_count, int precision, int emin, HeadValues& v) {
  const auto n = static_cast<std::size_t>(pairs);
  const double* __restrict ga = v.got_a.data();
  const double* __restrict gb = v.got_b.data();
  const double* __restrict ha = v.hi_a.data();
  const double* __restrict hb = v.hi_b.data();
  const double* __restrict la = v.lo_a.data();
  const double* __restrict lb = v.lo_b.data();
  const double* __restrict ra = v.rounded_a.data();
  const double* __restrict rb = v.rounded_b.data();
  double* __restrict err = v.err.data();
  double* __restrict err_ulp = v.err_ulp.data();
  std::int64_t* __restrict exact = v.exact.data();
  std::int64_t* __restrict special = v.special.data();
  double* __restrict slack = v.slack.data();
  constexpr std::uint64_t kMantissa = (std::uint64_t{1} << 52) - 1;
  constexpr std::uint64_t kNear = std::uint64_t{1} << 12;  // as pair_ulp
  // Simple loops, each of which the vectorizer takes.
  for (std::size_t i = 0; i < n; ++i) {
    const double da = ga[i] - ha[i], db = gb[i] - hb[i];
    const double ea = std::fabs(da - la[i]), eb = std::fabs(db - lb[i]);
    err[2 * i] = ea;
    err[2 * i + 1] = eb;
    // near_threshold's uncertainty of each error (spec/audit.md).
    slack[2 * i] = 2 * bound[i] + 0x1p-51 * (std::fabs(da) + ea);
    slack[2 * i + 1] = 2 * bound[i] + 0x1p-51 * (std::fabs(db) + eb);
  }
  for (std::size_t i = 0; i < n; ++i) {
    // pair_ulp's exponent arithmetic on the biased exponent field f of the squared norm
    // (e2 = f - 1023), in unsigned and 64-bit operations that AVX2 has (no arithmetic shift):
    // floor(e2 / 2) = floor((f + 1) / 2) - 512, and e2 is odd where f is even.
    const double s2 = ha[i] * ha[i] + hb[i] * hb[i];
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(s2);
    const std::uint64_t field = bits >> 52;
    const std::uint64_t mantissa = bits & kMantissa;
    const std::uint64_t near_power_of_4 =
        (field & 1) == 0 ? mantissa > kMantissa + 1 - kNear : mantissa < kNear;
    const auto half = static_cast<std::int64_t>((field + 1) >> 1) - 512;  // floor(e2 / 2)
    const std::int64_t e = half > emin ? half : std::int64_t{emin};       // max(., emin)
    const std::int64_t k = e - precision + 1;                             // ulp = 2^k
    const double inv_ulp =
        std::bit_cast<double>(static_cast<std::uint64_t>((1023 - k) & 0x7ff) << 52);
    err_ulp[2 * i] = err[2 * i] * inv_ulp;
    err_ulp[2 * i + 1] = err[2 * i + 1] * inv_ulp;
    special[i] = static_cast<std::int64_t>(
        near_power_of_4 | (field <= 1023 - 1000) | (field >= 1023 + 1000) |
        static_cast<std::uint64_t>(k < -1022) | static_cast<std::uint64_t>(k > 1022));
  }
  for (std::size_t i = 0; i < n; ++i) {
    special[i] |= static_cast<std::int64_t>(!(std::fabs(ga[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(std::fabs(gb[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(std::fabs(ha[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(std::fabs(hb[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(err[2 * i] <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(err[2 * i + 1] <= DBL_MAX));
    exact[2 * i] = static_cast<std::int64_t>(ga[i] == ra[i]);
    exact[2 * i + 1] = static_cast<std::int64_t>(gb[i] == rb[i]);
  }
  for (std::size_t t = 0; t < threshold_count; ++t) {
    const double threshold = thresholds[t];
    for (std::size_t i = 0; i < n; ++i)
      special[i] |=
          static_cast<std::int64_t>(std::fabs(err[2 * i] - threshold) <= slack[2 * i]) |
          static_cast<std::int64_t>(std::fabs(err[2 * i + 1] - threshold) <= slack[2 * i + 1]);
  }
}

}  // namespace ropecheck::audit
