// The model-family table at work: class defaults, inferred layouts, per-layer-type RoPE, and the
// fail-closed reading of malformed keys. The configurations are constructed from the keys each
// family's official config.json uses (they are not copies of official files; spec/configs/ holds
// those); the expected values follow the transformers 5.x code cited in core/model_families.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/model_families.hpp"

namespace ropecheck {
namespace {

using nlohmann::json;

std::string error_of(const json& config, const std::string& layer_type = "full_attention") {
  try {
    resolve_hf_config(config, {.layer_type = layer_type});
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "accepted: " << config.dump() << " as " << layer_type;
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Gemma 3 4B's config.json shape: text_config without rope_theta and without head_dim.
json gemma3_4b() {
  return {{"model_type", "gemma3"},
          {"text_config",
           {{"model_type", "gemma3_text"},
            {"hidden_size", 2560},
            {"num_attention_heads", 8},
            {"rope_scaling", {{"factor", 8.0}, {"rope_type", "linear"}}},
            {"sliding_window", 1024}}}};
}

TEST(ModelFamilies, Gemma3ClassDefaults) {
  const ResolvedRope global = resolve_hf_config(gemma3_4b());
  EXPECT_EQ(global.config.head_dim, 256);  // not 2560 / 8 = 320
  EXPECT_EQ(global.config.base, 1e6);
  EXPECT_EQ(global.config.scaling.type, RopeType::linear);
  EXPECT_EQ(global.config.scaling.factor, 8.0);
  EXPECT_TRUE(global.origin.at("rope_theta").starts_with("default of Gemma3TextConfig"));
  EXPECT_TRUE(global.origin.at("head_dim").starts_with("default of Gemma3TextConfig"));
  EXPECT_EQ(global.origin.at("factor"), "file: text_config.rope_scaling.factor");

  const ResolvedRope local = resolve_hf_config(gemma3_4b(), {.layer_type = "sliding_attention"});
  EXPECT_EQ(local.config.base, 10000.0);
  EXPECT_EQ(local.config.scaling.type, RopeType::standard);
  EXPECT_EQ(local.config.head_dim, 256);

  json explicit_theta = gemma3_4b();
  explicit_theta["text_config"]["rope_theta"] = 500000.0;
  EXPECT_EQ(parse_hf_config(explicit_theta).base, 500000.0);  // the file's key wins
}

TEST(ModelFamilies, MisspelledLayerTypeIsAnError) {
  const std::string message = error_of(gemma3_4b(), "sliding_atention");
  EXPECT_TRUE(has(message, "layer_type")) << message;
  EXPECT_TRUE(has(message, "sliding_atention")) << message;
  EXPECT_TRUE(has(message, "full_attention, sliding_attention")) << message;
  // Generic configs too: only full_attention, sliding_attention and the file's own types.
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}}, "global"), "unknown layer type"));
  // Without a family, sliding layers are read only where Gemma 3's legacy keys say how.
  EXPECT_TRUE(has(error_of(json{{"head_dim", 128}, {"rope_theta", 5e5}, {"sliding_window", 4096}},
                           "sliding_attention"),
                  "does not say how its sliding_attention layers rotate"));
  EXPECT_EQ(parse_hf_config(json{{"head_dim", 128}, {"rope_local_base_freq", 20000.0}},
                            {.layer_type = "sliding_attention"})
                .base,
            20000.0);
  // A layer type the family has but the file's layer_types lacks.
  EXPECT_TRUE(has(error_of(json{{"model_type", "qwen2"},
                                {"head_dim", 64},
                                {"layer_types", {"full_attention", "full_attention"}}},
                           "sliding_attention"),
                  "has no \"sliding_attention\" layers"));
  // The file's layer_types may not name a type its family does not have.
  EXPECT_TRUE(has(error_of(json{{"model_type", "gemma3_text"},
                                {"layer_types", {"full_attention", "local_attention"}}}),
                  "local_attention"));
}

TEST(ModelFamilies, GptOssUsesItsYarnOnBothLayerTypes) {
  const json config = {{"model_type", "gpt_oss"},
                       {"hidden_size", 2880},
                       {"num_attention_heads", 64},
                       {"head_dim", 64},
                       {"layer_types", {"sliding_attention", "full_attention"}}};
  for (const char* layer : {"full_attention", "sliding_attention"}) {
    const ResolvedRope r = resolve_hf_config(config, {.layer_type = layer});
    EXPECT_EQ(r.config.scaling.type, RopeType::yarn) << layer;
    EXPECT_EQ(r.config.scaling.factor, 32.0);
    EXPECT_FALSE(r.config.scaling.truncate);
    EXPECT_EQ(r.config.original_context(), 4096);
    EXPECT_EQ(r.config.base, 150000.0);
    EXPECT_TRUE(r.origin.at("factor").starts_with("default of GptOssConfig"));
  }
}

