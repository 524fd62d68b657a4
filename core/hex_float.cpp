#include "core/hex_float.hpp"

#include <cmath>
#include <fmt/format.h>

namespace ropecheck {

std::string hex_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return fmt::format("{:a}", value);
}

}  // namespace ropecheck
