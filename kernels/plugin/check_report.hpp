// The three renderings of a `check` run: a terminal summary, JUnit XML and JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kernels/plugin/check_run.hpp"

namespace ropecheck::kernels {

// The bound margin of a finding: measured / bound at its worst case (<= 1 when it holds),
// infinite for a failure with nothing allowed or a NaN; nullopt where the property has no
// numeric bound (the kernel-level properties: no-crash, no-hang, ...).
std::optional<double> finding_margin(const properties::Finding& finding);

// A table per subject: every failed finding (property, config, position, measured vs bound,
// the first line of its detail), the kernel's events and NaN counts, and one verdict line per
// subject; `verbose` adds each failure's whole detail (its counterexample and replay). Then per
// subject the margin of each property (its worst configuration: measured / bound, cases run)
// and the position sweep as the audit's band table with "safe up to".
std::string summary_table(const CheckReport& report, bool verbose = false);

// JUnit XML: a testsuite per subject, a testcase per property x configuration (failures carry
// the detail; unsupported configurations are <skipped/>).
std::string junit_xml(const CheckReport& report);

// Everything, as one JSON document.
nlohmann::json check_json(const CheckReport& report);

}  // namespace ropecheck::kernels
