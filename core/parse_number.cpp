#include "core/parse_number.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/config_error.hpp"

namespace ropecheck {
namespace {

template <typename T>
[[noreturn]] void out_of_range(std::string_view text, const std::string& what, T min, T max) {
  throw ConfigError(what, fmt::format("\"{}\" is not an integer in {}..{}", text, min, max));
}

}  // namespace

std::int64_t parse_integer(std::string_view text, const std::string& what, std::int64_t min,
                           std::int64_t max) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, 10);
  if (text.empty() || error != std::errc() || stop != end || value < min || value > max)
    out_of_range(text, what, min, max);
  return value;
}

std::uint64_t parse_unsigned(std::string_view text, const std::string& what, std::uint64_t max) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  // from_chars for unsigned types refuses a minus sign, so "-1" cannot wrap.
  const auto [stop, error] = std::from_chars(text.data(), end, value, 10);
  if (text.empty() || error != std::errc() || stop != end || value > max)
    out_of_range(text, what, std::uint64_t{0}, max);
  return value;
}

double parse_decimal(std::string_view text, const std::string& what, double min, double max) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value) || value < min ||
      value > max)
    throw ConfigError(what,
                      fmt::format("\"{}\" is not a decimal number in {}..{}", text, min, max));
  return value;
}

std::int64_t json_integer(const nlohmann::json& value, const std::string& what, std::int64_t min,
                          std::int64_t max) {
  const auto bad = [&] {
    throw ConfigError(
        what, fmt::format("must be an integer in {}..{}, got {}", min, max,
                          value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  };
  if (max < min || max < 0) bad();
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(max) || (min > 0 && v < static_cast<std::uint64_t>(min)))
      bad();
    return static_cast<std::int64_t>(v);
  }
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v < min || v > max) bad();
    return v;
  }
  if (value.is_number_float()) {
    // 3.0 is the integer 3; doubles above 2^63 would not convert, so compare as doubles first.
    const double v = value.get<double>();
    if (!(v == std::floor(v)) || !(v >= static_cast<double>(min)) ||
        !(v <= static_cast<double>(max)) || std::fabs(v) >= 9.2e18)
      bad();
    return static_cast<std::int64_t>(v);
  }
  bad();
  return 0;  // unreachable
}

}  // namespace ropecheck
