// Grading statistics on hand-built vector sets.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/vectors/grading.hpp"

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
  EXPECT_EQ(json["histogram"]["16+"], 2);
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
  y[8] = NAN;
  EXPECT_FALSE(grade_outputs(set, y, GradeBound::within(wide, "pipeline test")).passed());
}

}  // namespace
}  // namespace ropecheck::vectors
