#include "kernels/plugin/check_run.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/presets.hpp"
#include "kernels/plugin/batch_shape_probe.hpp"
#include "properties/error_model.hpp"

namespace ropecheck::kernels {
namespace {

// One finding per kernel-level property, from the events and counters of a configuration.
void add_kernel_findings(const std::string& config, const KernelStats& stats,
                         std::vector<properties::Finding>& out) {
  struct Rule {
    const char* property;
    const char* kind;
  };
  for (const Rule& rule :
       {Rule{kNoCrash, "crash"}, Rule{kNoHang, "hang"}, Rule{kInBounds, "out-of-bounds"},
        Rule{kInputsUntouched, "input-write"}, Rule{kNoErrorReturn, "error"},
        Rule{kBoundedOutput, "output"}, Rule{kNoStrayProcesses, "stray-process"}}) {
    properties::Finding f;
    f.property = rule.property;
    f.config = config;
    f.cases = static_cast<int>(stats.calls);
    const auto count = stats.event_counts.find(rule.kind);
    if (count != stats.event_counts.end() && count->second > 0) {
      f.passed = false;
      f.measured = static_cast<double>(count->second);
      for (const KernelEvent& e : stats.events) {
        if (e.kind != rule.kind) continue;
        f.position = e.position;
        f.detail =
            fmt::format("{} ({} time{})", e.what, count->second, count->second == 1 ? "" : "s");
        break;
      }
    }
    out.push_back(std::move(f));
  }
  properties::Finding nan;
  nan.property = kFiniteOutputs;
  nan.config = config;
  nan.cases = static_cast<int>(stats.calls);
  if (stats.nan_outputs > 0) {
    nan.passed = false;
    nan.measured = static_cast<double>(stats.nan_outputs);
    nan.detail = fmt::format("{} NaN outputs for finite inputs (in {} rows checked)",
                             stats.nan_outputs, stats.rows);
  }
  out.push_back(std::move(nan));
  properties::Finding written;
  written.property = kAllWritten;
  written.config = config;
  written.cases = static_cast<int>(stats.calls);
  if (stats.unwritten_outputs > 0) {
    written.passed = false;
    written.measured = static_cast<double>(stats.unwritten_outputs);
    written.detail = fmt::format("{} outputs never written (still hold ropecheck's NaN fill)",
                                 stats.unwritten_outputs);
  }
  out.push_back(std::move(written));
}

// `limit`: the largest position the kernel accepts.
ConfigOutcome check_config(const PluginSubject& subject, const properties::NamedConfig& named,
                           const CheckOptions& options, std::int64_t limit,
                           std::optional<std::chrono::steady_clock::time_point> deadline) {
  ConfigOutcome outcome;
  outcome.config = named.name;
  const PluginSubject::Support answer = subject.support(named.config);
  if (answer.failed) {
    // supports() crashed or hung: the kernel-level findings below fail; nothing else can run.
    outcome.stats = subject.take_stats();
    add_kernel_findings(named.name, outcome.stats, outcome.findings);
    return outcome;
  }
  if (!answer.supported) {
    outcome.skipped = answer.reason;
    outcome.stats = subject.take_stats();
    return outcome;
  }
  properties::BatteryOptions battery;
  battery.configs = {named};
  battery.seed = options.seed;
  battery.cases_per_property = options.cases_per_property;
  battery.shrink_budget = options.shrink_budget;
  battery.deadline = deadline;
  // Properties combine two positions (m + n, m + t), so each is drawn up to half the limit.
  battery.max_position = std::min(battery.max_position, limit / 2);
  try {
    const properties::BatteryReport run = properties::run_battery(subject, battery);
    outcome.findings = run.findings;
    outcome.completed = run.completed;
  } catch (const properties::KernelFailure& failure) {
    // The battery could not finish this configuration; the events below say what happened.
    properties::Finding stopped;
    stopped.property = "battery";
    stopped.config = named.name;
    stopped.passed = false;
    stopped.detail = fmt::format("the battery stopped on a kernel failure: {}", failure.what());
    outcome.findings.push_back(std::move(stopped));
  }
  if (outcome.completed) {
    SweepResult sweep = position_sweep(subject, named, limit, options.seed);
    outcome.findings.push_back(std::move(sweep.finding));
    outcome.sweep = std::move(sweep.points);
    outcome.findings.push_back(
        batch_shape_finding(subject, named, battery.max_position, options.seed));
  }
  outcome.stats = subject.take_stats();
  add_kernel_findings(named.name, outcome.stats, outcome.findings);
  return outcome;
}

std::string resolve_bound(const PluginSubject& subject) {
  const std::string bound = subject.bound_model();
  if (bound.empty())
    throw ConfigError("--bound", fmt::format("kernel {} stores {}, for which ropecheck has no "
                                             "default error bound; name the pipeline whose bound "
                                             "it claims with --bound PIPELINE (see `ropecheck "
                                             "impls`) or the descriptor's `bound` field",
                                             subject.name(), dtype_name(subject.dtype())));
  if (!properties::has_error_model(bound))
    throw ConfigError("--bound", fmt::format("\"{}\" (claimed by {}) is not a pipeline with an "
                                             "error model; see `ropecheck impls`",
                                             bound, subject.name()));
  return bound;
}

}  // namespace

bool SubjectOutcome::passed() const {
  bool any_run = false;
  for (const ConfigOutcome& c : configs) {
    any_run = any_run || c.skipped.empty();
    if (!c.completed) return false;
    for (const properties::Finding& f : c.findings)
      if (!f.passed) return false;
  }
  return any_run;  // a kernel that ran on no configuration has not been verified
}

bool CheckReport::completed() const {
  if (!not_run.empty()) return false;
  for (const SubjectOutcome& s : subjects)
    for (const ConfigOutcome& c : s.configs)
      if (!c.completed) return false;
  return true;
}

bool CheckReport::passed() const {
  return load_failure.empty() && completed() && !subjects.empty() &&
         std::all_of(subjects.begin(), subjects.end(), [](const auto& s) { return s.passed(); });
}

std::vector<properties::NamedConfig> default_check_configs() {
  std::vector<properties::NamedConfig> out;
  for (const char* name : {"llama-2-7b", "llama-3.1-8b", "qwen2.5-7b-yarn", "gpt-j-6b",
                           "gpt-neox-20b", "phi-3-mini-128k"})
    out.push_back({name, find_preset(name).rope});
  // No preset uses position interpolation, NTK-aware, dynamic NTK or p-RoPE scaling; Llama 2's
  // frequencies with each of them stand in (spec/rope.md section 9 defines them). Dynamic NTK
  // and LongRoPE depend on the length: the battery adds fixed cases around L0 for them.
  const char* llama2 = R"("head_dim": 128, "rope_theta": 10000.0, "max_position_embeddings": 4096)";
  const std::pair<const char*, std::string> variants[] = {
      {"llama-2-7b+linear-x4",
       fmt::format(R"({{{}, "rope_scaling": {{"rope_type": "linear", "factor": 4.0}}}})", llama2)},
      {"llama-2-7b+ntk-x4",
       fmt::format(R"({{{}, "rope_scaling": {{"rope_type": "ntk", "factor": 4.0}}}})", llama2)},
      {"llama-2-7b+dynamic-x4",
       fmt::format(R"({{{}, "rope_scaling": {{"rope_type": "dynamic", "factor": 4.0}}}})", llama2)},
      {"p-rope-0.25",
       R"({"head_dim": 128, "partial_rotary_factor": 0.25, "max_position_embeddings": 8192, "rope_parameters": {"rope_type": "proportional", "rope_theta": 10000.0}})"},
  };
  for (const auto& [name, json] : variants)
    out.push_back({name, parse_hf_config(nlohmann::json::parse(json))});
  return out;
}

CheckReport run_check(const CheckOptions& options, const CheckProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (options.time_budget.count() > 0) deadline = started + options.time_budget;
  CheckReport report;
  report.library = options.library;
  std::shared_ptr<PluginLibrary> library;
  try {
    library = PluginLibrary::open(options.library, options.limits);
  } catch (const PluginLoadFailure& failure) {
    report.load_failure = failure.what();
    return report;
  }
  const std::vector<properties::NamedConfig> configs =
      options.configs.empty() ? default_check_configs() : options.configs;
  std::vector<const KernelInfo*> kernels;
  if (!options.kernel_name.empty()) {
    kernels.push_back(&library->kernel(options.kernel_name));
  } else {
    for (const KernelInfo& k : library->kernels()) kernels.push_back(&k);
  }
  // Resolve every subject's bound before running anything, so bad usage fails fast.
  std::vector<std::unique_ptr<PluginSubject>> subjects;
  for (const KernelInfo* kernel : kernels) {
    for (Dtype dtype : kernel->formats()) {
      if (options.dtype && *options.dtype != dtype) continue;
      subjects.push_back(
          std::make_unique<PluginSubject>(library, *kernel, dtype, PluginOptions{options.bound}));
      resolve_bound(*subjects.back());
    }
  }
  if (subjects.empty())
    throw ConfigError("--dtype", fmt::format("no kernel of {} accepts dtype {}", options.library,
                                             dtype_name(*options.dtype)));
  const auto expired = [&] { return deadline && std::chrono::steady_clock::now() >= *deadline; };
  for (const auto& subject : subjects) {
    const KernelInfo& kernel = subject->kernel();
    SubjectOutcome outcome;
    outcome.subject = subject->name();
    outcome.kernel = kernel.name;
    outcome.description = kernel.description;
    outcome.dtype = std::string(dtype_name(subject->dtype()));
    outcome.bound = subject->bound_model();
    outcome.max_position = kernel.max_position;
    const std::int64_t limit =
        kernel.max_position > 0 ? kernel.max_position : kDefaultPositionLimit;
    for (const properties::NamedConfig& named : configs) {
      if (expired()) {
        report.not_run.push_back(fmt::format("{} on {}", outcome.subject, named.name));
        continue;
      }
      if (progress) progress(outcome.subject, named.name);
      outcome.configs.push_back(check_config(*subject, named, options, limit, deadline));
    }
    report.subjects.push_back(std::move(outcome));
  }
  return report;
}

}  // namespace ropecheck::kernels
