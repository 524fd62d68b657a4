// Every registered pipeline has a finite bound wherever its outputs are defined, derived from its
// description; an unknown name or a stage without a bound is an error, never an infinite bound.
#include <gtest/gtest.h>

#include <cmath>

#include "core/config_error.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"
#include "properties/error_model.hpp"
#include "properties/pair_bound.hpp"
#include "properties/subject.hpp"
#include "reference/reference.hpp"

namespace ropecheck::properties {
namespace {

TEST(ErrorModel, EveryRegisteredPipelineHasAFiniteBound) {
  for (const PipelineDescription& p : all_pipelines()) {
    EXPECT_TRUE(has_error_model(p.name)) << p.name;
    for (const Preset& preset : builtin_presets()) {
      const RopeConfig& config = preset.rope;
      const std::int64_t domain = position_domain(p.name);
      const std::int64_t seq_len = std::min<std::int64_t>(domain, std::int64_t{1} << 31);
      const reference::Reference oracle(config, seq_len);
      const PairBounds bounds(p.name, config, seq_len, oracle, p.dtype);
      for (std::int64_t m : {std::int64_t{0}, std::int64_t{1}, std::int64_t{4097}, domain / 3,
                             domain, -domain}) {
        for (int pair = 0; pair < config.pairs(); ++pair) {
          const double b = bounds.bound(pair, m, 0.75, -0x1p-20);
          ASSERT_TRUE(std::isfinite(b) && b > 0)
              << p.name << " on " << preset.name << " at m = " << m << ", pair " << pair << ": " << b;
        }
      }
    }
  }
}

TEST(ErrorModel, UnknownNameIsAnErrorNamingTheAcceptedOnes) {
  EXPECT_FALSE(has_error_model("f128"));
  PairBoundInput in;
  in.config = &find_preset("llama-2-7b").rope;
  try {
    output_error_bound("f128", in);
    FAIL() << "an unknown pipeline got a bound";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "pipeline");
    EXPECT_NE(std::string(e.what()).find("tf32-angle"), std::string::npos) << e.what();
  }
  EXPECT_THROW(position_domain("f128"), ConfigError);
}

TEST(ErrorModel, OutsideThePositionDomainIsAnError) {
  PairBoundInput in;
  in.config = &find_preset("llama-2-7b").rope;
  in.theta = 1;
  in.position = 65519;
  EXPECT_TRUE(std::isfinite(output_error_bound("f16-positions", in)));
  in.position = 65520;  // rounds to inf in f16
  EXPECT_THROW(output_error_bound("f16-positions", in), ConfigError);
}

TEST(ErrorModel, AStageWithoutABoundIsAnError) {
  PipelineDescription p = find_pipeline("f32");
  p.trig = TrigMethod::unreduced_polynomial;
  PairBoundInput in;
  in.config = &find_preset("llama-2-7b").rope;
  EXPECT_THROW(output_error_bound(p, in), ConfigError);
}

// The new pipelines' bounds follow from their stages: TF32 inputs add 2^-11 of theta (and of
// positions above 2048) to the angle, fused multiply-adds keep f32's gamma_2.
TEST(ErrorModel, Tf32AndFmaBoundsFollowTheirStages) {
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  PairBoundInput in;
  in.config = &config;
  in.theta = 0.5;
  in.input_sum = 1;
  in.output_abs = 1;
  in.position = 1000;
  const double f32 = output_error_bound("f32", in);
  EXPECT_EQ(output_error_bound("f32-fma", in), f32);
  const double tf32 = output_error_bound("tf32-angle", in);
  // About 1.25 * 1000 * 0.5 * 2^-11 more than f32's angle.
  EXPECT_NEAR(tf32 - f32, 1.25 * 1000 * 0.5 * 0x1p-11, 1e-3 * tf32);
  in.position = 4099;  // positions above 2048 are rounded too
  const double rounded = output_error_bound("tf32-angle", in);
  EXPECT_NEAR(rounded - output_error_bound("f32", in), 1.25 * 4099 * 0.5 * 2 * 0x1p-11,
              1e-3 * rounded);
}

TEST(ErrorModel, RegistrySubjectsClaimTheirOwnDescription) {
  for (const Implementation& impl : all_implementations())
    EXPECT_EQ(registry_subject(impl)->bound_model(), impl.pipeline->name);
  PipelineDescription copy = *all_implementations().front().pipeline;
  const Implementation unregistered{Form::elementwise, &copy};
  EXPECT_THROW(registry_subject(unregistered), std::logic_error);
}

}  // namespace
}  // namespace ropecheck::properties
