// run_battery: every property on one subject, through rapidcheck with fixed parameters, keeping
// the shrunk counterexample of each failure.
#include "properties/battery.hpp"

#include <fmt/format.h>
#include <rapidcheck.h>

#include "core/presets.hpp"
#include "properties/check_support.hpp"
#include "properties/generators.hpp"
#include "properties/property.hpp"

namespace ropecheck::properties {
namespace {

// The configurations a subject can run, so that cases are not wasted on unsupported ones.
rc::Gen<std::pair<std::string, RopeConfig>> supported_configs(const Subject& subject,
                                                              const BatteryOptions& options) {
  if (!options.configs.empty()) {
    std::vector<std::pair<std::string, RopeConfig>> fixed;
    for (const NamedConfig& c : options.configs)
      if (subject.supports(c.config)) fixed.emplace_back(c.name, c.config);
    if (fixed.empty()) throw std::invalid_argument("the subject supports none of the configs");
    return rc::gen::elementOf(fixed);
  }
  return rc::gen::suchThat(gen_named_config(), [&subject](const auto& named) {
    return subject.supports(named.second);
  });
}

}  // namespace

bool BatteryReport::passed() const {
  for (const Finding& f : findings)
    if (!f.passed) return false;
  return true;
}

BatteryReport run_battery(const Subject& subject, const BatteryOptions& options) {
  BatteryReport report;
  report.subject = subject.name();
  const auto configs = supported_configs(subject, options);
  for (const Property& property : all_properties()) {
    Finding finding;
    finding.property = property.name;
    finding.config = options.configs.size() == 1 ? options.configs.front().name : "generated";
    // The last failing evaluation is the shrunk counterexample: rapidcheck adopts each
    // failing shrink and stops when no smaller one fails.
    Finding last_failure;
    bool any_failure = false;
    CheckResult worst_pass;
    auto testable = [&]() {
      const auto [name, config] = *configs;
      TestCase c = *rc::gen::exec([&, name = name, config = config] {
        TestCase t;
        t.config_name = name;
        t.config = config;
        t.dtype = subject.dtype();
        const bool negative = property.negative_positions;
        // A kernel may accept only part of the position range (int32 positions): every case
        // stays within options.max_position, which callers set to half the kernel's limit so
        // that sums such as m + n (composition, shifts) stay within it too.
        t.m = fold_position(*gen_position(config, negative), options.max_position);
        t.n = fold_position(*gen_position(config, negative), options.max_position);
        t.t = fold_position(*gen_position(config, negative), options.max_position);
        t.q = *gen_head(config.head_dim, t.dtype);
        t.k = *gen_head(config.head_dim, t.dtype);
        return t;
      });
      if (!property.applies(subject, c.config)) return;
      CheckResult r;
      try {
        r = property.check(subject, c);
      } catch (const KernelFailure& failure) {
        r.passed = false;
        r.measured = HUGE_VAL;
        r.detail = std::string("kernel failure: ") + failure.what();
      }
      if (!r.passed) {
        any_failure = true;
        last_failure = {property.name, c.config_name, false, r.measured, r.bound, r.position,
                        r.detail + "\n  case: " + describe(c) + "\n  replay: ropecheck rotate <<< '" +
                            replay_request(c, subject.name()) + "'"};
        RC_FAIL(fmt::format("{}: measured {:.3e} > bound {:.3e} at position {}", property.name,
                            r.measured, r.bound, r.position));
      }
      if (r.bound > 0 && (worst_pass.bound == 0 || r.measured / r.bound > worst_pass.measured / worst_pass.bound))
        worst_pass = r;
    };
    rc::detail::TestParams params;
    params.seed = options.seed;
    params.maxSuccess = options.cases_per_property;
    params.maxSize = 100;
    rc::detail::TestMetadata metadata;
    metadata.id = property.name;
    metadata.description = property.name;
    const auto outcome = rc::detail::checkTestable(testable, metadata, params);
    if (any_failure && !outcome.template is<rc::detail::SuccessResult>()) {
      finding = last_failure;
    } else if (outcome.template is<rc::detail::GaveUpResult>()) {
      finding.passed = false;
      finding.detail = "gave up: too few cases could be generated for this subject";
    } else {
      finding.measured = worst_pass.measured;
      finding.bound = worst_pass.bound;
      finding.position = worst_pass.position;
      finding.detail = worst_pass.detail;
    }
    report.findings.push_back(std::move(finding));
  }
  return report;
}

}  // namespace ropecheck::properties
