#include "core/ulp.hpp"

#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

#include "core/hex_float.hpp"

namespace ropecheck {
namespace {

// The count of non-negative values of the format below v >= 0 (so ordinal(+0) = 0): 2^(p-1)
// values in each binade from emin up, and the subnormals below as multiples of 2^(emin-p+1).
std::int64_t positive_ordinal(double v, const FormatTraits& f) {
  if (std::isinf(v)) return positive_ordinal(f.max_finite, f) + 1;
  const double quantum = std::ldexp(1.0, f.emin - f.precision + 1);
  if (v < std::ldexp(1.0, f.emin)) return static_cast<std::int64_t>(v / quantum);  // subnormal
  const int e = std::ilogb(v);
  const std::int64_t per_binade = std::int64_t{1} << (f.precision - 1);
  const auto significand = static_cast<std::int64_t>(std::ldexp(v, f.precision - 1 - e));
  return (e - f.emin + 1) * per_binade + (significand - per_binade);
}

}  // namespace

double format_ulp(double v, Dtype dtype) {
  const FormatTraits f = format_traits(dtype);
  if (std::isnan(v)) return v;
  const double magnitude = std::fabs(v);
  if (magnitude < std::ldexp(1.0, f.emin)) return std::ldexp(1.0, f.emin - f.precision + 1);
  const int e = std::isinf(magnitude) || magnitude > f.max_finite ? f.emax : std::ilogb(magnitude);
  return std::ldexp(1.0, e - f.precision + 1);
}

std::int64_t format_ordinal(double v, Dtype dtype) {
  if (std::isnan(v)) throw std::invalid_argument("format_ordinal: NaN has no ordinal");
  if (!representable(v, dtype))
    throw std::invalid_argument(fmt::format("format_ordinal: {} is not a {} value", hex_float(v),
                                            dtype_name(dtype)));
  const std::int64_t k = positive_ordinal(std::fabs(v), format_traits(dtype));
  return std::signbit(v) ? -k : k;
}

std::uint64_t ulp_steps(double a, double b, Dtype dtype) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : kInfiniteUlps;
  const std::int64_t oa = format_ordinal(a, dtype), ob = format_ordinal(b, dtype);
  // |oa - ob| < 2^64 always; computed without signed overflow.
  return oa > ob ? static_cast<std::uint64_t>(oa) - static_cast<std::uint64_t>(ob)
                 : static_cast<std::uint64_t>(ob) - static_cast<std::uint64_t>(oa);
}

}  // namespace ropecheck
