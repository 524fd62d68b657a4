// The error every layer throws for a bad configuration or input: it names the offending key.
#pragma once

#include <stdexcept>
#include <string>

namespace ropecheck {

// A user-facing error: `what()` is one line naming what is wrong and what is accepted.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, const std::string& message)
      : std::runtime_error(key.empty() ? message : key + ": " + message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace ropecheck
