#include "kernels/vectors/ulp_distance.hpp"

#include <cmath>

#include "kernels/vectors/dtype_codec.hpp"

namespace ropecheck::vectors {
namespace {

// The bits of |value| in `dtype`: consecutive representable magnitudes have consecutive codes.
std::uint64_t magnitude_code(double value, Dtype dtype) {
  const int width = dtype == Dtype::f64 ? 64 : dtype == Dtype::f32 ? 32 : 16;
  const std::uint64_t sign_bit = std::uint64_t{1} << (width - 1);
  return encode_bits(value, dtype) & (sign_bit - 1);
}

}  // namespace

std::uint64_t ulp_distance(double a, double b, Dtype dtype) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : kInfiniteUlps;
  const std::uint64_t ma = magnitude_code(a, dtype);
  const std::uint64_t mb = magnitude_code(b, dtype);
  if (ma == 0 || mb == 0 || std::signbit(a) == std::signbit(b)) return ma > mb ? ma - mb : mb - ma;
  return ma + mb;  // opposite signs: down to zero and up again (each code is below 2^63)
}

bool bitwise_equal(double a, double b, Dtype dtype) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return encode_bits(a, dtype) == encode_bits(b, dtype);
}

}  // namespace ropecheck::vectors
