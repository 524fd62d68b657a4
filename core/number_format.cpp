#include "core/number_format.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace ropecheck {

std::vector<Dtype> all_dtypes() { return {Dtype::f64, Dtype::f32, Dtype::bf16, Dtype::f16}; }

std::optional<Dtype> parse_dtype(std::string_view text) {
  if (text == "f64" || text == "float64") return Dtype::f64;
  if (text == "f32" || text == "float32") return Dtype::f32;
  if (text == "bf16" || text == "bfloat16") return Dtype::bf16;
  if (text == "f16" || text == "float16") return Dtype::f16;
  return std::nullopt;
}

std::string accepted_dtypes() { return "f64, f32, bf16, f16"; }

double round_to(double value, Dtype dtype) {
  if (dtype == Dtype::f64 || !std::isfinite(value) || value == 0) return value;
  const FormatTraits f = format_traits(dtype);
  // Scale so that the format's last place is 1, round to an integer (exact scaling by powers of
  // two; nearbyint rounds to nearest even), and scale back.
  const int exponent = std::max(std::ilogb(value), f.emin);
  const double scaled = std::nearbyint(std::ldexp(value, f.precision - 1 - exponent));
  const double rounded = std::ldexp(scaled, exponent - f.precision + 1);
  if (std::fabs(rounded) > f.max_finite) return std::copysign(HUGE_VAL, value);
  return rounded == 0 ? std::copysign(0.0, value) : rounded;
}

bool representable(double value, Dtype dtype) {
  if (!std::isfinite(value) || dtype == Dtype::f64) return true;
  const auto as_float = static_cast<float>(value);
  if (static_cast<double>(as_float) != value) return false;
  // The float is exact, so converting it on to the narrower format and back is a fair test.
  switch (dtype) {
    case Dtype::bf16: return static_cast<float>(Eigen::bfloat16(as_float)) == as_float;
    case Dtype::f16: return static_cast<float>(Eigen::half(as_float)) == as_float;
    default: return true;
  }
}

}  // namespace ropecheck
