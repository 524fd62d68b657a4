// Library errors name parameters ("positions", "output directory"); the command line names the
// flag that sets them, so a user sees the option to change.
#pragma once

#include "core/config_error.hpp"

namespace ropecheck::cli {

// The same error under the flag's name when the key is a library parameter the CLI sets from a
// flag; otherwise the error unchanged.
ConfigError with_flag_name(const ConfigError& error);

}  // namespace ropecheck::cli
