// run_battery: every property on one subject: fixed boundary cases first (the same for every
// seed), then random cases through rapidcheck with fixed parameters, keeping the shrunk
// counterexample of each failure.
#include "properties/battery.hpp"

#include <fmt/format.h>
#include <rapidcheck.h>
#include <rapidcheck/detail/TestListenerAdapter.h>
#include <cmath>
#include <unordered_map>

#include "core/presets.hpp"
#include "properties/check_support.hpp"
#include "properties/generators.hpp"
#include "properties/property.hpp"

namespace ropecheck::properties {
namespace {

using Clock = std::chrono::steady_clock;

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
  return rc::gen::suchThat(
      gen_named_config(), [&subject](const auto& named) { return subject.supports(named.second); });
}

enum class RunOutcome { success, failure, gave_up };

// The one place rapidcheck's runner is driven with explicit parameters (seed, number of cases),
// a silent listener and no cases to reproduce: its public rc::check reads them from the
// environment and prints (a "reproduce" string at exit, a seed that replays nothing here),
// which a library must not. (Without the empty map, rapidcheck loads its global configuration
// for one, which prints "Using configuration: seed=..." with a seed nothing here uses.)
template <typename Testable>
RunOutcome run_random_cases(const Testable& testable, const std::string& id, std::uint64_t seed,
                            int cases) {
  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = cases;
  params.maxSize = 100;
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  rc::detail::TestListenerAdapter silent;
  const std::unordered_map<std::string, rc::detail::Reproduce> nothing_to_reproduce;
  const auto outcome = rc::detail::checkProperty(rc::detail::toProperty(testable), metadata, params,
                                                 silent, nothing_to_reproduce);
  if (outcome.template is<rc::detail::SuccessResult>()) return RunOutcome::success;
  if (outcome.template is<rc::detail::GaveUpResult>()) return RunOutcome::gave_up;
  return RunOutcome::failure;
}

constexpr const char* kKernelFailure = "kernel failure: ";

// Runs a property on one case; a kernel failure (crash, hang, ...) fails it.
CheckResult evaluate(const Property& property, const Subject& subject, const TestCase& c) {
  try {
    return property.check(subject, c);
  } catch (const KernelFailure& failure) {
    CheckResult r;
    r.passed = false;
    r.measured = HUGE_VAL;
    r.detail = std::string(kKernelFailure) + failure.what();
    return r;
  }
}

bool is_kernel_failure(const CheckResult& r) {
  return r.detail.rfind(kKernelFailure, 0) == 0;
}

Finding failure_finding(const Property& property, const TestCase& c, const CheckResult& r,
                        const Subject& subject) {
  Finding f{property.name,
            c.config_name,
            false,
            r.measured,
            r.bound,
            r.position,
            r.detail + "\n  case: " + describe(c) + "\n  replay: ropecheck rotate <<< '" +
                replay_request(c, subject.name()) + "'"};
  return f;
}

// The fixed cases of one configuration: m = L - 1 makes the case's length exactly L.
std::vector<TestCase> boundary_cases(const NamedConfig& named, Dtype dtype,
                                     std::int64_t max_position) {
  std::vector<TestCase> out;
  for (std::int64_t length : boundary_lengths(named.config)) {
    const std::int64_t m = length - 1;
    if (m < 0 || m > max_position) continue;
    TestCase t;
    t.config_name = named.name;
    t.config = named.config;
    t.dtype = dtype;
    t.m = m;
    t.n = m / 3;
    t.t = 0;
    // Vectors from a seed fixed by the length alone, so every run checks the same inputs.
    const auto seed = static_cast<std::uint64_t>(length) * 0x9E3779B97F4A7C15ull;
    t.q = gen_head(named.config.head_dim, dtype)(rc::Random(seed), 50).value();
    t.k = gen_head(named.config.head_dim, dtype)(rc::Random(seed + 1), 50).value();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass:
      return "pass";
    case Verdict::fail:
      return "fail";
    case Verdict::not_applicable:
      return "not applicable";
    case Verdict::not_completed:
      return "not completed";
  }
  return "fail";
}

bool BatteryReport::passed() const {
  if (!completed) return false;
  for (const Finding& f : findings)
    if (!f.passed) return false;
  return true;
}

std::vector<std::int64_t> boundary_lengths(const RopeConfig& config) {
  if (config.scaling.type != RopeType::dynamic && config.scaling.type != RopeType::longrope)
    return {};
  // Dynamic NTK switches at max_position_embeddings (spec/rope.md 9.4), LongRoPE at L0 (9.7).
  const std::int64_t l0 = config.scaling.type == RopeType::dynamic && config.max_position_embeddings
                              ? *config.max_position_embeddings
                              : config.original_context();
  if (l0 <= 1) return {};
  return {l0 - 1, l0, l0 + 1, l0 + 2, 2 * l0, 4 * l0, 16 * l0, 64 * l0};
}

BatteryReport run_battery(const Subject& subject, const BatteryOptions& options) {
  BatteryReport report;
  report.subject = subject.name();
  const auto configs = supported_configs(subject, options);
  const auto expired = [&] { return options.deadline && Clock::now() >= *options.deadline; };
  for (const Property& property : all_properties()) {
    Finding finding;
    finding.property = property.name;
    finding.config = options.configs.size() == 1 ? options.configs.front().name : "generated";
    if (expired()) {
      report.completed = false;
      finding.passed = false;
      finding.not_completed = true;
      finding.detail = "not run: the time budget ran out before this property";
      report.findings.push_back(std::move(finding));
      continue;
    }
    CheckResult worst_pass;
    const auto keep_worst = [&](const CheckResult& r) {
      if (r.bound > 0 &&
          (worst_pass.bound == 0 || r.measured / r.bound > worst_pass.measured / worst_pass.bound))
        worst_pass = r;
    };

    // Fixed boundary cases: no shrinking needed, they are already the interesting input.
    std::optional<Finding> boundary_failure;
    for (const NamedConfig& named : options.configs) {
      if (!subject.supports(named.config) || !property.applies(subject, named.config)) continue;
      for (const TestCase& c : boundary_cases(named, subject.dtype(), options.max_position)) {
        ++finding.cases;
        const CheckResult r = evaluate(property, subject, c);
        if (!r.passed) {
          boundary_failure = failure_finding(property, c, r, subject);
          break;
        }
        keep_worst(r);
      }
      if (boundary_failure) break;
    }
    if (boundary_failure) {
      boundary_failure->cases = finding.cases;
      boundary_failure->detail = "at a boundary length: " + boundary_failure->detail;
      report.findings.push_back(std::move(*boundary_failure));
      continue;
    }

    // Random cases. The last failing evaluation is the shrunk counterexample: rapidcheck adopts
    // each failing shrink and stops when no smaller one fails. Once the verdict is settled
    // (intermittent failure, shrink budget spent, deadline) every further call returns at once.
    // The last failing case and its result; its finding (the case's description and replay
    // line) is written once, at the end: written at every failing shrink step, it was a fifth
    // of a failing check's time under the sanitizers.
    std::optional<std::pair<TestCase, CheckResult>> last_failure;
    bool any_failure = false, settled = false, stopped = false;
    std::optional<Finding> intermittent;
    Clock::time_point first_failure_at;
    int cases = 0;
    auto testable = [&]() {
      if (settled) return;
      if (expired()) {
        settled = stopped = true;
        return;
      }
      if (any_failure && Clock::now() - first_failure_at > options.shrink_budget) {
        settled = true;
        return;
      }
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
      if (!any_failure) ++cases;
      CheckResult r = evaluate(property, subject, c);
      if (r.passed) {
        keep_worst(r);
        return;
      }
      if (!any_failure) {
        // A first failure: is it the kernel's answer, or a nondeterministic one? Shrinking a
        // nondeterministic failure would wander without end, so identical re-runs decide.
        first_failure_at = Clock::now();
        int failures = 1;
        for (int i = 0; i < options.failure_reruns; ++i)
          failures += !evaluate(property, subject, c).passed;
        const int runs = 1 + options.failure_reruns;
        if (failures < runs) {
          intermittent = failure_finding(property, c, r, subject);
          intermittent->detail = fmt::format(
              "intermittent: fails {} of {} identical calls "
              "(the kernel is not deterministic); first failure: {}",
              failures, runs, intermittent->detail);
          settled = true;
          return;
        }
      }
      any_failure = true;
      last_failure.emplace(c, r);
      // A crash or hang is the kernel's own finding (no-crash, no-hang): shrinking it would
      // only restart workers, so the first such case stands.
      if (is_kernel_failure(r)) {
        settled = true;
        return;
      }
      RC_FAIL(fmt::format("{}: measured {:.3e} > bound {:.3e} at position {}", property.name,
                          r.measured, r.bound, r.position));
    };
    const RunOutcome outcome =
        run_random_cases(testable, property.name, options.seed, options.cases_per_property);
    finding.cases += cases;
    if (intermittent) {
      intermittent->cases = finding.cases;
      finding = std::move(*intermittent);
    } else if (any_failure) {
      const int counted = finding.cases;
      finding = failure_finding(property, last_failure->first, last_failure->second, subject);
      finding.cases = counted;
    } else if (stopped) {
      report.completed = false;
      finding.passed = false;
      finding.not_completed = true;
      finding.detail = fmt::format("stopped by the time budget after {} cases", finding.cases);
    } else if (outcome == RunOutcome::gave_up) {
      finding.passed = false;
      finding.detail = "gave up: too few cases could be generated for this subject";
    } else if (finding.cases == 0) {
      finding.not_applicable = true;
      finding.detail = "applies to no case of this subject and configuration";
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
