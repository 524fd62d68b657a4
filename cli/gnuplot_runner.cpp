#include "cli/gnuplot_runner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "cli/output_files.hpp"
#include "core/config_error.hpp"

extern char** environ;

namespace ropecheck::cli {

std::string find_gnuplot(const std::string& option) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    if (dir.empty()) continue;  // an empty entry would mean the working directory: not searched
    const std::string candidate = std::string(dir) + "/gnuplot";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw ConfigError(option,
                    "the plot needs gnuplot, which is not on PATH; install it (Debian: "
                    "apt-get install gnuplot-nox, or bash ci/setup.sh); nothing was "
                    "written");
}

void run_gnuplot(const std::string& gnuplot_path, const std::string& script,
                 const std::string& directory, const std::string& option) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null",
                                     fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
  std::string program = gnuplot_path, argument = script;
  char* argv[] = {program.data(), argument.data(), nullptr};
  pid_t pid = 0;
  const int error = posix_spawn(&pid, gnuplot_path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0)
    throw ConfigError(option, fmt::format("cannot start {}: {}; nothing was written", gnuplot_path,
                                          std::strerror(error)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw ConfigError(option, fmt::format("lost track of gnuplot: {}", std::strerror(errno)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw ConfigError(option,
                      fmt::format("gnuplot failed to draw the plot ({} {}); nothing was "
                                  "written",
                                  WIFEXITED(status) ? "exit status" : "signal",
                                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)));
}

void draw_error_plot(OutputSet& files, const std::string& gnuplot_path, const std::string& data,
                     const std::string& script, const std::string& option) {
  files.write(kPlotData, data);
  // The script names its files relative to its own directory, where gnuplot runs: no path from
  // the command line reaches gnuplot, and the same script regenerates the plot later.
  files.write(kPlotScript, script);
  files.path(kPlotPng);
  files.path(kPlotSvg);
  run_gnuplot(gnuplot_path, kPlotScript, files.staging(), option);
  for (const char* plot : {kPlotPng, kPlotSvg})
    if (!std::filesystem::is_regular_file(std::filesystem::path(files.staging()) / plot))
      throw ConfigError(option, fmt::format("gnuplot did not write {}; nothing was written", plot));
}

}  // namespace ropecheck::cli
