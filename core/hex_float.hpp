// Hex floats: the C99 %a spelling of a double, which strtod reads back exactly, so every
// reported value replays bit for bit.
#pragma once

#include <string>

namespace ropecheck {

// "0x1.8p-3"; "inf", "-inf" and "nan" for the non-finite values (any NaN).
std::string hex_float(double value);

}  // namespace ropecheck
