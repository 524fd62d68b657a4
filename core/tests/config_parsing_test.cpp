// Reading Hugging Face config.json keys, with every fallback the spec lists.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/hf_config.hpp"

namespace ropecheck {
namespace {

using nlohmann::json;

TEST(ConfigParsing, HeadDimFromHiddenSizeAndHeads) {
  const RopeConfig c = parse_hf_config(json{{"hidden_size", 4096}, {"num_attention_heads", 32}});
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.rotary_dim, 128);
  EXPECT_EQ(c.base, 10000.0);  // Hugging Face's default rope_theta
  EXPECT_EQ(c.layout, Layout::half);
}

TEST(ConfigParsing, GptNeoXLegacyKeys) {
  // GPT-NeoX-20B config.json: rotary_pct and rotary_emb_base instead of the newer names.
  const RopeConfig c = parse_hf_config(json{{"hidden_size", 6144},
                                            {"num_attention_heads", 64},
                                            {"rotary_pct", 0.25},
                                            {"rotary_emb_base", 10000}});
  EXPECT_EQ(c.head_dim, 96);
  EXPECT_EQ(c.rotary_dim, 24);
}

TEST(ConfigParsing, GptJRotaryDimAndPositions) {
  const RopeConfig c = parse_hf_config(json{{"n_embd", 4096},
                                            {"n_head", 16},
                                            {"rotary_dim", 64},
                                            {"n_positions", 2048},
                                            {"layout", "interleaved"}});
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.rotary_dim, 64);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.layout, Layout::interleaved);
}

TEST(ConfigParsing, PartialRotaryFactorTruncatesLikePython) {
  // Python's int(128 * 0.3) = int(38.4) = 38: truncation, not rounding.
  const RopeConfig c = parse_hf_config(json{{"head_dim", 128}, {"partial_rotary_factor", 0.3}});
  EXPECT_EQ(c.rotary_dim, 38);
}

TEST(ConfigParsing, LegacyTypeKeyAndSuAlias) {
  json config = {{"head_dim", 8},
                 {"max_position_embeddings", 131072},
                 {"original_max_position_embeddings", 4096},
                 {"rope_scaling",
                  {{"type", "su"}, {"short_factor", {1, 1, 1, 1}}, {"long_factor", {1, 2, 3, 4}}}}};
  const RopeConfig c = parse_hf_config(config);
  EXPECT_EQ(c.scaling.type, RopeType::longrope);
  EXPECT_EQ(c.scaling.original_max_position_embeddings, 4096);
  EXPECT_EQ(c.scaling.long_factor.at(3), 4.0);
}

TEST(ConfigParsing, RopeParametersFlat) {
  const RopeConfig c = parse_hf_config(json{
      {"head_dim", 64},
      {"max_position_embeddings", 131072},
      {"rope_parameters",
       {{"rope_type", "yarn"}, {"rope_theta", 150000}, {"factor", 32.0},
        {"original_max_position_embeddings", 4096}, {"truncate", false}}}});
  EXPECT_EQ(c.base, 150000.0);
  EXPECT_EQ(c.scaling.type, RopeType::yarn);
  EXPECT_FALSE(c.scaling.truncate);
  EXPECT_EQ(c.scaling.beta_fast, 32.0);  // defaults when absent
  EXPECT_EQ(c.scaling.beta_slow, 1.0);
}

TEST(ConfigParsing, RopeParametersPerLayerType) {
  // Gemma 3 in the newer format: one entry per attention layer type.
  const json config = {{"head_dim", 256},
                       {"rope_parameters",
                        {{"full_attention", {{"rope_type", "linear"}, {"factor", 8.0},
                                             {"rope_theta", 1000000.0}}},
                         {"sliding_attention", {{"rope_type", "default"},
                                                {"rope_theta", 10000.0}}}}}};
  const RopeConfig global = parse_hf_config(config);
  EXPECT_EQ(global.base, 1e6);
  EXPECT_EQ(global.scaling.type, RopeType::linear);
  const RopeConfig local = parse_hf_config(config, {.layer_type = "sliding_attention"});
  EXPECT_EQ(local.base, 1e4);
  EXPECT_EQ(local.scaling.type, RopeType::standard);
}

