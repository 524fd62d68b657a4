// PluginSubject: configuration support, the cos/sin tables, the batch shape, the bound claimed.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/config_error.hpp"
#include "core/presets.hpp"
#include "kernels/plugin/plugin_subject.hpp"
#include "reference/reference.hpp"

namespace ropecheck::kernels {
namespace {

PluginSubject subject_of(const std::string& kernel, Dtype dtype, std::string bound = "") {
  static const auto lib = PluginLibrary::open(CORRECT_PLUGIN);
  return PluginSubject(lib, lib->kernel(kernel), dtype, {bound});
}

// A head whose pair i holds the unit vector (1, 0).
std::vector<double> unit_pairs(const RopeConfig& c) {
  std::vector<double> x(static_cast<std::size_t>(c.head_dim), 0.0);
  for (int i = 0; i < c.pairs(); ++i)
    x[static_cast<std::size_t>(pair_channels(c.layout, c.rotary_dim, i).a)] = 1.0;
  return x;
}

TEST(PluginSubject, CacheKernelReceivesCorrectlyRoundedTables) {
  // Rotating (1, 0) with tables c, s in f32 arithmetic gives exactly (c, s): what the kernel
  // returns is the table ropecheck filled, which must be RN_f32(a cos), RN_f32(a sin).
  for (const char* preset : {"qwen2.5-7b-yarn", "gpt-j-6b", "phi-3-mini-128k"}) {
    const RopeConfig config = find_preset(preset).rope;
    const PluginSubject subject = subject_of("correct_cached_f32", Dtype::f32);
    const reference::Reference oracle(config, 1 << 20);
    const auto prepared = subject.prepare(config, 1 << 20);
    const std::vector<double> x = unit_pairs(config);
    for (std::int64_t m : {0, 1, 12345, 1 << 19}) {
      std::vector<double> got(x.size()), want(x.size());
      prepared->apply(m, x, got);
      oracle.apply(m, x, Dtype::f32, want);
      EXPECT_EQ(got, want) << preset << " at " << m;
    }
  }
}

TEST(PluginSubject, ComputedKernelIsWithinOneUlpOfTheReference) {
  for (const char* preset : {"llama-3.1-8b", "qwen2.5-7b-yarn", "gpt-neox-20b"}) {
    const RopeConfig config = find_preset(preset).rope;
    const PluginSubject subject = subject_of("correct_f32", Dtype::f32);
    const reference::Reference oracle(config, 100000);
    const auto prepared = subject.prepare(config, 100000);
    std::vector<double> x(static_cast<std::size_t>(config.head_dim));
    for (std::size_t j = 0; j < x.size(); ++j)
      x[j] = std::ldexp(static_cast<double>(j % 7) - 3, -2);
    for (std::int64_t m : {0, 3, 4096, 99999}) {
      std::vector<double> got(x.size()), want(x.size());
      prepared->apply(m, x, got);
      oracle.apply(m, x, Dtype::f32, want);
      for (std::size_t j = 0; j < x.size(); ++j)
        EXPECT_LE(std::abs(got[j] - want[j]),
                  std::ldexp(1.0, -23) * std::max(1.0, std::abs(want[j])))
            << preset << " m=" << m << " j=" << j;
    }
  }
}

TEST(PluginSubject, ShapedBatchEqualsOneHeadRows) {
  const RopeConfig config = find_preset("gpt-j-6b").rope;
  const PluginSubject subject = subject_of("correct_f32", Dtype::f32);
  const auto prepared = subject.prepare(config, 5000);
  const auto& plugin = dynamic_cast<const PreparedPlugin&>(*prepared);
  const std::vector<std::int64_t> positions{0, 17, 4999};
  const std::size_t d = static_cast<std::size_t>(config.head_dim);
  std::vector<double> x(3 * 2 * d);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::ldexp(static_cast<double>(i % 13) - 6, -3);
  std::vector<double> batched(x.size()), rows(x.size());
  plugin.apply_shaped(positions, 2, x, batched);
  plugin.apply_batch(std::vector<std::int64_t>{0, 0, 17, 17, 4999, 4999}, x, rows);
  EXPECT_EQ(batched, rows);
}

TEST(PluginSubject, Bf16KernelRoundTripsBitPatterns) {
  const RopeConfig config = find_preset("llama-2-7b").rope;
  const PluginSubject subject = subject_of("correct_cached_bf16", Dtype::bf16);
  EXPECT_EQ(subject.bound_model(), "bf16-cache");
  const auto prepared = subject.prepare(config, 10);
  std::vector<double> x(static_cast<std::size_t>(config.head_dim), 0.75), y(x.size());
  prepared->apply(0, x, y);
  EXPECT_EQ(y, x);  // position 0 is the identity, exactly
}

TEST(PluginSubject, UnsupportedConfigurationsSayWhy) {
  const PluginSubject subject = subject_of("correct_f32", Dtype::f32);
  RopeConfig dynamic = find_preset("llama-2-7b").rope;
  dynamic.scaling.type = RopeType::dynamic;
  dynamic.scaling.factor = 2;
  EXPECT_FALSE(subject.supports(dynamic));
  EXPECT_EQ(subject.support(dynamic).reason, "rope_type dynamic not supported");
  EXPECT_THROW(subject.prepare(dynamic, 10), ConfigError);
  EXPECT_TRUE(subject.supports(find_preset("llama-3.1-8b").rope));
}

TEST(PluginSubject, BoundIsTheFlagThenTheClaimThenTheDtypeDefault) {
  EXPECT_EQ(subject_of("correct_f32", Dtype::f32).bound_model(), "f32");
  EXPECT_EQ(subject_of("correct_f32", Dtype::f32, "ggml-f32").bound_model(), "ggml-f32");
  EXPECT_EQ(default_bound(Dtype::f64), "f64");
  EXPECT_EQ(default_bound(Dtype::bf16), "bf16-hf");
  EXPECT_EQ(default_bound(Dtype::f16), "f32");  // plus the final rounding to f16
  // A cos/sin-cache kernel computes no angle: the cache model of the same arithmetic.
  EXPECT_EQ(default_bound(Dtype::f32, true), "cache:f32");
  EXPECT_EQ(default_bound(Dtype::bf16, true), "cache:bf16");
  EXPECT_EQ(default_bound(Dtype::f16, true), "cache:f32");
}

}  // namespace
}  // namespace ropecheck::kernels
