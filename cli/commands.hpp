// The ropecheck subcommands: each registers its options on the CLI11 app and returns the
// callback that runs it. Commands print and return an exit code; library code never does.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace ropecheck::cli {

// Exit codes of the command-line contract (spec/audit.md and spec/kernel-abi.md).
enum ExitCode : int { kPass = 0, kCheckFailed = 1, kBadInput = 2 };

using Runner = std::function<int()>;

Runner add_presets_command(CLI::App& app);
Runner add_impls_command(CLI::App& app);
Runner add_rotate_command(CLI::App& app);
Runner add_audit_command(CLI::App& app);
Runner add_merge_command(CLI::App& app);
Runner add_vectors_command(CLI::App& app);
Runner add_grade_command(CLI::App& app);
Runner add_check_command(CLI::App& app);

}  // namespace ropecheck::cli
