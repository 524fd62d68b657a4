// The "within bound of the correctly rounded result" matcher: verdict, counts, worst case.
#include <gtest/gtest.h>

#include <cmath>

#include "properties/bound_matcher.hpp"

namespace ropecheck::properties {
namespace {

TEST(WithinBound, PassesWhenEveryOutputIsWithinAndShowsTheClosestCall) {
  WithinBound m;
  EXPECT_TRUE(m.expect(1.0, 1.0, 0.0, 5, 0));
  EXPECT_TRUE(m.expect(0.5 + 0x1p-20, 0.5, 0x1p-19, 5, 1));  // ratio 1/2
  EXPECT_TRUE(m.expect(0.25, 0.25 + 0x1p-22, 0x1p-20, 6, 2));  // ratio 1/4
  EXPECT_TRUE(m.passed());
  EXPECT_EQ(m.count(), 3u);
  EXPECT_EQ(m.worst().channel, 1);
  EXPECT_EQ(m.worst().ratio(), 0.5);
  EXPECT_NE(m.explain().find("all 3 outputs within"), std::string::npos) << m.explain();
}

TEST(WithinBound, AMissDecidesAndTheWorstMissIsExplained) {
  WithinBound m;
  EXPECT_TRUE(m.expect(1.0, 1.0 + 0x1p-30, 0x1p-31 * 3, 1, 0));  // within, ratio 2/3
  EXPECT_FALSE(m.expect(2.0, 2.0 + 0x1p-20, 0x1p-21, 7, 3));     // ratio 2
  EXPECT_FALSE(m.expect(3.0, 3.5, 0.125, 9, 4));                 // ratio 4: the worst
  EXPECT_TRUE(m.expect(4.0, 4.0, 0.0, 9, 5));
  EXPECT_FALSE(m.passed());
  EXPECT_EQ(m.misses(), 2u);
  EXPECT_EQ(m.worst().position, 9);
  EXPECT_EQ(m.worst().channel, 4);
  EXPECT_EQ(m.worst_values(), "channel 4 = 0x1.8p+1 (expected 0x1.cp+1)");
  const std::string why = m.explain();
  EXPECT_NE(why.find("2 of 4 outputs outside the bound"), std::string::npos) << why;
  EXPECT_NE(why.find("position 9"), std::string::npos) << why;
  EXPECT_NE(why.find("> bound 0x1p-3"), std::string::npos) << why;
}

TEST(WithinBound, NanAgreesOnlyWithNan) {
  WithinBound m;
  EXPECT_TRUE(m.expect(NAN, NAN, 0.0, 0, 0));
  EXPECT_TRUE(m.expect(HUGE_VAL, HUGE_VAL, 0.0, 0, 1));
  EXPECT_FALSE(m.expect(NAN, 1.0, 1e300, 0, 2));  // no bound admits a NaN where a number is due
  EXPECT_EQ(m.worst().channel, 2);
  EXPECT_EQ(m.worst().ratio(), HUGE_VAL);
  EXPECT_FALSE(m.expect(0.0, 1e-300, 0.0, 0, 3));  // a positive error against a zero bound
  EXPECT_THROW(WithinBound().worst(), std::logic_error);
}

}  // namespace
}  // namespace ropecheck::properties
