// The schema of an audit report (spec/audit.md, "results.json schema"), checked: what `audit`
// and `grade` write into results.json must read back as the same keys and types.
#pragma once

#include <nlohmann/json.hpp>

namespace ropecheck::audit {

// Throws ConfigError("results.json", the path of the first offending key and what is wrong) when
// `report` is not an audit report of version 1: a missing key, a wrong type, a band that is not
// one of the options' bands, an implementation or threshold the options do not name, a share
// outside [0, 1]. Keys beyond the schema's are allowed (grade adds its own).
void check_report_json(const nlohmann::json& report);

}  // namespace ropecheck::audit
