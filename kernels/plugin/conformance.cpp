#include "kernels/plugin/conformance.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fmt/format.h>

#include "core/parse_number.hpp"
#include "core/presets.hpp"
#include "kernels/plugin/check_run.hpp"
#include "kernels/plugin/plugin_subject.hpp"
#include "kernels/plugin/position_sweep.hpp"

namespace ropecheck {

std::vector<properties::NamedConfig> conformance_configs() {
  const char* names = std::getenv("ROPECHECK_CONFORMANCE_PRESETS");
  if (names == nullptr || *names == '\0') return kernels::default_check_configs();
  std::vector<properties::NamedConfig> out;
  std::string list(names);
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    if (!name.empty()) out.push_back({name, find_preset(name).rope});
    start = comma + 1;
  }
  return out;
}

std::string conformance_config_name(const testing::TestParamInfo<properties::NamedConfig>& info) {
  std::string out;
  for (char c : info.param.name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

void expect_conformance(const properties::Subject& subject, const properties::NamedConfig& config,
                        int cases) {
  // A plugin's supports() that crashed or hung is a failure, never a skip.
  if (const auto* plugin = dynamic_cast<const kernels::PluginSubject*>(&subject)) {
    const kernels::PluginSubject::Support answer = plugin->support(config.config);
    if (answer.failed) {
      ADD_FAILURE() << subject.name() << " on " << config.name << ": " << answer.reason;
      return;
    }
  }
  if (!subject.supports(config.config)) GTEST_SKIP() << subject.name() << " does not support " << config.name;
  // Parsed strictly: a malformed value is an error, not a silent fallback to the default.
  if (const char* env = std::getenv("ROPECHECK_CONFORMANCE_CASES"); env && *env)
    cases = static_cast<int>(parse_integer(env, "ROPECHECK_CONFORMANCE_CASES", 1, 100000));
  properties::BatteryOptions options;
  options.configs = {config};
  options.cases_per_property = cases > 0 ? cases : 50;
  std::vector<properties::Finding> findings = properties::run_battery(subject, options).findings;
  findings.push_back(
      kernels::position_sweep(subject, config, kernels::kDefaultPositionLimit, options.seed).finding);
  if (const auto* plugin = dynamic_cast<const kernels::PluginSubject*>(&subject)) {
    // The kernel's own misbehaviour (crash, hang, wild access, stray processes, ...).
    const kernels::KernelStats stats = plugin->take_stats();
    for (const kernels::KernelEvent& e : stats.events)
      ADD_FAILURE() << fmt::format("{} on {}: {}: {}", subject.name(), config.name, e.kind, e.what);
  }
  for (const properties::Finding& f : findings) {
    if (f.passed) continue;
    ADD_FAILURE() << fmt::format("{} fails {} on {} at position {}: measured {:.3g} vs bound "
                                 "{:.3g}\n{}",
                                 subject.name(), f.property, f.config, f.position, f.measured,
                                 f.bound, f.detail);
  }
}

std::unique_ptr<properties::Subject> plugin_subject(const std::string& library,
                                                    const std::string& kernel, Dtype dtype,
                                                    const std::string& bound) {
  const auto lib = kernels::PluginLibrary::open(library);
  kernels::PluginOptions options;
  options.bound = bound;
  return std::make_unique<kernels::PluginSubject>(lib, lib->kernel(kernel), dtype, options);
}

}  // namespace ropecheck
