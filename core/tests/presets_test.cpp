// The built-in presets: all thirteen load, validate, cite a source, and hold the published numbers.
#include <gtest/gtest.h>

#include <set>

#include "core/config_error.hpp"
#include "core/presets.hpp"

namespace ropecheck {
namespace {

TEST(Presets, AllThirteenLoadWithSources) {
  const std::set<std::string> expected = {
      "llama-2-7b",   "llama-3.1-8b",    "llama-3.2-1b", "mistral-7b",     "qwen2.5-7b",
      "qwen2.5-7b-yarn", "gemma-3-local", "gemma-3-global", "phi-3-mini-128k", "deepseek-v3",
      "gpt-neox-20b", "gpt-j-6b",        "gpt-oss-20b"};
  std::set<std::string> names;
  for (const Preset& preset : builtin_presets()) {
    names.insert(preset.name);
    EXPECT_TRUE(preset.source.starts_with("https://")) << preset.name;
    EXPECT_FALSE(preset.summary.empty()) << preset.name;
    EXPECT_FALSE(preset.model.empty()) << preset.name;
  }
  EXPECT_EQ(names, expected);
}

TEST(Presets, PublishedNumbers) {
  // Values from each model's config.json (the preset files cite the exact URLs).
  const RopeConfig& llama31 = find_preset("llama-3.1-8b").rope;
  EXPECT_EQ(llama31.base, 500000.0);
  EXPECT_EQ(llama31.scaling.type, RopeType::llama3);
  EXPECT_EQ(llama31.scaling.factor, 8.0);
  EXPECT_EQ(llama31.scaling.original_max_position_embeddings, 8192);

  const RopeConfig& neox = find_preset("gpt-neox-20b").rope;
  EXPECT_EQ(neox.head_dim, 96);
  EXPECT_EQ(neox.rotary_dim, 24);

  const RopeConfig& gptj = find_preset("gpt-j-6b").rope;
  EXPECT_EQ(gptj.rotary_dim, 64);
  EXPECT_EQ(gptj.head_dim, 256);
  EXPECT_EQ(gptj.layout, Layout::interleaved);

  const RopeConfig& deepseek = find_preset("deepseek-v3").rope;
  EXPECT_EQ(deepseek.layout, Layout::interleaved);
  EXPECT_EQ(deepseek.scaling.type, RopeType::yarn);
  EXPECT_EQ(deepseek.scaling.factor, 40.0);

  const RopeConfig& phi3 = find_preset("phi-3-mini-128k").rope;
  EXPECT_EQ(phi3.scaling.type, RopeType::longrope);
  EXPECT_EQ(phi3.scaling.long_factor.size(), 48u);
  EXPECT_EQ(phi3.scaling.original_max_position_embeddings, 4096);

  const RopeConfig& oss = find_preset("gpt-oss-20b").rope;
  EXPECT_FALSE(oss.scaling.truncate);
  EXPECT_EQ(oss.base, 150000.0);

  EXPECT_EQ(find_preset("gemma-3-local").rope.base, 10000.0);
  EXPECT_EQ(find_preset("gemma-3-global").rope.scaling.factor, 8.0);
}

TEST(Presets, UnknownNameListsAccepted) {
  try {
    find_preset("llama-9");
    FAIL() << "accepted an unknown preset";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("llama-3.1-8b"), std::string::npos);
  }
}

}  // namespace
}  // namespace ropecheck
