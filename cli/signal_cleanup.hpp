// Temporaries removed if SIGINT or SIGTERM arrives while outputs are being written: a
// fixed-size table read by an async-signal-safe handler (unlink, rmdir, then the default action).
#pragma once

#include <string>

namespace ropecheck::cli {

// Registers a temporary file (or, with `directory`, a temporary directory, removed after the
// files) for removal on SIGINT/SIGTERM; installs the handler on first use. Throws
// std::length_error if the table is full (a fault of ropecheck: it holds far more than needed).
void remove_on_signal(const std::string& path, bool directory = false);

// Forgets a path registered with remove_on_signal (it was renamed into place or removed).
void keep_on_signal(const std::string& path);

}  // namespace ropecheck::cli
