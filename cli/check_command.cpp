// `ropecheck check`: the property battery on a C ABI kernel plugin (spec/kernel-abi.md), with
// a summary table on stdout and optional JUnit XML and JSON files.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/hf_config.hpp"
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
  std::uint64_t memory_mib = 4096;
  std::uint64_t cpu_s = 600;
  std::uint64_t seed = 20261123;
  int cases = 0;  // 0: $ROPECHECK_CHECK_CASES, else 50
  bool list = false;
  bool verbose = false;
};

// Cases per property: --cases, else $ROPECHECK_CHECK_CASES (CI sets a small number for slow
// builds such as sanitizers), else 50.
int cases_per_property(int given) {
  if (given != 0) {
    if (given < 1 || given > 100000) throw ConfigError("--cases", "must lie in 1..100000");
    return given;
  }
  const char* env = std::getenv("ROPECHECK_CHECK_CASES");
  if (env == nullptr || *env == '\0') return 50;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(env, &end, 10);
  if (errno != 0 || *end != '\0' || value < 1 || value > 100000)
    throw ConfigError("ROPECHECK_CHECK_CASES", fmt::format("must be an integer in 1..100000, got "
                                                           "\"{}\"", env));
  return static_cast<int>(value);
}

// The configurations named by --preset (any number), --hf-config or --config (one each, with
// --layer-type for per-layer configs), as `audit` takes them; empty: the default set.
std::vector<properties::NamedConfig> selected_configs(const CheckArgs& args) {
  std::vector<properties::NamedConfig> out;
  for (const std::string& name : args.presets) out.push_back({name, find_preset(name).rope});
  const HfConfigOptions options{.layer_type = args.layer_type.empty() ? "full_attention" : args.layer_type};
  const std::string suffix = args.layer_type.empty() ? "" : " (" + args.layer_type + ")";
  if (!args.hf_config.empty()) {
    std::ifstream file(args.hf_config);
    if (!file) throw ConfigError("--hf-config", "cannot read file " + args.hf_config);
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(file);
    } catch (const nlohmann::json::parse_error& error) {
      throw ConfigError("--hf-config", args.hf_config + " is not valid JSON: " + error.what());
    }
    out.push_back({std::filesystem::path(args.hf_config).filename().string() + suffix,
                   parse_hf_config(json, options)});
  }
  if (!args.config_json.empty()) {
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(args.config_json);
    } catch (const nlohmann::json::parse_error& error) {
      throw ConfigError("--config", std::string("is not valid JSON: ") + error.what());
    }
    out.push_back({"config" + suffix, parse_hf_config(json, options)});
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
      throw ConfigError("--dtype", fmt::format("unknown \"{}\"; accepted: {}", args.dtype,
                                               accepted_dtypes()));
  }
  o.configs = selected_configs(args);
  o.bound = args.bound;
  if (!(args.timeout_s > 0) || !std::isfinite(args.timeout_s) || args.timeout_s > 86400)
    throw ConfigError("--timeout", "must be a number of seconds in (0, 86400]");
  o.limits.timeout = std::chrono::milliseconds(static_cast<long>(std::ceil(args.timeout_s * 1000)));
  if (!(args.time_budget_s > 0) || !std::isfinite(args.time_budget_s) || args.time_budget_s > 1e6)
    throw ConfigError("--time-budget", "must be a number of seconds in (0, 1000000]");
  o.time_budget = std::chrono::milliseconds(static_cast<long>(std::ceil(args.time_budget_s * 1000)));
  if (args.memory_mib < 64 || args.memory_mib > (std::uint64_t{1} << 24))
    throw ConfigError("--memory-limit", "must be a number of MiB in 64..16777216");
  o.limits.memory_bytes = args.memory_mib << 20;
  if (args.cpu_s < 1 || args.cpu_s > 1000000)
    throw ConfigError("--cpu-limit", "must be a number of seconds in 1..1000000");
  o.limits.cpu_seconds = args.cpu_s;
  o.seed = args.seed;
  o.cases_per_property = cases_per_property(args.cases);
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
    std::cout << fmt::format("{:<28} {:<16} {:<18} {:<9} {}\n", k.name,
                             kernels::dtype_mask_names(k.dtypes),
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
  sub->add_option("--config", args->config_json, "Also check inline JSON of Hugging Face config keys");
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
  sub->add_flag("--list", args->list, "List the library's kernels and exit");
  sub->add_flag("--verbose", args->verbose,
                "Print each failure's counterexample (inputs in hex) below the table");
  return [args] {
    const kernels::CheckOptions options = build_options(*args);
    if (args->list) return list_kernels(args->kernel, options.limits);
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
