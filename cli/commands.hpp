// The ropecheck subcommands: each registers its options on the CLI11 app and returns the
// callback that runs it. Commands print and return an exit code; library code never does.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace ropecheck::cli {

// Exit codes of the command-line contract (README "Exit codes"): 1 only ever means that a check
// ran and failed; bad usage or input is 2; anything unexpected inside ropecheck is 3.
enum ExitCode : int { kPass = 0, kCheckFailed = 1, kBadInput = 2, kInternalError = 3 };

// The exit-code paragraph shown at the end of every --help.
inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 pass; 1 a check ran and failed; 2 bad usage or input (one line on stderr "
    "names it); 3 internal error.";

using Runner = std::function<int()>;

Runner add_presets_command(CLI::App& app);
Runner add_impls_command(CLI::App& app);
Runner add_rotate_command(CLI::App& app);
Runner add_audit_command(CLI::App& app);
Runner add_merge_command(CLI::App& app);
Runner add_vectors_command(CLI::App& app);
Runner add_grade_command(CLI::App& app);
Runner add_check_command(CLI::App& app);
Runner add_config_command(CLI::App& app);

}  // namespace ropecheck::cli