TEST(ModelFamilies, Olmo3SlidingLayersUseDefaultRopeAtTheModelBase) {
  const json config = {{"model_type", "olmo3"},
                       {"hidden_size", 4096},
                       {"num_attention_heads", 32},
                       {"rope_theta", 500000},
                       {"max_position_embeddings", 65536},
                       {"rope_scaling",
                        {{"rope_type", "yarn"},
                         {"factor", 8.0},
                         {"original_max_position_embeddings", 8192},
                         {"attention_factor", 1.2}}}};
  const RopeConfig full = parse_hf_config(config);
  EXPECT_EQ(full.scaling.type, RopeType::yarn);
  const RopeConfig sliding = parse_hf_config(config, {.layer_type = "sliding_attention"});
  EXPECT_EQ(sliding.scaling.type, RopeType::standard);
  EXPECT_EQ(sliding.base, 500000.0);
}

TEST(ModelFamilies, Exaone4FullLayersHaveNoRopeInHybridModels) {
  json config = {{"model_type", "exaone4"},
                 {"hidden_size", 5120},
                 {"num_attention_heads", 40},
                 {"head_dim", 128},
                 {"max_position_embeddings", 131072},
                 {"rope_theta", 1000000},
                 {"sliding_window", 4096},
                 {"rope_scaling",
                  {{"factor", 16.0},
                   {"high_freq_factor", 4.0},
                   {"low_freq_factor", 1.0},
                   {"original_max_position_embeddings", 8192},
                   {"rope_type", "llama3"}}}};
  const std::string message = error_of(config, "full_attention");
  EXPECT_TRUE(has(message, "layer type full_attention of model exaone4 uses no rotary embedding"))
      << message;
  EXPECT_TRUE(has(message, "layer types with one: sliding_attention")) << message;
  EXPECT_EQ(parse_hf_config(config, {.layer_type = "sliding_attention"}).scaling.type,
            RopeType::llama3);
  const auto layers = hf_layer_types(config);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_FALSE(layers[0].rotary);
  EXPECT_TRUE(layers[1].rotary);
  // Without a sliding window every layer rotates (EXAONE 4.0 1.2B).
  config["sliding_window"] = nullptr;
  EXPECT_EQ(parse_hf_config(config).scaling.type, RopeType::llama3);
}

TEST(ModelFamilies, Llama4ScoutChunkedLayersInterleavedAndEmptyMediumBand) {
  const json config = {{"model_type", "llama4"},
                       {"text_config",
                        {{"model_type", "llama4_text"},
                         {"hidden_size", 5120},
                         {"num_attention_heads", 40},
                         {"head_dim", 128},
                         {"max_position_embeddings", 10485760},
                         {"rope_theta", 500000.0},
                         {"rope_scaling",
                          {{"factor", 16.0},
                           {"high_freq_factor", 1.0},
                           {"low_freq_factor", 1.0},
                           {"original_max_position_embeddings", 8192},
                           {"rope_type", "llama3"}}}}}};
  const ResolvedRope r = resolve_hf_config(config, {.layer_type = "chunked_attention"});
  EXPECT_EQ(r.config.layout, Layout::interleaved);
  EXPECT_TRUE(r.origin.at("layout").starts_with("modeling code of llama4"));
  EXPECT_EQ(r.config.scaling.low_freq_factor, r.config.scaling.high_freq_factor);
  EXPECT_TRUE(has(error_of(config, "full_attention"), "uses no rotary embedding"));
}

TEST(ModelFamilies, LayoutInferredAndOverridden) {
  const json deepseek = {{"model_type", "deepseek_v3"},
                         {"hidden_size", 7168},
                         {"num_attention_heads", 128},
                         {"qk_rope_head_dim", 64},
                         {"head_dim", 192}};
  const ResolvedRope r = resolve_hf_config(deepseek);
  EXPECT_EQ(r.config.head_dim, 64);  // DeepseekV3Config: head_dim = qk_rope_head_dim
  EXPECT_EQ(r.config.layout, Layout::interleaved);
  EXPECT_TRUE(r.origin.at("layout").starts_with("default of DeepseekV3Config"));
  json half = deepseek;
  half["rope_interleave"] = false;
  EXPECT_EQ(parse_hf_config(half).layout, Layout::half);
  json explicit_layout = deepseek;
  explicit_layout["layout"] = "half";
  EXPECT_EQ(resolve_hf_config(explicit_layout).origin.at("layout"), "file: layout");

  for (const char* type : {"kimi_k2", "deepseek_v2", "gptj", "cohere"})
    EXPECT_EQ(parse_hf_config(json{{"model_type", type}, {"head_dim", 64}}).layout,
              Layout::interleaved)
        << type;
  for (const char* type : {"llama", "qwen2", "mistral", "gemma2", "phi3", "gpt_neox"})
    EXPECT_EQ(parse_hf_config(json{{"model_type", type}, {"head_dim", 64}}).layout, Layout::half)
        << type;
}

