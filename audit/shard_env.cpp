#include "audit/shard_env.hpp"

#include <fmt/format.h>
#include <cstdlib>
#include <optional>

#include "core/config_error.hpp"

namespace ropecheck::audit {
namespace {

// A non-negative decimal integer below 2^31, or nullopt.
std::optional<long> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const long v = std::strtol(text.c_str(), nullptr, 10);
  if (v > 2147483647L) return std::nullopt;
  return v;
}

long require(const EnvLookup& env, const char* name, const char* needed_by) {
  const char* value = env(name);
  if (!value)
    throw ConfigError(name, fmt::format("is not set, but {} is: a job array sets both", needed_by));
  const auto v = parse_count(value);
  if (!v) throw ConfigError(name, fmt::format("\"{}\" is not a non-negative integer", value));
  return *v;
}

ShardChoice checked(long index, long count, std::string source) {
  if (count < 1 || index < 0 || index >= count)
    throw ConfigError(source,
                      fmt::format("index {} is not in 0..{} (count {})", index, count - 1, count));
  return {static_cast<int>(index), static_cast<int>(count), std::move(source)};
}

}  // namespace

EnvLookup process_environment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

ShardChoice choose_shard(const std::string& shard, int shard_count, const EnvLookup& env) {
  if (!shard.empty()) {
    const auto slash = shard.find('/');
    const auto k = slash == std::string::npos ? std::nullopt : parse_count(shard.substr(0, slash));
    const auto n = slash == std::string::npos ? std::nullopt : parse_count(shard.substr(slash + 1));
    if (!k || !n || *n < 1 || *k >= *n)
      throw ConfigError("shard", fmt::format("\"{}\" is not K/N with 0 <= K < N", shard));
    return {static_cast<int>(*k), static_cast<int>(*n), "the shard option"};
  }
  if (shard_count < 0) throw ConfigError("shard count", "must be positive");
  if (env("SLURM_ARRAY_TASK_ID")) {
    long id = require(env, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_ID");
    const long count = require(env, "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_ID");
    if (env("SLURM_ARRAY_TASK_MIN")) id -= require(env, "SLURM_ARRAY_TASK_MIN", "it");
    return checked(id, count, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT");
  }
  if (env("JOB_COMPLETION_INDEX")) {
    const long index = require(env, "JOB_COMPLETION_INDEX", "JOB_COMPLETION_INDEX");
    if (shard_count > 0)
      return checked(index, shard_count, "JOB_COMPLETION_INDEX and the shard count");
    if (!env("ROPECHECK_SHARD_COUNT"))
      throw ConfigError("JOB_COMPLETION_INDEX",
                        "is set (a Kubernetes Indexed Job) but the shard count is not: give "
                        "the shard count (the Job's completions) or set ROPECHECK_SHARD_COUNT");
    return checked(index, require(env, "ROPECHECK_SHARD_COUNT", "JOB_COMPLETION_INDEX"),
                   "JOB_COMPLETION_INDEX/ROPECHECK_SHARD_COUNT");
  }
  if (env("GTEST_SHARD_INDEX") || env("GTEST_TOTAL_SHARDS")) {
    const long index = require(env, "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS");
    const long count = require(env, "GTEST_TOTAL_SHARDS", "GTEST_SHARD_INDEX");
    return checked(index, count, "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS");
  }
  if (shard_count > 0)
    throw ConfigError("shard count", "is given but no JOB_COMPLETION_INDEX is set");
  return {0, 1, ""};
}

}  // namespace ropecheck::audit
