// Sharded audits: the file one shard writes, and merging shard files into the full result.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/audit_types.hpp"
#include "audit/exhaustive.hpp"

namespace ropecheck::audit {

// "shard-K-of-N.json", the name a shard's document is written under.
std::string shard_file_name(const AuditOptions& options);

// The document of one shard: {"ropecheck_audit_shard": 1, "shard": [K, N], "options": ...,
// "blocks": [...]}, with every double as an exact hex float.
nlohmann::json shard_document(const AuditOptions& options, const std::vector<BlockResult>& blocks);

// The shard files among `inputs`: a directory contributes its shard-*.json files, a file itself.
// Sorted; throws ConfigError("shard files") when there are none.
std::vector<std::string> find_shard_files(const std::vector<std::string>& inputs);

// The options and the reduced result of a complete set of shard files. Throws ConfigError
// ("shard files") when a file is unreadable or not a shard, when the shards were made with
// different options, or when they do not cover every block exactly once.
struct MergedAudit {
  AuditOptions options;
  AuditResult result;
};
MergedAudit merge_shard_files(const std::vector<std::string>& paths);

// Whether the shard files hold an exhaustive audit (judged by the first; merging checks the rest).
bool shards_are_exhaustive(const std::vector<std::string>& paths);

// The exhaustive audit's shard document, and merging its shards: first exceedances are the
// minimum over shards, maxima and histograms combine exactly (audit/exhaustive.hpp).
nlohmann::json exhaustive_shard_document(const ExhaustiveOptions& options,
                                         const ExhaustivePart& part);
struct MergedExhaustive {
  ExhaustiveOptions options;
  ExhaustivePart result;
};
MergedExhaustive merge_exhaustive_shard_files(const std::vector<std::string>& paths);

}  // namespace ropecheck::audit
