// Reading and writing floating-point values in JSON: numbers or exact C99 hex-float strings.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/hex_float.hpp"

namespace ropecheck {

// A JSON number, or a string holding a C99 hex float ("0x1.8p-3"), a decimal, "inf", "-inf"
// or "nan". Throws ConfigError naming `what` when it is neither.
double parse_json_value(const nlohmann::json& value, const std::string& what);

// A JSON value for a double: the number itself, or a string for inf/nan (JSON has neither).
nlohmann::json json_number(double value);

}  // namespace ropecheck
