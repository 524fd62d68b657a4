#include "kernels/vectors/ulp_distance.hpp"

#include <cmath>

#include "core/format_codec.hpp"

namespace ropecheck::vectors {

std::uint64_t ulp_distance(double a, double b, Dtype dtype) { return ulp_steps(a, b, dtype); }

bool bitwise_equal(double a, double b, Dtype dtype) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return encode_bits(a, dtype) == encode_bits(b, dtype);
}

}  // namespace ropecheck::vectors
