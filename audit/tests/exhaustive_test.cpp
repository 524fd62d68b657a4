// The exhaustive audit: coefficient errors against an independent MPFR computation, exact first
// exceedances, determinism across threads, shards that merge exactly; the job-array shard
// variables.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "audit/exhaustive.hpp"
#include "audit/shard_env.hpp"
#include "core/config_error.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"
#include "reference/reference.hpp"

namespace ropecheck::audit {
namespace {

ExhaustiveOptions small_options(std::int64_t first, std::int64_t last) {
  ExhaustiveOptions o;
  o.config_json = find_preset("llama-3.2-1b").config;
  o.config = find_preset("llama-3.2-1b").rope;
  o.config_label = "preset llama-3.2-1b";
  o.impls = {"elementwise:f32", "elementwise:bf16-hf"};
  o.first = first;
  o.last = last;
  o.band_edges = {0, 1 << 10, 1 << 12, 1 << 31};
  // Thresholds low enough that f32's coefficient error crosses them inside the range.
  o.thresholds = {1e-6, 3e-6};
  o.seq_len = 1 << 20;
  o.threads = 2;
  return o;
}

// d for every (m, i) from scratch: the implementation on the unit input, and the MPFR path's
// exact output of the same input (Reference::apply_exact), in long double.
struct Brute {
  std::map<std::size_t, CoefficientWorst> band_max;
  std::vector<std::optional<std::int64_t>> first;
};
Brute brute_force(const ExhaustiveOptions& o, const std::string& impl) {
  const auto rope = find_implementation(impl).prepare(o.config, o.seq_len);
  const reference::Reference ref(o.config, o.seq_len);
  const auto dim = static_cast<std::size_t>(o.config.head_dim);
  std::vector<double> x(dim, 0.0), y(dim), hi(dim), lo(dim);
  for (int i = 0; i < o.config.pairs(); ++i)
    x[static_cast<std::size_t>(pair_channels(o.config.layout, o.config.rotary_dim, i).a)] = 1.0;
  Brute out;
  out.first.resize(o.thresholds.size());
  for (std::int64_t m = o.first; m <= o.last; ++m) {
    rope->apply(m, x, y);
    ref.apply_exact(m, x, hi, lo);
    double position_max = 0;
    int at = 0;
    for (int i = 0; i < o.config.pairs(); ++i) {
      const auto [a, b] = pair_channels(o.config.layout, o.config.rotary_dim, i);
      const long double dc = (static_cast<long double>(y[a]) - hi[a]) - lo[a];
      const long double ds = (static_cast<long double>(y[b]) - hi[b]) - lo[b];
      const double d = static_cast<double>(std::sqrt(dc * dc + ds * ds));
      if (d > position_max) position_max = d, at = i;
    }
    std::size_t band = 0;
    while (m >= o.band_edges[band + 1] && band + 2 < o.band_edges.size()) ++band;
    auto& w = out.band_max[band];
    if (position_max > w.error) w = {position_max, m, at, 0, 0};
    for (std::size_t t = 0; t < o.thresholds.size(); ++t)
      if (position_max > o.thresholds[t] && !out.first[t]) out.first[t] = m;
  }
  return out;
}

TEST(Exhaustive, AgreesWithABruteForceMpfrScan) {
  const ExhaustiveOptions o = small_options(0, 5000);
  const ExhaustivePart part = run_exhaustive(o, nullptr);
  EXPECT_EQ(part.evaluations, 5001u * static_cast<std::uint64_t>(o.config.pairs()));
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    const Brute b = brute_force(o, o.impls[k]);
    const ExhaustiveImpl& r = part.impls[k];
    for (const auto& [band, w] : b.band_max) {
      // d is computed in double from hi + lo within 2^-74 a: agreement to 2^-40 relative.
      EXPECT_NEAR(r.band_max[band].error, w.error, w.error * 0x1p-40)
          << o.impls[k] << " band " << band;
      EXPECT_EQ(r.band_max[band].position, w.position) << o.impls[k] << " band " << band;
      EXPECT_EQ(r.band_max[band].pair, w.pair) << o.impls[k] << " band " << band;
    }
    for (std::size_t t = 0; t < o.thresholds.size(); ++t)
      EXPECT_EQ(r.first_exceeding[t], b.first[t]) << o.impls[k] << " threshold " << o.thresholds[t];
    std::uint64_t counted = 0;
    for (std::uint64_t n : r.histogram) counted += n;
    EXPECT_EQ(counted, part.evaluations);
  }
  // f32 crosses 1e-6 within the range: the test exercises a real first exceedance.
  EXPECT_TRUE(part.impls[0].first_exceeding[0].has_value());
}

TEST(Exhaustive, ShardsMergeToTheUnshardedResult) {
  ExhaustiveOptions o = small_options(100, 9000);
  const nlohmann::json whole =
      exhaustive_report_json(o, merge_parts(o, {run_exhaustive(o, nullptr)}));
  for (int threads : {1, 3}) {
    std::vector<ExhaustivePart> parts;
    o.shard_count = 5;
    o.threads = threads;
    for (int k = 4; k >= 0; --k) {  // any order
      o.shard_index = k;
      parts.push_back(part_from_json(part_to_json(run_exhaustive(o, nullptr)), o));
    }
    EXPECT_EQ(exhaustive_report_json(o, merge_parts(o, parts)).dump(), whole.dump());
    parts.pop_back();
    EXPECT_THROW(merge_parts(o, parts), ConfigError);
  }
}

TEST(Exhaustive, ShardRangesTileTheRange) {
  ExhaustiveOptions o = small_options(0, (std::int64_t{1} << 31) - 1);
  o.shard_count = 7;
  std::int64_t next = 0;
  for (int k = 0; k < 7; ++k) {
    o.shard_index = k;
    const auto [a, b] = shard_range(o);
    EXPECT_EQ(a, next);
    EXPECT_GE(b, a);
    next = b + 1;
  }
  EXPECT_EQ(next, std::int64_t{1} << 31);
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ShardEnv, PrecedenceAndSources) {
  const auto all = env_of({{"SLURM_ARRAY_TASK_ID", "3"},
                           {"SLURM_ARRAY_TASK_COUNT", "8"},
                           {"JOB_COMPLETION_INDEX", "1"},
                           {"ROPECHECK_SHARD_COUNT", "4"},
                           {"GTEST_SHARD_INDEX", "0"},
                           {"GTEST_TOTAL_SHARDS", "2"}});
  ShardChoice s = choose_shard("2/5", 0, all);
  EXPECT_EQ(std::pair(s.index, s.count), std::pair(2, 5));
  s = choose_shard("", 0, all);
  EXPECT_EQ(std::pair(s.index, s.count), std::pair(3, 8));
  EXPECT_EQ(s.source, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT");
  s = choose_shard("", 0,
                   env_of({{"SLURM_ARRAY_TASK_ID", "11"},
                           {"SLURM_ARRAY_TASK_MIN", "10"},
                           {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  EXPECT_EQ(std::pair(s.index, s.count), std::pair(1, 4));
  s = choose_shard("", 0,
                   env_of({{"JOB_COMPLETION_INDEX", "1"},
                           {"ROPECHECK_SHARD_COUNT", "4"},
                           {"GTEST_SHARD_INDEX", "0"},
                           {"GTEST_TOTAL_SHARDS", "2"}}));
  EXPECT_EQ(std::pair(s.index, s.count), std::pair(1, 4));
  s = choose_shard("", 6, env_of({{"JOB_COMPLETION_INDEX", "5"}, {"ROPECHECK_SHARD_COUNT", "4"}}));
  EXPECT_EQ(std::pair(s.index, s.count), std::pair(5, 6));
  s = choose_shard("", 0, env_of({{"GTEST_SHARD_INDEX", "1"}, {"GTEST_TOTAL_SHARDS", "2"}}));
  EXPECT_EQ(std::pair(s.index, s.count), std::pair(1, 2));
  s = choose_shard("", 0, env_of({}));
  EXPECT_EQ(std::pair(s.index, s.count), std::pair(0, 1));
  EXPECT_EQ(s.source, "");
}

TEST(ShardEnv, BadVariablesAreErrors) {
  for (const auto& vars : std::vector<std::map<std::string, std::string>>{
           {{"SLURM_ARRAY_TASK_ID", "3"}},
           {{"SLURM_ARRAY_TASK_ID", "8"}, {"SLURM_ARRAY_TASK_COUNT", "8"}},
           {{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_COUNT", "8"}},
           {{"JOB_COMPLETION_INDEX", "1"}},
           {{"GTEST_SHARD_INDEX", "1"}},
           {{"GTEST_TOTAL_SHARDS", "2"}},
           {{"GTEST_SHARD_INDEX", "-1"}, {"GTEST_TOTAL_SHARDS", "2"}}}) {
    EXPECT_THROW(choose_shard("", 0, env_of(vars)), ConfigError) << vars.begin()->first;
  }
  EXPECT_THROW(choose_shard("5/5", 0, env_of({})), ConfigError);
  EXPECT_THROW(choose_shard("1/x", 0, env_of({})), ConfigError);
  EXPECT_THROW(choose_shard("", 3, env_of({})), ConfigError);
}

}  // namespace
}  // namespace ropecheck::audit
