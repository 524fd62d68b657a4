// The parameters of an output format as the rounding code uses them (no MPFR here, so that the
// fast path's kernels include nothing heavier than this).
#pragma once

#include <bit>
#include <cstdint>

#include "core/number_format.hpp"

namespace ropecheck::reference {

// Normal numbers are 1.f x 2^e with emin <= e <= emax and p significant bits; every finite
// value is a multiple of 2^qmin.
struct FormatParams {
  int p;  // precision, implicit bit included
  int emin;
  int emax;
  int qmin;           // exponent of the smallest subnormal: emin - p + 1
  double max_finite;  // (2 - 2^(1-p)) * 2^emax
  double half_pow;    // 2^(p-1): the integer significand of a power of two
};

constexpr FormatParams format_params(Dtype dtype) {
  const FormatTraits t = format_traits(dtype);
  double half_pow = 1.0;
  for (int i = 1; i < t.precision; ++i) half_pow *= 2.0;
  return {t.precision, t.emin, t.emax, t.emin - t.precision + 1, t.max_finite, half_pow};
}

// 2^k as a double, for -1074 <= k <= 1023 (subnormal powers included).
inline double pow2(int k) {
  if (k >= -1022) return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
  return std::bit_cast<double>(std::uint64_t{1} << (k + 1074));
}

}  // namespace ropecheck::reference
