// Running gnuplot without a shell: posix_spawn with an argument vector, in the directory that
// holds the script and its data, so no path is ever parsed by a shell or by gnuplot itself.
#pragma once

#include <string>

namespace ropecheck::cli {

// The full path of gnuplot on PATH; throws ConfigError(option) naming the missing tool when
// there is none (checked before an audit starts, since its plot is a requested output).
std::string find_gnuplot(const std::string& option);

// Runs `gnuplot_path script` with `directory` as working directory, stdin/stdout/stderr on
// /dev/null; throws ConfigError(option) if it cannot start or does not exit with 0.
void run_gnuplot(const std::string& gnuplot_path, const std::string& script,
                 const std::string& directory, const std::string& option);

}  // namespace ropecheck::cli