TEST(ModelFamilies, GptJRotaryDimDefault) {
  const RopeConfig c =
      parse_hf_config(json{{"model_type", "gptj"}, {"n_embd", 4096}, {"n_head", 16}});
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.rotary_dim, 64);
  EXPECT_EQ(c.layout, Layout::interleaved);
  EXPECT_EQ(c.max_position_embeddings, 2048);
}

TEST(ModelFamilies, PartialFactorDefaults) {
  // Qwen3-Next: head_dim 256 and partial_rotary_factor 0.25 from Qwen3NextConfig.
  const json next = {{"model_type", "qwen3_next"},
                     {"hidden_size", 2048},
                     {"num_attention_heads", 16},
                     {"layer_types", {"linear_attention", "full_attention"}}};
  const RopeConfig c = parse_hf_config(next);
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.rotary_dim, 64);
  EXPECT_TRUE(has(error_of(next, "linear_attention"), "uses no rotary embedding"));
  // Qwen3.5, dense and MoE: Qwen3_5TextConfig and Qwen3_5MoeTextConfig default head_dim 256 and
  // set partial_rotary_factor 0.25 in __post_init__ (configuration_qwen3_5.py,
  // configuration_qwen3_5_moe.py), so a text config without them rotates 64 of 256 channels.
  for (const char* type : {"qwen3_5_text", "qwen3_5_moe_text"}) {
    const json text = {{"model_type", type},
                       {"hidden_size", 2048},
                       {"num_attention_heads", 16},
                       {"layer_types", {"linear_attention", "full_attention"}}};
    const RopeConfig q = parse_hf_config(text);
    EXPECT_EQ(q.head_dim, 256) << type;  // not 2048 / 16 = 128
    EXPECT_EQ(q.rotary_dim, 64) << type;
  }
  const RopeConfig nested =
      parse_hf_config(json{{"model_type", "qwen3_5"},
                           {"text_config",
                            {{"hidden_size", 4096},
                             {"num_attention_heads", 16},
                             {"layer_types", {"linear_attention", "full_attention"}}}}});
  EXPECT_EQ(nested.head_dim, 256);
  EXPECT_EQ(nested.rotary_dim, 64);
  // GPT-NeoX without rotary_pct: GPTNeoXConfig's 0.25.
  EXPECT_EQ(
      parse_hf_config(
          json{{"model_type", "gpt_neox"}, {"hidden_size", 6144}, {"num_attention_heads", 64}})
          .rotary_dim,
      24);
  // Phi: 0.5.
  EXPECT_EQ(parse_hf_config(
                json{{"model_type", "phi"}, {"hidden_size", 2560}, {"num_attention_heads", 32}})
                .rotary_dim,
            40);
}

TEST(ModelFamilies, MropeIsDefaultRopeForTextPositions) {
  const json qwen2_vl = {{"model_type", "qwen2_vl"},
                         {"hidden_size", 3584},
                         {"num_attention_heads", 28},
                         {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {16, 24, 24}}}}};
  const ResolvedRope r = resolve_hf_config(qwen2_vl);
  EXPECT_EQ(r.config.scaling.type, RopeType::standard);
  EXPECT_EQ(r.config.base, 1e6);  // Qwen2VLTextConfig's default
  ASSERT_FALSE(r.notes.empty());
  EXPECT_TRUE(has(r.notes.front(), "mrope"));
  EXPECT_TRUE(has(r.notes.front(), "3-D"));
}

TEST(ModelFamilies, PhimoeMscaleIsTheAttentionFactor) {
  json config = {{"model_type", "phimoe"},
                 {"hidden_size", 4096},
                 {"num_attention_heads", 32},
                 {"max_position_embeddings", 131072},
                 {"original_max_position_embeddings", 4096},
                 {"rope_scaling",
                  {{"type", "longrope"},
                   {"short_factor", json::array()},
                   {"long_factor", json::array()},
                   {"short_mscale", 1.243163121016122},
                   {"long_mscale", 1.243163121016122}}}};
  for (int i = 0; i < 64; ++i) {
    config["rope_scaling"]["short_factor"].push_back(1.0);
    config["rope_scaling"]["long_factor"].push_back(2.0);
  }
  const ResolvedRope r = resolve_hf_config(config);
  EXPECT_EQ(r.config.scaling.attention_factor, 1.243163121016122);
  EXPECT_EQ(r.config.base, 1e6);  // PhimoeConfig's default_theta
  config["rope_scaling"]["long_mscale"] = 1.5;
  EXPECT_TRUE(has(error_of(config), "short_mscale and long_mscale"));
}

