#include "cli/flag_names.hpp"

#include <map>
#include <string>

namespace ropecheck::cli {

ConfigError with_flag_name(const ConfigError& error) {
  static const std::map<std::string, std::string> flags = {
      {"positions", "--positions"},
      {"shard", "--shard"},
      {"shard count", "--shards"},
  };
  const auto it = flags.find(error.key());
  if (it == flags.end()) return error;
  // what() is "key: message" (core/config_error.hpp).
  const std::string what = error.what();
  return ConfigError(it->second, what.substr(error.key().size() + 2));
}

}  // namespace ropecheck::cli
