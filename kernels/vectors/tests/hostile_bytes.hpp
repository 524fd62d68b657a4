// Helpers for building hostile file contents in tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "core/config_error.hpp"

namespace ropecheck::vectors::testing {

// Little-endian bytes of an integer.
inline std::string le_bytes(std::uint64_t value, int width) {
  std::string out;
  for (int i = 0; i < width; ++i) out += static_cast<char>(value >> (8 * i));
  return out;
}

// Expects `read` to throw ConfigError whose message names `file` and contains `fragment`.
inline void expect_config_error(const std::function<void()>& read, const std::string& file,
                                const std::string& fragment) {
  try {
    read();
    ADD_FAILURE() << "no ConfigError; expected one mentioning \"" << fragment << "\"";
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(file), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

}  // namespace ropecheck::vectors::testing
