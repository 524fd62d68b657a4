// The whole property battery on one subject, with a deterministic set of cases: what
// `ropecheck check` runs on a plugin and what the mutant tests run on each mutant.
#pragma once

#include <cstdint>
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
};

// One property's outcome on one configuration.
struct Finding {
  std::string property;
  std::string config;
  bool passed = true;
  double measured = 0;  // worst measured quantity (e.g. |y - exact|)
  double bound = 0;     // its derived bound at the worst case
  std::int64_t position = 0;
  std::string detail;   // the worst input, as hex floats, replayable through `ropecheck rotate`
};

struct BatteryReport {
  std::string subject;
  std::vector<Finding> findings;
  bool passed() const;
};

BatteryReport run_battery(const Subject& subject, const BatteryOptions& options);

}  // namespace ropecheck::properties
