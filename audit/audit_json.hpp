// JSON forms of an audit: the shard file (options fingerprint + raw blocks, for `merge`) and the
// report (results per implementation and band, safe positions; schema in spec/audit.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit_types.hpp"

namespace ropecheck::audit {

// The options that determine every number (not threads, not the shard).
nlohmann::json options_fingerprint(const AuditOptions& options);
// Rebuilds options from a fingerprint (config re-parsed, positions re-expanded).
AuditOptions options_from_fingerprint(const nlohmann::json& fingerprint);

nlohmann::json blocks_to_json(const std::vector<BlockResult>& blocks);
std::vector<BlockResult> blocks_from_json(const nlohmann::json& blocks,
                                          const AuditOptions& options);

// The report document: {"ropecheck_audit": 1, "options": ..., "results": [...],
// "safe_position": {...}, "reference_work": {...}}.
nlohmann::json report_json(const AuditOptions& options, const AuditResult& result);

// The report document without "reference_work" (how the audit computed its references): the
// part `grade` writes too (spec/vectors.md). With drift_measured false, max_score_err,
// max_invariance_drift and max_norm_drift are null: quantities that were not measured.
nlohmann::json report_core_json(const AuditOptions& options, const AuditResult& result,
                                bool drift_measured);

// The key of threshold t in "safe_position" ("0.001"): fmt's {:g}, stable across platforms.
std::string threshold_key(double t);

// A position that may be absent (a first exceedance) as JSON: the integer, or null; and back.
nlohmann::json optional_position_json(const std::optional<std::int64_t>& position);
std::optional<std::int64_t> optional_position_from_json(const nlohmann::json& json);

}  // namespace ropecheck::audit
