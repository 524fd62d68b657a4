// Which shard this run computes: `--shard K/N` when given, else the index and count a job array
// sets in the environment (spec/audit.md, "Sharding"). Precedence, first match wins:
//   1. the shard parameter K/N
//   2. Slurm job arrays: SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN when set) and
//      SLURM_ARRAY_TASK_COUNT
//   3. Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX, with the count from the shard count
//      parameter (`--shards N`) or else ROPECHECK_SHARD_COUNT
//   4. GoogleTest's GTEST_SHARD_INDEX and GTEST_TOTAL_SHARDS
//   5. no sharding (0 of 1)
// A variable that is set but malformed, out of range or missing its partner is an error, never
// a silent fall-through to the next source.
#pragma once

#include <functional>
#include <string>

namespace ropecheck::audit {

struct ShardChoice {
  int index = 0;
  int count = 1;
  std::string source;  // what decided it, e.g. "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT"
};

// Reads one environment variable: nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;
// The process environment (std::getenv).
EnvLookup process_environment();

// `shard` is the K/N text ("" when not given); `shard_count` the Kubernetes count (0 when not
// given). Throws ConfigError naming the parameter or variable at fault.
ShardChoice choose_shard(const std::string& shard, int shard_count, const EnvLookup& env);

}  // namespace ropecheck::audit
