#include "reference/rounding.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ropecheck::reference {
namespace {

// The nearest integer to x, ties to even, for |x| < 2^52 (adding 2^52 leaves no fraction bits,
// so the addition itself rounds to nearest-even; correct in the default rounding mode).
double nearest_integer(double x) {
  const double ax = std::fabs(x);
  if (!(ax < 0x1p52)) return x;
  return std::copysign((ax + 0x1p52) - 0x1p52, x);
}

}  // namespace

double canonical_nan() {
  return std::numeric_limits<double>::quiet_NaN();
}

double round_mpfr(mpfr_srcptr v, Dtype dtype) {
  if (mpfr_nan_p(v)) return canonical_nan();
  const bool negative = mpfr_signbit(v) != 0;
  const double sign = negative ? -1.0 : 1.0;
  if (mpfr_inf_p(v)) return sign * std::numeric_limits<double>::infinity();
  if (mpfr_zero_p(v)) return negative ? -0.0 : 0.0;
  const FormatParams f = format_params(dtype);
  const long e = static_cast<long>(mpfr_get_exp(v)) - 1;  // 2^e <= |v| < 2^(e+1)
  if (e > f.emax + 1) return sign * std::numeric_limits<double>::infinity();
  const long q = std::max<long>(e - f.p + 1, f.qmin);  // the quantum (ulp) exponent at v
  const long bits = e - q + 1;                         // significant bits at or above 2^q
  double out;
  if (bits >= 1) {
    // Rounding to `bits` significant bits is rounding to a multiple of 2^q; MPFR_RNDN is
    // ties-to-even, and the result fits a double exactly (<= 53 bits, exponent in range).
    Mp t = make_mp(static_cast<mpfr_prec_t>(bits));
    mpfr_set(raw(t), v, MPFR_RNDN);
    out = mpfr_get_d(raw(t), MPFR_RNDN);
  } else if (bits == 0) {
    // 2^(q-1) <= |v| < 2^q: the candidates are 0 and 2^q; the tie goes to 0 (even).
    out = mpfr_cmp_si_2exp(v, negative ? -1 : 1, q - 1) != 0 ? sign * pow2(static_cast<int>(q))
                                                             : sign * 0.0;
  } else {
    out = sign * 0.0;
  }
  if (std::fabs(out) > f.max_finite) out = sign * std::numeric_limits<double>::infinity();
  return out;
}

double round_double(double v, Dtype dtype) {
  if (std::isnan(v)) return canonical_nan();
  if (dtype == Dtype::f64 || std::isinf(v) || v == 0.0) return v;
  const FormatParams f = format_params(dtype);
  const int e = std::ilogb(v);
  if (e > f.emax + 1) return std::copysign(std::numeric_limits<double>::infinity(), v);
  const int q = std::max(e - f.p + 1, f.qmin);
  // v * 2^-q is exact: q >= qmin >= -149 keeps it normal, and |v * 2^-q| < 2^p <= 2^24.
  const double n = v * pow2(-q);
  double out = nearest_integer(n) * pow2(q);
  if (out == 0.0) out = std::copysign(0.0, v);
  if (std::fabs(out) > f.max_finite)
    out = std::copysign(std::numeric_limits<double>::infinity(), v);
  return out;
}

bool is_representable(double v, Dtype dtype) {
  if (std::isnan(v)) return true;
  return round_double(v, dtype) == v;
}

}  // namespace ropecheck::reference
