// The exhaustive audit's incremental path (the reference's coefficients followed from position to
// position, results certified against the per-position path) gives the per-position path's
// results byte for byte: at position 0, across threshold crossings and histogram edges, at
// thresholds equal to measured maxima (every decision on its edge), near 2^24 and 2^31, in both
// layouts, with partial rotation and an attention factor a != 1; and it does the work (few
// positions go the per-position way). Likewise sharing one pipeline row among positions with
// equal computed positions gives the results of running every position.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "audit/exhaustive.hpp"
#include "audit/tests/same_text.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"
#include "reference/reference.hpp"

namespace ropecheck::audit {
namespace {

ExhaustiveOptions options(const std::string& preset, std::vector<std::string> impls,
                          std::int64_t first, std::int64_t last, std::vector<double> thresholds) {
  ExhaustiveOptions o;
  o.config_json = find_preset(preset).config;
  o.config = find_preset(preset).rope;
  o.config_label = "preset " + preset;
  o.impls = std::move(impls);
  o.first = first;
  o.last = last;
  o.band_edges = {0, 1 << 10, 1 << 16, std::int64_t{1} << 40};
  o.thresholds = std::move(thresholds);
  o.seq_len = last + 1;
  o.threads = 2;
  return o;
}

struct Both {
  ExhaustivePart incremental, exact;
};

Both run_both(ExhaustiveOptions o) {
  o.incremental = true;
  Both b{run_exhaustive(o, nullptr), {}};
  o.incremental = false;
  b.exact = run_exhaustive(o, nullptr);
  return b;
}

void expect_same(const Both& b, const std::string& what) {
  EXPECT_TRUE(testing::same_text(part_to_json(b.incremental).dump(), part_to_json(b.exact).dump()))
      << what;
  EXPECT_EQ(b.exact.exact_positions, static_cast<std::uint64_t>(b.exact.last - b.exact.first + 1))
      << what;
}

struct Case {
  std::string preset;
  std::vector<std::string> impls;
  std::int64_t first, last;
  std::vector<double> thresholds;
};

TEST(ExhaustiveIncremental, EqualsThePerPositionPath) {
  const std::vector<Case> cases = {
      // Position 0, small positions, llama-3.1-8b's first f32 position above 1e-3 (12559).
      {"llama-3.1-8b",
       {"elementwise:f32", "elementwise:bf16-hf", "elementwise:f64"},
       0,
       2500,
       {1e-3, 1e-2}},
      {"llama-3.1-8b", {"elementwise:f32"}, 12000, 13500, {1e-3, 1e-2}},
      // Around 2^24, where f32 positions stop being exact, and just below 2^31.
      {"llama-3.1-8b",
       {"elementwise:f32", "elementwise:ggml-f32"},
       (1 << 24) - 1500,
       (1 << 24) + 1500,
       {1e-2, 3e-2}},
      {"mistral-7b",
       {"elementwise:f32", "elementwise:f32-exact-angle"},
       (std::int64_t{1} << 31) - 3000,
       (std::int64_t{1} << 31) - 1,
       {1e-1, 2e-1}},
      // Interleaved with partial rotation; YaRN's attention factor a != 1.
      {"gpt-j-6b", {"elementwise:f32", "elementwise:fastmath-f32"}, 0, 3000, {1e-4, 1e-3}},
      {"qwen2.5-7b-yarn",
       {"elementwise:f32", "elementwise:bf16-cache"},
       100000,
       103000,
       {1e-3, 1e-2}},
  };
  for (const Case& c : cases) {
    const std::string what =
        c.preset + " " + std::to_string(c.first) + ".." + std::to_string(c.last);
    const Both b = run_both(options(c.preset, c.impls, c.first, c.last, c.thresholds));
    expect_same(b, what);
    // The incremental path decided almost every f32 position itself (f64's errors are below
    // its certificate's resolution, so runs with f64 go the per-position way more often).
    std::printf("%s: %llu of %lld positions per-position\n", what.c_str(),
                static_cast<unsigned long long>(b.incremental.exact_positions),
                static_cast<long long>(c.last - c.first + 1));
    if (c.first > 0 && c.impls.size() <= 2) {
      EXPECT_LT(b.incremental.exact_positions * 20,
                static_cast<std::uint64_t>(c.last - c.first + 1))
          << what;
    }
  }
}

// Thresholds equal to measured band maxima and to histogram edges: every threshold test and
// refinement sits on its edge somewhere in the range.
TEST(ExhaustiveIncremental, EqualsThePerPositionPathOnEdges) {
  ExhaustiveOptions o = options("llama-3.1-8b", {"elementwise:f32"}, 5000, 9000, {1e-3});
  o.incremental = false;
  const ExhaustivePart first = run_exhaustive(o, nullptr);
  std::vector<double> edges;
  for (const CoefficientWorst& w : first.impls[0].band_max)
    if (w.error > 0) edges.push_back(w.error);
  edges.push_back(0x1p-10);
  edges.push_back(0x1p-20);
  // d of a few ordinary evaluations (not the largest at their position) as thresholds: there the
  // per-position path refines with MPFR, and the incremental path must hand them over.
  const RopeConfig& c = o.config;
  const auto dim = static_cast<std::size_t>(c.head_dim);
  std::vector<double> unit(dim, 0.0), y(dim), hi(dim), lo(dim);
  for (int i = 0; i < c.pairs(); ++i)
    unit[static_cast<std::size_t>(pair_channels(c.layout, c.rotary_dim, i).a)] = 1.0;
  const reference::Reference ref(c, o.seq_len);
  const auto rope = find_implementation("elementwise:f32").prepare(c, o.seq_len);
  for (std::int64_t m : {6001, 7777, 8500}) {
    rope->apply(m, unit, y);
    ref.apply_exact(m, unit, hi, lo);
    for (int i : {5, 17, 40}) {
      const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
      const double dc = (y[a] - hi[a]) - lo[a], ds = (y[b] - hi[b]) - lo[b];
      edges.push_back(std::sqrt(dc * dc + ds * ds));
    }
  }
  o.thresholds = edges;
  const Both b = run_both(o);
  expect_same(b, "thresholds at band maxima");
  EXPECT_GE(b.exact.refined, 9u);
}

// Every registered implementation, where f16 positions repeat (above 2048), across 2^24 and
// where f32 positions repeat 128 at a time (2^30): chunks and batches start inside runs of
// equal computed positions, so a row carried from one batch to the next is read.
TEST(ExhaustiveSharedRows, EqualRunningEveryPosition) {
  std::vector<std::string> impls;
  for (const Implementation& impl : all_implementations()) impls.push_back(impl.name());
  const std::vector<std::pair<std::int64_t, std::int64_t>> ranges = {
      {60000, 61000}, {(1 << 24) - 700, (1 << 24) + 9000}, {(1 << 30) + 37, (1 << 30) + 9000}};
  for (const auto& [first, last] : ranges) {
    ExhaustiveOptions o = options("llama-3.1-8b", impls, first, last, {1e-3, 1e-1});
    o.share_rows = false;
    const ExhaustivePart every = run_exhaustive(o, nullptr);
    o.share_rows = true;
    const ExhaustivePart shared = run_exhaustive(o, nullptr);
    const std::string what = std::to_string(first) + ".." + std::to_string(last);
    EXPECT_TRUE(testing::same_text(part_to_json(shared).dump(), part_to_json(every).dump()))
        << what;
    const auto rows = static_cast<std::uint64_t>(last - first + 1) * impls.size();
    EXPECT_EQ(every.pipeline_rows, rows) << what;
    // ... and did share (f16 positions are 32 apart at 60000, f32 positions 128 apart at 2^30).
    EXPECT_LT(shared.pipeline_rows, rows) << what;
    std::printf("%s: %llu of %llu pipeline rows computed\n", what.c_str(),
                static_cast<unsigned long long>(shared.pipeline_rows),
                static_cast<unsigned long long>(rows));
  }
}

}  // namespace
}  // namespace ropecheck::audit