TEST(ModelFamilies, FalconWithAlibiHasNoRope) {
  EXPECT_TRUE(has(error_of(json{{"model_type", "falcon"},
                                {"hidden_size", 4544},
                                {"num_attention_heads", 71},
                                {"alibi", true}}),
                  "uses no rotary embedding"));
  EXPECT_EQ(parse_hf_config(json{{"model_type", "falcon"},
                                 {"hidden_size", 4544},
                                 {"num_attention_heads", 71},
                                 {"alibi", false}})
                .head_dim,
            64);
}

TEST(ModelFamilies, UnknownModelTypeIsReadGenericallyWithANote) {
  const ResolvedRope r = resolve_hf_config(json{{"model_type", "mystery"}, {"head_dim", 64}});
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_TRUE(has(r.notes.front(), "\"mystery\" is not in the family table"));
  EXPECT_EQ(r.origin.at("rope_theta").substr(0, 13), "default_theta");
}

TEST(ModelFamilies, FailClosedOnMistypedKeys) {
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}, {"rope_scaling", "linear"}}),
                  "rope_scaling: must be a JSON object"));
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}, {"rope_parameters", 3}}), "rope_parameters"));
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}, {"text_config", "gemma"}}), "text_config"));
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}, {"model_type", 7}}), "model_type"));
  EXPECT_TRUE(
      has(error_of(json{{"head_dim", 64}, {"layer_types", "full_attention"}}), "layer_types"));
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}, {"layer_types", {1, 2}}}), "layer_types"));
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}, {"rope_interleave", "yes"}}),
                  "rope_interleave: must be true or false"));
  EXPECT_TRUE(
      has(error_of(json{{"head_dim", 64},
                        {"rope_parameters",
                         {{"full_attention", {{"rope_theta", 1e4}}}, {"sliding_attention", 5}}}}),
          "rope_parameters.sliding_attention"));
}

TEST(ModelFamilies, IntegersAreRangeCheckedBeforeNarrowing) {
  // 2^32 + 4 would be 4 after a 32-bit narrowing.
  const std::string wrapped = error_of(json{{"head_dim", 4294967300.0}});
  EXPECT_TRUE(has(wrapped, "head_dim")) << wrapped;
  EXPECT_TRUE(has(wrapped, "65536")) << wrapped;
  EXPECT_TRUE(has(error_of(json{{"head_dim", 65538}}), "65536"));
  EXPECT_TRUE(has(error_of(json{{"head_dim", 64}, {"rotary_dim", -2}}), "rotary_dim"));
  EXPECT_TRUE(has(error_of(json{{"hidden_size", 4294967296.0 * 64}, {"num_attention_heads", 64}}),
                  "exceeds the cap"));
  EXPECT_TRUE(has(error_of(json{{"model_type", "deepseek_v3"}, {"qk_rope_head_dim", 1e9}}),
                  "qk_rope_head_dim"));
}

TEST(ModelFamilies, TableIsComplete) {
  for (const char* type :
       {"llama",       "llama4",      "mistral",   "mixtral",    "qwen2",
        "qwen2_moe",   "qwen3",       "qwen3_moe", "qwen3_next", "qwen2_vl",
        "qwen2_5_vl",  "qwen3_5",     "gemma",     "gemma2",     "gemma3",
        "gemma3_text", "phi",         "phi3",      "phimoe",     "phi4_multimodal",
        "deepseek_v2", "deepseek_v3", "kimi_k2",   "gpt_oss",    "gpt_neox",
        "gptj",        "falcon",      "stablelm",  "olmo2",      "olmo3",
        "exaone4",     "granite",     "cohere",    "internlm2",  "minicpm"}) {
    const ModelFamily* family = find_model_family(type);
    ASSERT_NE(family, nullptr) << type;
    EXPECT_FALSE(family->config_source.empty()) << type;
    EXPECT_FALSE(family->layout_source.empty()) << type;
    EXPECT_FALSE(family->layers_source.empty()) << type;
    EXPECT_TRUE(family_defaults(*family).is_object()) << type;
    // The defaults must themselves be a readable configuration fragment.
    EXPECT_NO_THROW(hf_layer_types(json{{"model_type", type}, {"head_dim", 64}})) << type;
  }
}

}  // namespace
}  // namespace ropecheck
