// `ropecheck check`: the property battery on a C ABI kernel plugin (spec/kernel-abi.md), with
// a summary table on stdout and optional JUnit XML and JSON files.
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/presets.hpp"
#include "kernels/plugin/check_report.hpp"
#include "kernels/plugin/check_run.hpp"

namespace ropecheck::cli {
namespace {

struct CheckArgs {
  std::string kernel, kernel_name, dtype, bound, junit, json;
  std::vector<std::string> presets;
  double timeout_s = 10;
  std::uint64_t seed = 20261123;
  int cases = 50;
  bool list = false;
  bool verbose = false;
};

kernels::CheckOptions build_options(const CheckArgs& args) {
  kernels::CheckOptions o;
  o.library = args.kernel;
  o.kernel_name = args.kernel_name;
  if (!args.dtype.empty()) {
    o.dtype = parse_dtype(args.dtype);
    if (!o.dtype)
      throw ConfigError("--dtype", fmt::format("unknown \"{}\"; accepted: {}", args.dtype,
                                               accepted_dtypes()));
  }
  for (const std::string& name : args.presets) o.configs.push_back({name, find_preset(name).rope});
  o.bound = args.bound;
  if (!(args.timeout_s > 0) || !std::isfinite(args.timeout_s) || args.timeout_s > 86400)
    throw ConfigError("--timeout", "must be a number of seconds in (0, 86400]");
  o.timeout = std::chrono::milliseconds(static_cast<long>(std::ceil(args.timeout_s * 1000)));
  o.seed = args.seed;
  if (args.cases < 1 || args.cases > 100000) throw ConfigError("--cases", "must lie in 1..100000");
  o.cases_per_property = args.cases;
  return o;
}

// Lists the kernels of a library without running them.
int list_kernels(const std::string& path) {
  const auto library = kernels::PluginLibrary::open(path);
  std::cout << fmt::format("{:<28} {:<16} {:<18} {:<9} {}\n", "kernel", "dtypes", "layouts",
                           "angles", "description");
  for (const kernels::KernelInfo& k : library->kernels())
    std::cout << fmt::format("{:<28} {:<16} {:<18} {:<9} {}\n", k.name,
                             kernels::dtype_mask_names(k.dtypes),
                             kernels::layout_mask_names(k.layouts),
                             k.angle_mode == RC_ANGLES_COS_SIN_CACHE ? "cos/sin" : "computed",
                             k.description);
  return kPass;
}

// Writes `content` to `path` all-or-nothing (through OutputFiles in the file's directory).
std::unique_ptr<OutputFiles> stage_file(const std::string& path, const std::string& option,
                                        const std::string& content) {
  const std::filesystem::path target(path);
  if (target.filename().empty()) throw ConfigError(option, "needs a file name, got " + path);
  auto files = std::make_unique<OutputFiles>(
      target.has_parent_path() ? target.parent_path().string() : std::string("."));
  files->write(target.filename().string(), content);
  return files;
}

}  // namespace

Runner add_check_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "check", "Run the property battery on a C ABI kernel plugin (spec/kernel-abi.md)");
  auto args = std::make_shared<CheckArgs>();
  sub->add_option("--kernel", args->kernel, "Plugin shared library (LIB.so)")->required();
  sub->add_option("--kernel-name", args->kernel_name, "Check only this kernel of the library");
  sub->add_option("--preset", args->presets,
                  "Configurations to check (default: a representative set of presets)");
  sub->add_option("--dtype", args->dtype, "Check only this dtype of each kernel");
  sub->add_option("--bound", args->bound,
                  "Pipeline whose error bound the kernel is held to (default: its own claim, "
                  "else f64/f32/bf16-hf by dtype)");
  sub->add_option("--junit", args->junit, "Write JUnit XML to this file");
  sub->add_option("--json", args->json, "Write the full results as JSON to this file");
  sub->add_option("--timeout", args->timeout_s,
                  "Seconds one kernel call may take before it is reported as a hang (default 10)");
  sub->add_option("--seed", args->seed, "Seed of the random cases");
  sub->add_option("--cases", args->cases, "Random cases per property and configuration");
  sub->add_flag("--list", args->list, "List the library's kernels and exit");
  sub->add_flag("--verbose", args->verbose,
                "Print each failure's counterexample (inputs in hex) below the table");
  return [args] {
    if (args->list) return list_kernels(args->kernel);
    const kernels::CheckOptions options = build_options(*args);
    const kernels::CheckReport report = kernels::run_check(
        options, [](const std::string& subject, const std::string& config) {
          std::cerr << fmt::format("ropecheck check: {} on {}\n", subject, config);
        });
    std::cout << kernels::summary_table(report, args->verbose) << std::flush;
    std::vector<std::unique_ptr<OutputFiles>> staged;
    if (!args->junit.empty())
      staged.push_back(stage_file(args->junit, "--junit", kernels::junit_xml(report)));
    if (!args->json.empty())
      staged.push_back(stage_file(args->json, "--json", kernels::check_json(report).dump(2) + "\n"));
    for (auto& files : staged) files->commit();
    return int{report.passed() ? kPass : kCheckFailed};
  };
}

}  // namespace ropecheck::cli
