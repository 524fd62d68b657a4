// The audit engine: position syntax, determinism across threads and shards, the vectorized
// metrics against their per-pair definition, safe positions.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "audit/audit_engine.hpp"
#include "audit/audit_json.hpp"
#include "audit/audit_report.hpp"
#include "audit/position_spec.hpp"
#include "audit/tests/same_text.hpp"
#include "core/config_error.hpp"
#include "core/presets.hpp"

namespace ropecheck::audit {
namespace {

TEST(PositionSpec, ItemsAndPowers) {
  EXPECT_EQ(parse_positions("5,1,2^4,2^4+1,2^31-1"),
            (std::vector<std::int64_t>{1, 5, 16, 17, 2147483647}));
  EXPECT_EQ(parse_positions("3..6"), (std::vector<std::int64_t>{3, 4, 5, 6}));
  EXPECT_EQ(parse_positions("0..10:5"), (std::vector<std::int64_t>{0, 5, 10}));
  const auto log_spaced = parse_positions("log:0..2^20:50");
  EXPECT_EQ(log_spaced.front(), 0);
  EXPECT_EQ(log_spaced.back(), 1 << 20);
  EXPECT_GT(log_spaced.size(), 40u);  // a few low ones collapse onto the same integer
  EXPECT_TRUE(std::is_sorted(log_spaced.begin(), log_spaced.end()));
}

TEST(PositionSpec, SizeIsKnownBeforeExpanding) {
  EXPECT_EQ(count_positions("0..63,2^11,log:64..2^31-1:4096"), 64u + 1 + 4097);
  EXPECT_EQ(count_positions("0..10:5"), 3u);
  EXPECT_EQ(count_positions("0..2^28-1"), std::size_t{1} << 28);  // counted, not expanded
  // Two items of 2^28 each: refused from the arithmetic alone (expanding would take 4 GiB).
  EXPECT_THROW(count_positions("0..2^28-1,0..2^28-1"), ConfigError);
  EXPECT_THROW(parse_positions("0..2^28-1,0..2^28-1"), ConfigError);
  EXPECT_THROW(parse_positions("   "), ConfigError);
  EXPECT_GE(count_positions("1,1,2"), parse_positions("1,1,2").size());
}

TEST(PositionSpec, ErrorsNameTheItem) {
  for (const char* bad : {"", "1,,2", "x", "3..1", "2^54", "3^4", "log:1..9", "0..5:0", "-4"}) {
    try {
      parse_positions(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const ConfigError& error) {
      EXPECT_EQ(error.key(), "positions") << bad;
    }
  }
}

AuditOptions small_options(int threads) {
  AuditOptions o;
  o.config_json = find_preset("llama-3.2-1b").config;
  o.config = find_preset("llama-3.2-1b").rope;
  o.config_label = "preset llama-3.2-1b";
  o.impls = {"elementwise:f64", "elementwise:f32", "elementwise:bf16-hf", "complex:f16-positions"};
  o.positions_spec = "0..40,log:41..2^31-1:3000";
  o.positions = parse_positions(o.positions_spec);
  o.band_edges = {0, 1 << 10, 1 << 20, std::int64_t{1} << 31};
  o.thresholds = {1e-3, 1e-2};
  o.seq_len = o.positions.back() + 1;
  o.threads = threads;
  return o;
}

TEST(Audit, SameResultForAnyThreadCountAndShards) {
  const AuditOptions one = small_options(1);
  const auto serial = report_json(one, reduce_blocks(one, run_blocks(one, nullptr)));
  const AuditOptions two = small_options(2);
  EXPECT_EQ(report_json(two, reduce_blocks(two, run_blocks(two, nullptr))), serial);

  // Three shards through their JSON form, merged: byte-identical report.
  std::vector<BlockResult> merged;
  for (int k = 0; k < 3; ++k) {
    AuditOptions shard = small_options(2);
    shard.shard_index = k;
    shard.shard_count = 3;
    const auto text = blocks_to_json(run_blocks(shard, nullptr)).dump();
    auto blocks = blocks_from_json(nlohmann::json::parse(text), shard);
    std::move(blocks.begin(), blocks.end(), std::back_inserter(merged));
  }
  EXPECT_EQ(report_json(one, reduce_blocks(one, merged)).dump(), serial.dump());

  // A missing shard is an error, not a silently partial report.
  merged.pop_back();
  EXPECT_THROW(reduce_blocks(one, merged), ConfigError);
}

// The vectorized ordinary case of the metrics (pair_values in pair_metrics.cpp) against the
// per-pair definition: NaN and infinite outputs (f16 positions past 65519), f64's tiny errors,
// both layouts, and thresholds equal to measured errors (every refinement decision on its
// edge) give the same blocks, byte for byte.
TEST(Audit, VectorizedMetricsEqualThePerPairDefinition) {
  std::vector<AuditOptions> cases;
  cases.push_back(small_options(2));
  AuditOptions interleaved = small_options(2);
  interleaved.config_json = find_preset("gpt-j-6b").config;
  interleaved.config = find_preset("gpt-j-6b").rope;
  interleaved.impls = {"elementwise:f32", "elementwise:fastmath-f32", "matrix:tf32-angle"};
  cases.push_back(interleaved);
  // Thresholds at errors the first case measured: the largest of some bands and cells.
  AuditOptions edges = small_options(2);
  const AuditResult first = reduce_blocks(edges, run_blocks(edges, nullptr));
  edges.thresholds.clear();
  for (const auto& cells : first.cells)
    for (const CellStats& cell : cells)
      if (cell.max_abs_err.error > 0 && std::isfinite(cell.max_abs_err.error))
        edges.thresholds.push_back(cell.max_abs_err.error);
  ASSERT_GE(edges.thresholds.size(), 4u);
  cases.push_back(edges);
  for (AuditOptions o : cases) {
    const std::string vectorized = blocks_to_json(run_blocks(o, nullptr)).dump();
    o.per_pair_metrics = true;
    const std::string per_pair = blocks_to_json(run_blocks(o, nullptr)).dump();
    EXPECT_TRUE(testing::same_text(vectorized, per_pair)) << o.config_label;
  }
}

TEST(Audit, MeasuresWhatThePipelinesShouldShow) {
  const AuditOptions o = small_options(2);
  const AuditResult r = reduce_blocks(o, run_blocks(o, nullptr));
  // f64 is accurate everywhere; f32 loses its angle with position (order 1e-2 near 2^20,
  // spec/precision.md); f16 positions overflow past 65504 (NaN, infinite error).
  const std::size_t last = o.band_edges.size() - 2;
  EXPECT_LT(r.cells[0][last].max_abs_err.error, 1e-6);
  EXPECT_GT(r.cells[1][last].max_abs_err.error, 1e-2);
  // Below 2^10 the f32 pipeline's derived bound (spec/precision.md) with theta <= 1, base 5e5
  // and |x_a| + |x_b| <= 2 is 2^10 (ln 5e5 + 5) 2^-24 * 2 = 2.2e-3.
  EXPECT_LT(r.cells[1][0].max_abs_err.error, 2.2e-3);
  EXPECT_TRUE(std::isinf(r.cells[3][last].max_abs_err.error));
  // Safe positions: f64 never exceeds 1e-3; f16 positions fail before 2^17.
  EXPECT_EQ(safe_position(o, r.first_failure[0][0]), o.positions.back());
  ASSERT_TRUE(r.first_failure[3][1].has_value());
  EXPECT_LE(*r.first_failure[3][1], 1 << 17);
  // Position 0 is the identity for every pipeline, so some f64 outputs are exactly right.
  EXPECT_GT(r.cells[0][0].correctly_rounded, 0u);
  const std::string table = report_table(o, r);
  EXPECT_NE(table.find("elementwise:f32"), std::string::npos);
  EXPECT_NE(table.find("NaN/inf"), std::string::npos);
}

TEST(Audit, SafePositionIsTheLastPositionBeforeTheFirstFailure) {
  AuditOptions o;
  o.positions = {0, 10, 20, 30};
  EXPECT_EQ(safe_position(o, std::nullopt), 30);
  EXPECT_EQ(safe_position(o, 20), 10);
  EXPECT_EQ(safe_position(o, 0), std::nullopt);
}

TEST(Audit, FormatPosition) {
  EXPECT_EQ(format_position(2147483647), "2^31-1");
  EXPECT_EQ(format_position(1 << 20), "2^20");
  EXPECT_EQ(format_position(1000), "1000");
}

}  // namespace
}  // namespace ropecheck::audit
