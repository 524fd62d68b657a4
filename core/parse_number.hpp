// Strict integer parsing for command-line options and JSON values: the whole text must be a
// decimal integer inside the stated range, so that nothing wraps, saturates or is truncated.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace ropecheck {

// A decimal integer in [min, max] ("-12", "4096"; no spaces, signs other than a leading '-',
// or other bases); throws ConfigError naming `what` and the accepted range otherwise.
std::int64_t parse_integer(std::string_view text, const std::string& what, std::int64_t min,
                           std::int64_t max);

// A decimal integer in [0, max]; "-1" is refused, not wrapped to 2^64 - 1.
std::uint64_t parse_unsigned(std::string_view text, const std::string& what, std::uint64_t max);

// A finite decimal number in [min, max] ("0.25", "2", "1e-3"; no spaces, hex, inf or nan);
// throws ConfigError naming `what` and the accepted range otherwise.
double parse_decimal(std::string_view text, const std::string& what, double min, double max);

// A JSON integer (an integral number, 3 or 3.0) in [min, max]; throws ConfigError naming `what`.
std::int64_t json_integer(const nlohmann::json& value, const std::string& what, std::int64_t min,
                          std::int64_t max);

}  // namespace ropecheck
