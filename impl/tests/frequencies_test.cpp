// Each scaling variant's frequencies against published or hand-derived values (source cited).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/hf_config.hpp"
#include "core/presets.hpp"
#include "impl/frequencies.hpp"

namespace ropecheck {
namespace {

using nlohmann::json;

constexpr double kU = 0x1p-53;  // unit roundoff of binary64

RopeConfig config_of(json scaling, int head_dim = 128, double base = 10000.0) {
  json c = {{"head_dim", head_dim}, {"rope_theta", base}, {"max_position_embeddings", 4096}};
  if (!scaling.is_null()) c["rope_scaling"] = std::move(scaling);
  return parse_hf_config(c);
}

TEST(Frequencies, DefaultClosedForm) {
  // theta_1 = 10000^(-2/128) = 10^(-1/16) = 0.865964323360065... (hand-derived).
  const auto theta = default_frequencies<double>(10000.0, 128);
  EXPECT_EQ(theta[0], 1.0);
  EXPECT_NEAR(theta[1], 0.86596432336006535, 4 * kU);
  // The last pair's wavelength 2*pi*10000^(126/128) is 54410.143 tokens (hand-derived).
  EXPECT_NEAR(2 * std::numbers::pi / theta[63], 54410.143, 0.001);
}

TEST(Frequencies, LinearDividesByFactor) {
  const auto plain = compute_frequencies<double>(config_of(nullptr), 1);
  const auto linear = compute_frequencies<double>(config_of({{"rope_type", "linear"},
                                                             {"factor", 8.0}}), 1);
  for (std::size_t i = 0; i < plain.theta.size(); ++i) EXPECT_EQ(linear.theta[i], plain.theta[i] / 8);
}

TEST(Frequencies, NtkMapsLowestFrequencyToThetaOverS) {
  // (base s^(d/(d-2)))^(-(d-2)/d) = base^(-(d-2)/d) / s exactly in real arithmetic.
  const auto plain = compute_frequencies<double>(config_of(nullptr), 1);
  const auto ntk = compute_frequencies<double>(config_of({{"rope_type", "ntk"}, {"factor", 4.0}}), 1);
  EXPECT_NEAR(ntk.theta.back() / (plain.theta.back() / 4), 1.0, 64 * kU);
  EXPECT_EQ(ntk.theta.front(), 1.0);  // the highest frequency is untouched
}

TEST(Frequencies, DynamicNtkFollowsSequenceLength) {
  const RopeConfig c = config_of({{"rope_type", "dynamic"}, {"factor", 2.0}});
  const auto plain = default_frequencies<double>(10000.0, 128);
  EXPECT_EQ(compute_frequencies<double>(c, 4096).theta, plain);  // within the context: unchanged
  // At twice the context: base' = base * (2*2 - 1)^(128/126) (HF _compute_dynamic_ntk_parameters).
  const double base = 10000.0 * std::pow(3.0, 128.0 / 126.0);
  const auto grown = compute_frequencies<double>(c, 8192);
  EXPECT_NEAR(grown.theta[63] / std::pow(base, -126.0 / 128.0), 1.0, 64 * kU);
}

TEST(Frequencies, YarnRampForQwenYarnPreset) {
  // Qwen2.5-7B + YaRN x4 (L0 = 32768, base 1e6, d = 128): correction dims 23.60 and 39.65,
  // truncated to 23 and 40 (hand-derived from Peng et al. 2023, Eq. 17-19).
  const RopeConfig& c = find_preset("qwen2.5-7b-yarn").rope;
  const auto yarn = compute_frequencies<double>(c, 1);
  const auto plain = default_frequencies<double>(c.base, c.rotary_dim);
  for (int i = 0; i <= 23; ++i) EXPECT_EQ(yarn.theta[i], plain[i]) << i;
  for (int i = 40; i < 64; ++i) EXPECT_NEAR(yarn.theta[i] / (plain[i] / 4), 1.0, 4 * kU) << i;
  for (int i = 24; i < 40; ++i) {
    EXPECT_LT(yarn.theta[i], plain[i]) << i;
    EXPECT_GT(yarn.theta[i], plain[i] / 4) << i;
  }
  EXPECT_NEAR(yarn.attention_factor, 1.0 + 0.1 * std::log(4.0), 2 * kU);
}

TEST(Frequencies, YarnWithoutTruncation) {
  // gpt-oss-20b: truncate = false keeps the fractional correction dims 8.0928 and 17.398, so
  // pair 9 takes ramp 0.0975 (hand-derived) instead of 0.1.
  const RopeConfig& c = find_preset("gpt-oss-20b").rope;
  const auto yarn = compute_frequencies<double>(c, 1);
  const auto plain = default_frequencies<double>(c.base, c.rotary_dim);
  const double ramp = (1.0 - yarn.theta[9] / plain[9]) / (1.0 - 1.0 / 32.0);
  EXPECT_NEAR(ramp, 0.0975, 5e-4);
  EXPECT_NEAR(yarn.attention_factor, 1.0 + 0.1 * std::log(32.0), 2 * kU);
}

TEST(Frequencies, YarnDeepSeekMscaleRatioAndOverride) {
  // DeepSeek-V3: mscale = mscale_all_dim = 1, so the cos/sin factor is g(40)/g(40) = 1.
  EXPECT_EQ(compute_frequencies<double>(find_preset("deepseek-v3").rope, 1).attention_factor, 1.0);
  RopeConfig c = find_preset("deepseek-v3").rope;
  c.scaling.mscale = 0.707;
  c.scaling.mscale_all_dim = 1.0;
  const double g = 0.1 * std::log(40.0);
  EXPECT_NEAR(compute_frequencies<double>(c, 1).attention_factor,
              (0.707 * g + 1) / (g + 1), 4 * kU);
  c.scaling.attention_factor = 1.25;  // an explicit factor replaces the formula (HF)
  EXPECT_EQ(compute_frequencies<double>(c, 1).attention_factor, 1.25);
}

TEST(Frequencies, Llama3WavelengthBands) {
  // Llama 3.1: wavelengths below 8192/4 = 2048 kept (pairs 0..28), above 8192 divided by 8
  // (pairs 35..63), smoothed in between (hand-derived: 64 ln(2048/2pi)/ln 5e5 = 28.2,
  // 64 ln(8192/2pi)/ln 5e5 = 34.98; Meta's apply_scaling).
  const RopeConfig& c = find_preset("llama-3.1-8b").rope;
  const auto scaled = compute_frequencies<double>(c, 1);
  const auto plain = default_frequencies<double>(c.base, c.rotary_dim);
  for (int i = 0; i <= 28; ++i) EXPECT_EQ(scaled.theta[i], plain[i]) << i;
  for (int i = 35; i < 64; ++i) EXPECT_EQ(scaled.theta[i], plain[i] / 8) << i;
  for (int i = 29; i <= 34; ++i) {
    EXPECT_LT(scaled.theta[i], plain[i]) << i;
    EXPECT_GT(scaled.theta[i], plain[i] / 8) << i;
  }
  EXPECT_EQ(scaled.attention_factor, 1.0);
}

TEST(Frequencies, LongRopeSwitchAndAttentionFactor) {
  // Phi-3-mini-128k: s = 131072/4096 = 32, a = sqrt(1 + ln 32 / ln 4096) = sqrt(1 + 5/12).
  const RopeConfig& c = find_preset("phi-3-mini-128k").rope;
  const auto short_f = compute_frequencies<double>(c, 4096);  // max position 4095: short
  const auto long_f = compute_frequencies<double>(c, 4097);   // max position 4096: long
  EXPECT_NEAR(short_f.attention_factor, std::sqrt(17.0 / 12.0), 2 * kU);
  const auto plain = default_frequencies<double>(c.base, c.rotary_dim);
  for (int i = 0; i < 48; ++i) {
    EXPECT_NEAR(short_f.theta[i] * c.scaling.short_factor[i] / plain[i], 1.0, 4 * kU) << i;
    EXPECT_NEAR(long_f.theta[i] * c.scaling.long_factor[i] / plain[i], 1.0, 4 * kU) << i;
  }
}

TEST(Frequencies, ProportionalRotatesOnlyHighestFrequencies) {
  // Gemma 4 global layers: p = 0.25 of a 512-wide head -> floor(0.25 * 256) = 64 pairs rotate.
  const RopeConfig c = parse_hf_config(json{
      {"head_dim", 512},
      {"rope_parameters", {{"rope_type", "proportional"}, {"partial_rotary_factor", 0.25},
                           {"rope_theta", 1e6}}}});
  const auto f = compute_frequencies<double>(c, 1);
  const auto plain = default_frequencies<double>(1e6, 512);
  ASSERT_EQ(f.theta.size(), 256u);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(f.theta[i], plain[i]);
  for (int i = 64; i < 256; ++i) EXPECT_EQ(f.theta[i], 0.0);
}

TEST(Frequencies, Float32FollowsHuggingFaceRounding) {
  // HF forms inv_freq as 1 / powf(base, (2i)/d) in float32; the f32 values must be exactly that.
  const auto theta = default_frequencies<float>(500000.0, 128);
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(theta[i], 1.0f / std::pow(500000.0f, static_cast<float>(2 * i) / 128.0f));
}

}  // namespace
}  // namespace ropecheck
