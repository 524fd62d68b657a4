// The whole property battery on one subject, with a deterministic set of cases: what
// `ropecheck check` runs on a plugin and what the mutant tests run on each mutant.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "properties/subject.hpp"

namespace ropecheck::properties {

struct NamedConfig {
  std::string name;  // a preset name or a description of a generated config
  RopeConfig config;
};

struct BatteryOptions {
  std::vector<NamedConfig> configs;  // empty: a default set (presets and generated configs)
  std::uint64_t seed = 20261123;
  int cases_per_property = 50;       // random cases per property and config
  // Largest |position| of any generated case (callers pass half a kernel's accepted range, so
  // that properties adding two positions stay inside it).
  std::int64_t max_position = (std::int64_t{1} << 31) - 1;
  // When set, no property starts a case after it: the rest is reported as not completed.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Shrinking a counterexample stops after this long; the smallest failing case so far stands.
  std::chrono::milliseconds shrink_budget{20000};
  // Identical re-runs of a first failing case: a case that passes on any of them is reported
  // as an intermittent failure ("fails k of N identical calls") instead of being shrunk.
  int failure_reruns = 4;
};

// What became of one property on one configuration.
enum class Verdict {
  pass,            // every case ran and held
  fail,            // a case failed (deterministically or intermittently)
  not_applicable,  // the property applies to no case of this subject and configuration
  not_completed,   // the time budget ran out before its cases ran: not a pass
};
const char* verdict_name(Verdict verdict);

// One property's outcome on one configuration.
struct Finding {
  std::string property;
  std::string config;
  bool passed = true;   // false for fail and not completed
  double measured = 0;  // worst measured quantity (e.g. |y - exact|)
  double bound = 0;     // its derived bound at the worst case
  std::int64_t position = 0;
  std::string detail;   // the worst input, as hex floats, replayable through `ropecheck rotate`
  int cases = 0;        // cases actually run (fixed boundary cases and random ones, no shrinks)
  bool not_applicable = false;  // passed, but no case applied
  bool not_completed = false;   // not passed: the time budget stopped it

  Verdict verdict() const {
    return not_completed ? Verdict::not_completed
           : !passed     ? Verdict::fail
           : not_applicable ? Verdict::not_applicable
                            : Verdict::pass;
  }
};

struct BatteryReport {
  std::string subject;
  std::vector<Finding> findings;
  bool completed = true;  // false: the deadline stopped it
  bool passed() const;
};

// The sequence lengths every run checks whatever the seed, for variants that depend on the
// length (dynamic NTK's base past Lmax = max_position_embeddings, LongRoPE's switch at L > L0):
// L0 - 1, L0, L0 + 1, L0 + 2 and 2, 4, 16 and 64 times L0 (L0 meaning Lmax for dynamic NTK).
// Empty for the other variants.
std::vector<std::int64_t> boundary_lengths(const RopeConfig& config);

BatteryReport run_battery(const Subject& subject, const BatteryOptions& options);

}  // namespace ropecheck::properties
