// Properties that compare implementations with each other, or concern the contrast encoding.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <fmt/format.h>

#include "impl/sinusoidal.hpp"
#include "properties/check_support.hpp"
#include "properties/generators.hpp"
#include "properties/harness.hpp"
#include "properties/subject.hpp"

namespace ropecheck::properties {
namespace {

// The three forms of one pipeline each lie within that pipeline's bound of the exact value, so
// any two of them lie within twice the bound of each other.
TEST(CrossChecks, FormsAgreeWithinTwiceTheBound) {
  for (const PipelineDescription& pipeline : all_pipelines()) {
    std::vector<std::unique_ptr<Subject>> forms;
    for (const Implementation& impl : all_implementations())
      if (impl.pipeline->name == pipeline.name) forms.push_back(registry_subject(impl));
    // Only fused multiply-adds keep a pipeline to the elementwise form (impl/pipeline.hpp).
    if (pipeline.contraction == Contraction::fma) {
      EXPECT_EQ(forms.size(), 1u) << pipeline.name;
      continue;
    }
    ASSERT_GE(forms.size(), 2u) << pipeline.name;
    const bool held = rc::check(fmt::format("forms agree for {}", pipeline.name), [&] {
      const TestCase c = *gen_case(forms[0]->dtype(), true);
      const Harness first(*forms[0], c);
      const std::int64_t m = first.in_domain(c.m);
      const auto y0 = first.rotate(m, c.q);
      const auto bound = first.bounds(m, c.q);
      for (std::size_t f = 1; f < forms.size(); ++f) {
        const Harness other(*forms[f], c);
        const auto y = other.rotate(m, c.q);
        for (std::size_t j = 0; j < y.size(); ++j)
          if (!(nan_aware_distance(y[j], y0[j]) <= 2 * bound[j]))
            RC_FAIL(fmt::format("{} vs {} at m = {}: {}\n  {}", forms[f]->name(), forms[0]->name(),
                                m, channel_detail(static_cast<int>(j), y[j], y0[j]), describe(c)));
      }
    });
    EXPECT_TRUE(held) << pipeline.name;
  }
}

// PE(p + k) = M_k PE(p) (Vaswani et al. 2017): in double both sides carry the angle error of
// positions up to |p| + |k|, about (|p| + |k|) 2^-52 per frequency, plus a few u.
TEST(CrossChecks, SinusoidalShiftLinearity) {
  const bool held = rc::check("sinusoidal shift-linearity", [] {
    const int dim = 2 * *rc::gen::inRange(1, 257);
    const auto p = *rc::gen::inRange<std::int64_t>(-(1 << 20), 1 << 20);
    const auto k = *rc::gen::inRange<std::int64_t>(-(1 << 20), 1 << 20);
    const auto shifted = sinusoidal_shift<double>(dim, k, sinusoidal_encoding<double>(dim, p));
    const auto direct = sinusoidal_encoding<double>(dim, p + k);
    const double bound = (4.0 * (std::llabs(p) + std::llabs(k)) + 8) * 0x1p-53;
    for (int j = 0; j < dim; ++j)
      if (!(std::fabs(shifted[j] - direct[j]) <= bound))
        RC_FAIL(fmt::format("dim {}, p = {}, k = {}, channel {}: {:a} vs {:a}", dim, p, k, j,
                            shifted[j], direct[j]));
  });
  EXPECT_TRUE(held);
}

}  // namespace
}  // namespace ropecheck::properties
