// Runs a precision audit: every implementation against the correctly rounded reference at every
// position, in parallel blocks whose results do not depend on the number of threads.
#pragma once

#include <atomic>
#include <functional>

#include "audit/audit_types.hpp"
#include "core/number_format.hpp"

namespace ropecheck::audit {

// Progress as (blocks done, blocks total), called from the calling thread only.
using ProgressFn = std::function<void(std::size_t, std::size_t)>;

// Number of blocks the positions fall into.
std::size_t block_count(const AuditOptions& options);

// Computes this shard's blocks (all blocks when shard_count == 1).
std::vector<BlockResult> run_blocks(const AuditOptions& options, const ProgressFn& progress);

// Reduces blocks (from one run or from merged shards) in block order; throws ConfigError if a
// block is missing or duplicated.
AuditResult reduce_blocks(const AuditOptions& options, std::vector<BlockResult> blocks);

// The audit's inputs at (position, head): head_dim values uniform in [-1, 1), rounded to dtype,
// from the SplitMix64 chain keyed by (seed, position, head) (spec/audit.md, "What is measured").
std::vector<double> random_head(std::uint64_t seed, std::int64_t position, int head, int dim,
                                Dtype dtype);
// The same into x (x.size() values), so a worker reuses its buffer across positions.
void random_head(std::uint64_t seed, std::int64_t position, int head, Dtype dtype,
                 std::vector<double>& x);

// Band index of a position, and the plot bucket of a position.
std::size_t band_of(const AuditOptions& options, std::int64_t position);
int bucket_of(std::int64_t position);
// Lower end of a plot bucket (the position where it starts).
double bucket_start(int bucket);

// "Safe up to": the largest audited position p such that every audited position <= p stays at
// or under the threshold; nullopt when even the first position exceeds it.
std::optional<std::int64_t> safe_position(const AuditOptions& options,
                                          const std::optional<std::int64_t>& first_failure);

}  // namespace ropecheck::audit