TEST(ConfigParsing, LegacyGemma3LocalBase) {
  const json config = {{"head_dim", 256},
                       {"rope_theta", 1000000.0},
                       {"rope_local_base_freq", 10000.0},
                       {"rope_scaling", {{"rope_type", "linear"}, {"factor", 8.0}}}};
  EXPECT_EQ(parse_hf_config(config).scaling.factor, 8.0);
  const RopeConfig local = parse_hf_config(config, {.layer_type = "sliding_attention"});
  EXPECT_EQ(local.base, 10000.0);
  EXPECT_EQ(local.scaling.type, RopeType::standard);  // the global scaling is not applied
}

TEST(ConfigParsing, ProportionalKeepsWholeHead) {
  // Gemma 4 full-attention layers: p-RoPE with p = 0.25 over a 512-wide head.
  const RopeConfig c = parse_hf_config(
      json{{"head_dim", 512},
           {"rope_parameters", {{"rope_type", "proportional"}, {"partial_rotary_factor", 0.25},
                                {"rope_theta", 1000000.0}}}});
  EXPECT_EQ(c.rotary_dim, 512);
  EXPECT_EQ(c.scaling.rotated_fraction, 0.25);
}

TEST(ConfigParsing, DeepSeekRopeSliceAndInterleave) {
  const RopeConfig c = parse_hf_config(json{{"hidden_size", 7168},
                                            {"num_attention_heads", 128},
                                            {"qk_rope_head_dim", 64},
                                            {"rope_interleave", true}});
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.layout, Layout::interleaved);
}

TEST(ConfigParsing, MultimodalTextConfig) {
  const RopeConfig c = parse_hf_config(
      json{{"model_type", "gemma3"}, {"text_config", {{"head_dim", 256}, {"rope_theta", 1e6}}}});
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.base, 1e6);
}

TEST(ConfigParsing, ZeroMeansAbsentForYarnParameters) {
  // HF reads beta_fast/beta_slow/mscale with Python's `or`: 0 falls back to the default.
  const RopeConfig c = parse_hf_config(json{
      {"head_dim", 64},
      {"max_position_embeddings", 4096},
      {"rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}, {"beta_fast", 0},
                        {"beta_slow", 0}, {"mscale", 0}, {"mscale_all_dim", 1.0}}}});
  EXPECT_EQ(c.scaling.beta_fast, 32.0);
  EXPECT_EQ(c.scaling.beta_slow, 1.0);
  EXPECT_FALSE(c.scaling.mscale.has_value());
}

TEST(ConfigParsing, TopLevelPartialFactorWins) {
  // HF v5 standardize_rope_params copies the top-level value over the dict's.
  const RopeConfig c = parse_hf_config(json{
      {"head_dim", 128},
      {"partial_rotary_factor", 0.5},
      {"rope_parameters", {{"rope_type", "default"}, {"partial_rotary_factor", 0.25}}}});
  EXPECT_EQ(c.rotary_dim, 64);
}

TEST(ConfigParsing, Gemma4GlobalHeadDim) {
  const json config = {
      {"head_dim", 256},
      {"global_head_dim", 512},
      {"rope_parameters",
       {{"full_attention", {{"rope_type", "proportional"}, {"partial_rotary_factor", 0.25},
                            {"rope_theta", 1000000.0}}},
        {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 10000.0}}}}}};
  EXPECT_EQ(parse_hf_config(config).head_dim, 512);
  EXPECT_EQ(parse_hf_config(config, {.layer_type = "sliding_attention"}).head_dim, 256);
}

TEST(ConfigParsing, ScalingErrorsNameTheirSection) {
  try {
    parse_hf_config(json{{"head_dim", 64},
                         {"rope_parameters", {{"rope_type", "linear"}, {"factor", 0.5}}}});
    FAIL() << "accepted factor 0.5";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("rope_parameters.factor"), std::string::npos);
  }
}

}  // namespace
}  // namespace ropecheck
