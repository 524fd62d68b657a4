#include "core/json_numbers.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

#include "core/config_error.hpp"

namespace ropecheck {

double parse_json_value(const nlohmann::json& value, const std::string& what) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (text == "inf" || text == "+inf" || text == "infinity") return HUGE_VAL;
    if (text == "-inf" || text == "-infinity") return -HUGE_VAL;
    if (text == "nan" || text == "-nan") return std::nan("");
    if (!text.empty()) {
      char* end = nullptr;
      errno = 0;
      const double parsed = std::strtod(text.c_str(), &end);
      // Overflow to inf is a typo, not a request for infinity; underflow is fine for hex floats.
      if (end == text.c_str() + text.size() && std::isfinite(parsed)) return parsed;
    }
  }
  throw ConfigError(what, fmt::format("must be a number or a hex-float string such as "
                                      "\"0x1.8p-3\" (or \"inf\", \"-inf\", \"nan\"), got {}",
                                      value.dump()));
}

nlohmann::json json_number(double value) {
  if (std::isfinite(value)) return value;
  return hex_float(value);
}

}  // namespace ropecheck
