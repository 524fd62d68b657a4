// Grading statistics on hand-built vector sets, and the grade report (bands, safe up to, bound
// margin, behaves like) on registry outputs with and without a planted bug.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "audit/audit_engine.hpp"
#include "core/config_error.hpp"
#include "impl/implementation.hpp"
#include "kernels/vectors/grade_report.hpp"
#include "kernels/vectors/grading.hpp"
#include "kernels/vectors/pipeline_bound.hpp"

namespace ropecheck::vectors {
namespace {

// Two tokens, one head, head_dim 6 with rotary dim 4 (two pass-through channels), f16.
VectorSet small_set(Layout layout) {
  VectorSet set;
  set.config.head_dim = 6;
  set.config.rotary_dim = 4;
  set.config.layout = layout;
  set.dtype = Dtype::f16;
  set.heads = 1;
  set.positions = {0, 7};
  set.x = {0.5, -0.25, 1.0, 2.0, 3.0, -3.0, 0.125, 0.75, -1.0, 0.0, 4.0, 8.0};
  set.expected = {0.5, -0.25, 1.0, 2.0, 3.0, -3.0, 0.25, 1.0, -0.5, 0.0, 4.0, 8.0};
  return set;
}

double up(double value, int ulps) {  // `ulps` f16 steps away from a positive value
  return value + ulps * std::ldexp(1.0, std::ilogb(value) - 10);
}

TEST(Grading, IdenticalOutputsPassExact) {
  const VectorSet set = small_set(Layout::half);
  const GradeReport report = grade_outputs(set, set.expected, GradeBound::exact());
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(report.compared, 12u);
  EXPECT_EQ(report.exact, 12u);
  EXPECT_EQ(report.max_ulp, 0u);
  EXPECT_EQ(report.histogram, (std::array<std::uint64_t, 5>{12, 0, 0, 0, 0}));
  EXPECT_FALSE(report.first_violation);
  EXPECT_NE(format_grade_report(report).find("PASS"), std::string::npos);
}

TEST(Grading, OneUlpOffFailsExactAndNamesTheWorstInput) {
  const VectorSet set = small_set(Layout::half);
  std::vector<double> y = set.expected;
  y[7] = up(y[7], 1);  // token 1, channel 1: pair 1 of the half layout = channels (1, 3)
  const GradeReport report = grade_outputs(set, y, GradeBound::exact());
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.violations, 1u);
  EXPECT_EQ(report.exact, 11u);
  EXPECT_EQ(report.max_ulp, 1u);
  EXPECT_EQ(report.histogram, (std::array<std::uint64_t, 5>{11, 1, 0, 0, 0}));
  ASSERT_TRUE(report.worst);
  EXPECT_EQ(report.worst->token, 1);
  EXPECT_EQ(report.worst->position, 7);
  EXPECT_EQ(report.worst->channel, 1);
  EXPECT_EQ(report.worst->pair, 1);
  EXPECT_EQ(report.worst->x_a, 0.75);
  EXPECT_EQ(report.worst->x_b, 0.0);
  EXPECT_EQ(report.worst->got, up(1.0, 1));
  EXPECT_EQ(report.worst->expected, 1.0);
  const std::string text = format_grade_report(report);
  EXPECT_NE(text.find("FAIL: 1 of 12"), std::string::npos) << text;
  EXPECT_NE(text.find("bit-exact: 11 (91.66%)"), std::string::npos) << text;  // rounded down
  EXPECT_NE(text.find("got 0x1.004p+0, expected 0x1p+0"), std::string::npos) << text;
  EXPECT_TRUE(grade_outputs(set, y, GradeBound::ulps(1)).passed());
  EXPECT_FALSE(grade_outputs(set, y, GradeBound::ulps(0)).passed());
}

TEST(Grading, HistogramBucketsAndInterleavedPairs) {
  const VectorSet set = small_set(Layout::interleaved);
  std::vector<double> y = set.expected;
  y[0] = up(0.5, 2);    // 2-3
  y[2] = up(1.0, 3);    // 2-3
  y[3] = up(2.0, 4);    // 4-15
  y[6] = up(0.25, 16);  // 16+
  y[10] = NAN;          // 16+ (NaN against a number)
  const GradeReport report = grade_outputs(set, y, GradeBound::ulps(3));
  EXPECT_EQ(report.histogram, (std::array<std::uint64_t, 5>{7, 0, 2, 1, 2}));
  EXPECT_EQ(report.max_ulp, kInfiniteUlps);
  EXPECT_EQ(report.violations, 3u);
  EXPECT_EQ(report.first_violation->channel, 3);
  EXPECT_EQ(report.first_violation->pair, 1);  // interleaved: channels (2, 3)
  EXPECT_EQ(report.first_violation->x_a, 1.0);
  EXPECT_EQ(report.first_violation->x_b, 2.0);
  ASSERT_TRUE(report.worst);
  EXPECT_EQ(report.worst->channel, 4);  // the NaN, a pass-through channel
  EXPECT_EQ(report.worst->pair, -1);
  EXPECT_EQ(report.worst->x_a, 4.0);
  const auto json = grade_report_json(report);
  EXPECT_EQ(json["max_ulp"], "inf");
  EXPECT_EQ(json["violations"], 3);
  EXPECT_EQ(json["worst"]["pair"], nullptr);
}

TEST(Grading, SignedZeroIsZeroUlpsButNotBitExact) {
  VectorSet set = small_set(Layout::half);
  std::vector<double> y = set.expected;
  y[9] = -0.0;
  EXPECT_FALSE(grade_outputs(set, y, GradeBound::exact()).passed());
  const GradeReport report = grade_outputs(set, y, GradeBound::ulps(0));
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(report.exact, 11u);
  y[9] = 0x1p-24;  // the least subnormal above +0, below which -0x1p-24 lies 2 ulps away
  set.expected[9] = -0x1p-24;
  EXPECT_EQ(grade_outputs(set, y, GradeBound::ulps(0)).max_ulp, 2u);
}

TEST(Grading, AbsoluteBoundAllowsHalfAnUlpOfExpectedOnTop) {
  const VectorSet set = small_set(Layout::half);
  std::vector<double> y = set.expected;
  y[8] = -0.5 - 0x1p-11;  // 1 ulp of f16 at 0.5 is 2^-11
  int calls = 0;
  const auto bound = [&](const OutputSite& site) {
    ++calls;
    return site.channel == 2 ? 0x1p-13 : 0.0;
  };
  // Allowed at channel 2: 2^-13 + 0.5 * 2^-11 = 2^-13 + 2^-12 < 2^-11.
  EXPECT_FALSE(grade_outputs(set, y, GradeBound::within(bound, "pipeline test")).passed());
  EXPECT_GT(calls, 0);
  const auto wide = [](const OutputSite&) { return 0x1p-12; };  // 2^-12 + 2^-12 = 2^-11
  const GradeReport report = grade_outputs(set, y, GradeBound::within(wide, "pipeline test"));
  EXPECT_TRUE(report.passed());
  EXPECT_EQ(report.bound, "pipeline test");
  // The error 2^-11 uses all of the allowed 2^-11: a margin of exactly 1, at that output.
  EXPECT_EQ(report.margin, 1.0);
  ASSERT_TRUE(report.margin_site);
  EXPECT_EQ(report.margin_site->channel, 2);
  EXPECT_EQ(report.margin_site->position, 7);
  y[8] = NAN;
  EXPECT_FALSE(grade_outputs(set, y, GradeBound::within(wide, "pipeline test")).passed());
}

// The analysis without running the registry (the hand-built sets are no real RoPE).
GradeAnalysisOptions without_behaves_like(std::vector<std::int64_t> band_edges = {},
                                          std::vector<double> thresholds = {1e-3, 1e-2}) {
  GradeAnalysisOptions options;
  options.band_edges = std::move(band_edges);
  options.thresholds = std::move(thresholds);
  options.behaves_like = false;
  return options;
}

TEST(GradeReport, PairErrorRelativeToTheNormAndInUlpsOfIt) {
  const VectorSet set = small_set(Layout::half);
  std::vector<double> y = set.expected;
  y[7] = up(y[7], 1);  // token 1 (position 7), pair 1 = channels (1, 3), x = (0.75, 0)
  const GradeAnalysis a = analyse_grade(set, y, without_behaves_like());
  EXPECT_EQ(a.attention_factor, 1.0);
  EXPECT_EQ(a.pairs, 4u);
  EXPECT_EQ(a.pass_through, 4u);
  EXPECT_EQ(a.pass_through_differ, 0u);
  ASSERT_EQ(a.bands.size(), 1u);  // positions 0 and 7: the audit's first band only
  EXPECT_EQ(a.bands[0].lo, 0);
  EXPECT_EQ(a.bands[0].hi, 1024);
  EXPECT_EQ(a.bands[0].pairs, 4u);
  EXPECT_EQ(a.bands[0].unit_pairs, 3u);  // pair 1 of token 0 holds x = 2.0
  // One f16 ulp of 1.0 (2^-10) against the pair norm |(0.75, 0)| = 0.75, whose ulp is 2^-11.
  EXPECT_EQ(a.bands[0].relative.error, 0x1p-10 / 0.75);
  EXPECT_EQ(a.bands[0].relative.site.position, 7);
  EXPECT_EQ(a.bands[0].relative.site.channel, 1);
  EXPECT_EQ(a.bands[0].absolute.error, 0x1p-10);
  EXPECT_EQ(a.max_norm_ulps, 2.0);
  EXPECT_EQ(a.norm_histogram, (std::array<std::uint64_t, 7>{3, 0, 0, 1, 0, 0, 0}));
  // 2^-10 / 0.75 = 1.3e-3 is over 1e-3 from position 7 on: safe up to 0; never over 1e-2.
  ASSERT_EQ(a.safe_up_to.size(), 2u);
  EXPECT_EQ(a.first_over[0], 7);
  EXPECT_EQ(a.safe_up_to[0], 0);
  EXPECT_FALSE(a.first_over[1]);
  EXPECT_EQ(a.safe_up_to[1], 7);
  const GradeReport report = grade_outputs(set, y, GradeBound::ulps(2));
  EXPECT_EQ(report.margin, 0.5);  // 1 ulp of the allowed 2
  ASSERT_TRUE(report.margin_site);
  EXPECT_EQ(report.margin_site->position, 7);
  const std::string text = format_grade_analysis(report, a);
  EXPECT_NE(text.find("safe up to"), std::string::npos) << text;
  EXPECT_NE(text.find("T=0.001: 0"), std::string::npos) << text;
  EXPECT_NE(text.find("T=0.01: >=7"), std::string::npos) << text;
  EXPECT_NE(text.find("bound margin: 0.5 of the max-ulp 2 bound at its worst, position 7"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("PASS"), std::string::npos) << text;
  EXPECT_EQ(text.find("ulp error histogram"), std::string::npos) << text;
}

TEST(GradeReport, RefusesBandsThatMissPositionsAndBadThresholds) {
  const VectorSet set = small_set(Layout::half);
  EXPECT_THROW(analyse_grade(set, set.expected, without_behaves_like({1, 100})), ConfigError);
  EXPECT_THROW(analyse_grade(set, set.expected, without_behaves_like({0, 4})), ConfigError);
  EXPECT_THROW(analyse_grade(set, set.expected, without_behaves_like({}, {0.0})), ConfigError);
}

VectorSet f32_set() {
  VectorSpec spec;
  spec.config = {{"head_dim", 32}, {"rope_theta", 10000.0}, {"layout", "half"}};
  spec.dtype = Dtype::f32;
  // Positions where elementwise:f32 stays under 1e-3 (its angle m theta, rounded to f32, errs
  // by about m 2^-24 radians): every threshold crossing below comes from the planted bug.
  spec.positions = {0, 1, 2, 3, 100, 1000, 2000, 4000};
  spec.positions_spec = "0..3,100,1000,2000,4000";
  spec.heads = 2;
  return generate_vectors(spec);
}

std::vector<double> registry_outputs(const VectorSet& set, const std::string& impl,
                                     std::optional<std::size_t> flipped_token = std::nullopt) {
  std::vector<std::int64_t> rows;
  for (std::size_t t = 0; t < set.positions.size(); ++t) {
    // The planted bug: the sine's sign flipped at one position, i.e. a rotation by -m.
    const std::int64_t m = t == flipped_token ? -set.positions[t] : set.positions[t];
    rows.insert(rows.end(), static_cast<std::size_t>(set.heads), m);
  }
  return apply_rows(find_implementation(impl), set.config, rows, set.x, set.seq_len);
}

const BehavesLike& entry(const GradeAnalysis& a, const std::string& impl) {
  const auto it = std::find_if(a.behaves_like.begin(), a.behaves_like.end(),
                               [&](const BehavesLike& b) { return b.impl == impl; });
  if (it == a.behaves_like.end()) throw std::runtime_error(impl + " not run");
  return *it;
}

TEST(GradeReport, RegistryOutputsBehaveLikeTheirPipelineOnEveryOutput) {
  const VectorSet set = f32_set();
  const std::vector<double> y = registry_outputs(set, "elementwise:f32");
  const GradeAnalysis a = analyse_grade(set, y, {});
  for (const BehavesLike& b : a.behaves_like)
    EXPECT_EQ(find_implementation(b.impl).dtype(), Dtype::f32) << b.impl;
  EXPECT_EQ(entry(a, "elementwise:f32").identical, a.outputs);
  ASSERT_FALSE(a.behaves_like.empty());
  EXPECT_EQ(a.behaves_like.front().identical, a.outputs);
  ASSERT_TRUE(a.behaves_like.front().within_bound);
  EXPECT_TRUE(*a.behaves_like.front().within_bound);
  const GradeReport report = grade_outputs(set, y, pipeline_bound(set, "f32"));
  EXPECT_TRUE(report.passed());
  EXPECT_GT(report.margin, 0.0);  // m theta rounded to f32: not every output correctly rounded
  EXPECT_LE(report.margin, 1.0);
  // The audit's bands holding the set's positions: [0,2^10) and [2^10,2^16).
  ASSERT_EQ(a.bands.size(), 2u);
  EXPECT_EQ(a.bands[0].pairs, 6u * 2 * 16);
  EXPECT_EQ(a.bands[1].lo, 1024);
  for (std::size_t t = 0; t < a.thresholds.size(); ++t) EXPECT_FALSE(a.first_over[t]);
  EXPECT_EQ(a.safe_up_to[0], 4000);
  const std::string text = format_grade_analysis(report, a);
  EXPECT_NE(text.find("on 100.00 % of outputs; within that pipeline's bound"), std::string::npos)
      << text;
  // The closest pipeline is named with what it models.
  const std::string summary(find_implementation(a.behaves_like.front().impl).pipeline->summary);
  EXPECT_NE(text.find("` (" + summary + ") on 100.00 %"), std::string::npos) << text;
  // The margin's position in plain digits, as a user greps for it.
  EXPECT_NE(
      text.find(fmt::format("at its worst, position {} (token", report.margin_site->position)),
      std::string::npos)
      << text;
}

TEST(GradeReport, AFlippedSineAtOnePositionIsLocatedEverywhere) {
  const VectorSet set = f32_set();
  const std::size_t token = 6;  // position 2000
  const std::vector<double> y = registry_outputs(set, "elementwise:f32", token);
  const GradeAnalysis a = analyse_grade(set, y, {});
  // Rotating by -m instead of m moves each pair by 2 |sin(m theta_i)| of its norm.
  for (std::size_t t = 0; t < a.thresholds.size(); ++t) {
    EXPECT_EQ(a.first_over[t], 2000);
    EXPECT_EQ(a.safe_up_to[t], 1000);
  }
  EXPECT_EQ(a.worst_relative.site.position, 2000);
  EXPECT_GT(a.worst_relative.error, 1e-2);
  // The plot's curve: the bucket of 2000 holds the worst error, the bucket of 1000 stays low.
  EXPECT_EQ(a.bucket_max_rel.at(static_cast<std::size_t>(audit::bucket_of(2000))),
            a.worst_relative.error);
  EXPECT_LT(a.bucket_max_rel.at(static_cast<std::size_t>(audit::bucket_of(1000))), 1e-3);
  EXPECT_EQ(a.bucket_max_rel.at(static_cast<std::size_t>(audit::bucket_of(500))), -1);
  // The closest pipeline's own curve stays low where the kernel's jumps.
  ASSERT_EQ(a.behaves_like.front().impl, "elementwise:f32");
  ASSERT_EQ(a.closest_bucket_max_rel.size(), a.bucket_max_rel.size());
  EXPECT_LT(a.closest_bucket_max_rel[static_cast<std::size_t>(audit::bucket_of(2000))], 1e-3);
  EXPECT_EQ(a.closest_bucket_max_rel[static_cast<std::size_t>(audit::bucket_of(500))], -1);
  const std::string data = grade_plot_data(a);
  EXPECT_EQ(data.rfind("# bucket_start_position kernel elementwise:f32_(closest_pipeline)\n", 0),
            0u)
      << data;
  // A header and one line per bucket holding a position: 1, 2, 3, 100, 1000, 2000 and 4000 each
  // have their own (four buckets per octave of 1 + m); 0 is off the log axis, as in the audit.
  const auto lines = static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n'));
  EXPECT_EQ(lines, 1u + 7u) << data;
  ASSERT_EQ(a.bands.size(), 2u);
  EXPECT_EQ(a.bands[1].relative.site.position, 2000);
  EXPECT_LT(a.bands.front().relative.error, 1e-3);  // the band below stays accurate
  const GradeReport report = grade_outputs(set, y, pipeline_bound(set, "f32"));
  EXPECT_FALSE(report.passed());
  EXPECT_GT(report.margin, 1.0);
  ASSERT_TRUE(report.margin_site);
  EXPECT_EQ(report.margin_site->position, 2000);
  // Only the flipped token's rotated outputs differ from the pipeline's.
  const std::vector<double> clean = registry_outputs(set, "elementwise:f32");
  std::uint64_t differ = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    differ += bitwise_equal(y[i], clean[i], set.dtype) ? 0 : 1;
  EXPECT_GT(differ, 0u);
  EXPECT_EQ(entry(a, "elementwise:f32").identical, a.outputs - differ);
  EXPECT_LT(a.behaves_like.front().identical, a.outputs);
}

}  // namespace
}  // namespace ropecheck::vectors
