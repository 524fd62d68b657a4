// `ropecheck check`: the property battery on a C ABI kernel plugin (spec/kernel-abi.md), with
// a summary table on stdout and optional JUnit XML and JSON files.
#include <fmt/format.h>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/json_input.hpp"
#include "core/parse_number.hpp"
#include "core/presets.hpp"
#include "kernels/plugin/check_report.hpp"
#include "kernels/plugin/check_run.hpp"

namespace ropecheck::cli {
namespace {

struct CheckArgs {
  std::string kernel, kernel_name, dtype, bound, junit, json;
  std::vector<std::string> presets;
  std::string hf_config, config_json, layer_type;
  double timeout_s = 10;
  double time_budget_s = 3600;
  // Integer options are taken as text and parsed strictly (parse_number.hpp): CLI11 would wrap
  // "--seed -1" to 2^64 - 1.
  std::string memory_mib = "4096", cpu_s = "600", seed = "20261123";
  std::string cases;           // empty: $ROPECHECK_CHECK_CASES, else 50
  std::string shrink_seconds;  // empty: $ROPECHECK_CHECK_SHRINK_SECONDS, else 20
  bool list = false;
  bool verbose = false;
};

// An option that CI may lower for slow builds such as the sanitizers': the option's text, else
// the environment variable's, else empty (the default), with the name to report it under.
std::pair<std::string, std::string> option_or_environment(const std::string& given,
                                                          const std::string& option,
                                                          const char* variable) {
  if (!given.empty()) return {given, option};
  const char* env = std::getenv(variable);
  if (env == nullptr || *env == '\0') return {"", variable};
  return {env, variable};
}

// The configurations named by --preset (any number), --hf-config or --config (one each, with
// --layer-type for per-layer configs), as `audit` takes them; empty: the default set.
std::vector<properties::NamedConfig> selected_configs(const CheckArgs& args) {
  std::vector<properties::NamedConfig> out;
  for (const std::string& name : args.presets) out.push_back({name, find_preset(name).rope});
  const HfConfigOptions options{.layer_type =
                                    args.layer_type.empty() ? "full_attention" : args.layer_type};
  const std::string suffix = args.layer_type.empty() ? "" : " (" + args.layer_type + ")";
  if (!args.hf_config.empty()) {
    // User JSON goes through the limited reader (size, nesting depth, UTF-8, overflows).
    const nlohmann::json json = read_json_file(args.hf_config, "--hf-config");
    out.push_back({std::filesystem::path(args.hf_config).filename().string() + suffix,
                   parse_hf_config(json, options)});
  }
  if (!args.config_json.empty()) {
    out.push_back({"config" + suffix,
                   parse_hf_config(parse_json_text(args.config_json, "--config"), options)});
  }
  if (!args.layer_type.empty() && args.hf_config.empty() && args.config_json.empty())
    throw ConfigError("--layer-type", "applies to --hf-config or --config only");
  return out;
}

kernels::CheckOptions build_options(const CheckArgs& args) {
  kernels::CheckOptions o;
  o.library = args.kernel;
  o.kernel_name = args.kernel_name;
  if (!args.dtype.empty()) {
    o.dtype = parse_dtype(args.dtype);
    if (!o.dtype)
      throw ConfigError("--dtype",
                        fmt::format("unknown \"{}\"; accepted: {}", args.dtype, accepted_dtypes()));
  }
  o.configs = selected_configs(args);
  o.bound = args.bound;
  if (!(args.timeout_s > 0) || !std::isfinite(args.timeout_s) || args.timeout_s > 86400)
    throw ConfigError("--timeout", "must be a number of seconds in (0, 86400]");
  o.limits.timeout = std::chrono::milliseconds(static_cast<long>(std::ceil(args.timeout_s * 1000)));
  if (!(args.time_budget_s > 0) || !std::isfinite(args.time_budget_s) || args.time_budget_s > 1e6)
    throw ConfigError("--time-budget", "must be a number of seconds in (0, 1000000]");
  o.time_budget =
      std::chrono::milliseconds(static_cast<long>(std::ceil(args.time_budget_s * 1000)));
  o.limits.memory_bytes = static_cast<std::uint64_t>(parse_integer(
                              args.memory_mib, "--memory-limit (MiB)", 64, std::int64_t{1} << 24))
                          << 20;
  o.limits.cpu_seconds =
      static_cast<std::uint64_t>(parse_integer(args.cpu_s, "--cpu-limit (seconds)", 1, 1000000));
  o.seed = parse_unsigned(args.seed, "--seed", UINT64_MAX);
  const auto [cases, cases_name] =
      option_or_environment(args.cases, "--cases", "ROPECHECK_CHECK_CASES");
  o.cases_per_property =
      cases.empty() ? 50 : static_cast<int>(parse_integer(cases, cases_name, 1, 100000));
  const auto [shrink, shrink_name] = option_or_environment(args.shrink_seconds, "--shrink-seconds",
                                                           "ROPECHECK_CHECK_SHRINK_SECONDS");
  const double shrink_s = shrink.empty() ? 20 : parse_decimal(shrink, shrink_name, 0, 86400);
  o.shrink_budget = std::chrono::milliseconds(static_cast<long>(std::ceil(shrink_s * 1000)));
  return o;
}

// Lists the kernels of a library without running them.
int list_kernels(const std::string& path, const kernels::WorkerLimits& limits) {
  std::shared_ptr<kernels::PluginLibrary> library;
  try {
    library = kernels::PluginLibrary::open(path, limits);
  } catch (const kernels::PluginLoadFailure& failure) {
    std::cout << fmt::format("FAIL: the library failed while a worker loaded it: {}\n",
                             kernels::plugin_text(failure.what(), 400));
    return kCheckFailed;
  }
  std::cout << fmt::format("{:<28} {:<16} {:<18} {:<9} {}\n", "kernel", "dtypes", "layouts",
                           "angles", "description");
  for (const kernels::KernelInfo& k : library->kernels())
    std::cout << fmt::format(
        "{:<28} {:<16} {:<18} {:<9} {}\n", k.name, kernels::dtype_mask_names(k.dtypes),
        kernels::layout_mask_names(k.layouts),
        k.angle_mode == RC_ANGLES_COS_SIN_CACHE ? "cos/sin" : "computed",
        k.description.empty() ? "" : "\"" + kernels::plugin_text(k.description) + "\"");
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
                  "Configurations to check, by preset name (repeatable; default: a set covering "
                  "every scaling variant)");
  sub->add_option("--hf-config", args->hf_config, "Also check a model's own config.json");
  sub->add_option("--config", args->config_json,
                  "Also check inline JSON of Hugging Face config keys");
  sub->add_option("--layer-type", args->layer_type,
                  "Layer type for per-layer configs given with --hf-config/--config (Gemma 3)");
  sub->add_option("--dtype", args->dtype, "Check only this dtype of each kernel");
  sub->add_option("--bound", args->bound,
                  "Pipeline whose error bound the kernel is held to (default: its own claim, "
                  "else f64/f32/bf16-hf by dtype)");
  sub->add_option("--junit", args->junit, "Write JUnit XML to this file");
  sub->add_option("--json", args->json, "Write the full results as JSON to this file");
  sub->add_option("--timeout", args->timeout_s,
                  "Seconds one kernel call may take before it is reported as a hang (default 10)");
  sub->add_option("--time-budget", args->time_budget_s,
                  "Seconds the whole run may take; work not started by then is reported as not "
                  "run and the run fails (default 3600)");
  sub->add_option("--memory-limit", args->memory_mib,
                  "Address-space limit of each worker process, in MiB (default 4096)");
  sub->add_option("--cpu-limit", args->cpu_s,
                  "CPU seconds each worker process may use in all (default 600)");
  sub->add_option("--seed", args->seed,
                  "Seed of the random cases (boundary cases and the sweep do not depend on it)");
  sub->add_option("--cases", args->cases,
                  "Random cases per property and configuration (default $ROPECHECK_CHECK_CASES, "
                  "else 50)");
  sub->add_option("--shrink-seconds", args->shrink_seconds,
                  "Seconds spent shrinking each failing property's counterexample (a decimal); "
                  "the smallest failing case by then is reported (default "
                  "$ROPECHECK_CHECK_SHRINK_SECONDS, else 20; 0: the first failing case)");
  sub->add_flag("--list", args->list, "List the library's kernels and exit");
  sub->add_flag("--verbose", args->verbose,
                "Print each failure's counterexample (inputs in hex) below the table");
  return [args] {
    const kernels::CheckOptions options = build_options(*args);
    if (args->list) return list_kernels(args->kernel, options.limits);
    // Output paths are checked before the run, not after minutes of work.
    if (!args->junit.empty()) check_output_file(args->junit, "--junit");
    if (!args->json.empty()) check_output_file(args->json, "--json");
    const kernels::CheckReport report =
        kernels::run_check(options, [](const std::string& subject, const std::string& config) {
          std::cerr << fmt::format("ropecheck check: {} on {}\n", subject, config);
        });
    std::cout << kernels::summary_table(report, args->verbose) << std::flush;
    std::vector<std::unique_ptr<OutputFiles>> staged;
    if (!args->junit.empty())
      staged.push_back(stage_file(args->junit, "--junit", kernels::junit_xml(report)));
    if (!args->json.empty())
      staged.push_back(
          stage_file(args->json, "--json", dump_json(kernels::check_json(report), 2) + "\n"));
    for (auto& files : staged) files->commit();
    return int{report.passed() ? kPass : kCheckFailed};
  };
}

}  // namespace ropecheck::cli
