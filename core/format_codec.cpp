#include "core/format_codec.hpp"

#include <bit>
#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

#include "core/hex_float.hpp"

namespace ropecheck {
namespace {

// The exponent e of the leading bit of a finite nonzero |value|: 2^e <= |value| < 2^(e+1).
int leading_exponent(double value) {
  int e = 0;
  std::frexp(value, &e);
  return e - 1;
}

std::uint64_t encode_f16(double value) {
  const std::uint64_t sign = std::signbit(value) ? 0x8000 : 0;
  if (std::isnan(value)) return 0x7E00;
  if (std::isinf(value)) return sign | 0x7C00;
  const double magnitude = std::fabs(value);
  if (magnitude == 0) return sign;
  const int e = leading_exponent(magnitude);
  if (e < -14) return sign | static_cast<std::uint64_t>(std::ldexp(magnitude, 24));  // subnormal
  const auto fraction = static_cast<std::uint64_t>(std::ldexp(magnitude, 10 - e)) - 1024;
  return sign | (static_cast<std::uint64_t>(e + 15) << 10) | fraction;
}

double decode_f16(std::uint64_t bits) {
  const double sign = (bits & 0x8000) ? -1.0 : 1.0;
  const int exponent = static_cast<int>((bits >> 10) & 0x1F);
  const auto fraction = static_cast<double>(bits & 0x3FF);
  if (exponent == 0x1F) return fraction == 0 ? sign * INFINITY : NAN;
  if (exponent == 0) return sign * std::ldexp(fraction, -24);
  return sign * std::ldexp(1024 + fraction, exponent - 25);
}

}  // namespace

std::uint64_t encode_bits(double value, Dtype dtype) {
  if (!representable(value, dtype))
    throw std::invalid_argument(fmt::format("encode_bits: {} is not exact in {}",
                                            hex_float(value), dtype_name(dtype)));
  switch (dtype) {
    case Dtype::f64:
      return std::isnan(value) ? 0x7FF8000000000000ULL : std::bit_cast<std::uint64_t>(value);
    case Dtype::f32:
      return std::isnan(value) ? 0x7FC00000U
                               : std::bit_cast<std::uint32_t>(static_cast<float>(value));
    case Dtype::bf16:
      return std::isnan(value) ? 0x7FC0U
                               : std::bit_cast<std::uint32_t>(static_cast<float>(value)) >> 16;
    case Dtype::f16: return encode_f16(value);
  }
  return 0;
}

double decode_bits(std::uint64_t bits, Dtype dtype) {
  switch (dtype) {
    case Dtype::f64: return std::bit_cast<double>(bits);
    case Dtype::f32: return std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    case Dtype::bf16:
      return std::bit_cast<float>(static_cast<std::uint32_t>((bits & 0xFFFF) << 16));
    case Dtype::f16: return decode_f16(bits & 0xFFFF);
  }
  return 0;
}

int format_bits(Dtype dtype) {
  switch (dtype) {
    case Dtype::f64: return 64;
    case Dtype::f32: return 32;
    case Dtype::bf16:
    case Dtype::f16: return 16;
  }
  return 64;
}

}  // namespace ropecheck
