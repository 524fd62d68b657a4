// Equality of two long texts (JSON dumps of results) for the tests that hold two paths to the
// same bytes: on failure, where they first differ and a stretch of each from there, not both
// texts whole.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace ropecheck::audit::testing {

inline ::testing::AssertionResult same_text(const std::string& a, const std::string& b) {
  if (a == b) return ::testing::AssertionSuccess();
  const auto at = static_cast<std::size_t>(
      std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
  return ::testing::AssertionFailure()
         << "first difference at character " << at << ": \"" << a.substr(at, 120) << "\" against \""
         << b.substr(at, 120) << "\"";
}

}  // namespace ropecheck::audit::testing
