#include "properties/check_support.hpp"

#include <cstdlib>
#include <fmt/format.h>

#include "core/hex_float.hpp"

namespace ropecheck::properties {

std::string channel_detail(int channel, double got, double expected) {
  return fmt::format("channel {} = {} (expected {})", channel, hex_float(got), hex_float(expected));
}

long double rotary_dot(const RopeConfig& c, const std::vector<double>& a,
                       const std::vector<double>& b) {
  long double sum = 0;
  for (int j = 0; j < c.rotary_dim; ++j) sum += static_cast<long double>(a[j]) * b[j];
  return sum;
}

long double rotary_norm(const RopeConfig& c, const std::vector<double>& a) {
  return std::sqrt(rotary_dot(c, a, a));
}

std::int64_t fold_position(std::int64_t position, std::int64_t limit) {
  if (std::llabs(position) <= limit) return position;
  return position % (limit + 1);
}

}  // namespace ropecheck::properties
