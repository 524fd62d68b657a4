// The real-config corpus (spec/configs/*.json, sources in spec/configs/SOURCES.md): every file is
// accepted and resolves to what Hugging Face transformers 5.x derives from it. The expected
// values are written from Hugging Face's code, not from ropecheck's output:
//   head_dim   `getattr(config, "head_dim", None) or hidden_size // num_attention_heads`
//              (modeling_rope_utils._compute_default_rope_parameters; DeepseekV2Config sets
//              head_dim = qk_rope_head_dim);
//   rotary dim `int(head_dim * partial_rotary_factor)` (same function); GPTNeoXConfig reads
//              rotary_pct / rotary_emb_base (configuration_gpt_neox.py
//              convert_rope_params_to_dict);
//   rope_theta RotaryEmbeddingConfigMixin.convert_rope_params_to_dict: the dict's, else the
//              file's rope_theta, else the class's default_theta;
//   L0         standardize_rope_params: a top-level original_max_position_embeddings wins (Phi-3),
//              else the dict's, else max_position_embeddings;
//   layout     the model's own apply_rotary_pos_emb (rotate_half = half; DeepSeek-V2's
//              view_as_complex and Cohere's x[..., ::2] = interleaved).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/hf_config.hpp"

namespace ropecheck {
namespace {

namespace fs = std::filesystem;

struct Expected {
  std::string layer_type = "full_attention";
  int head_dim = 0;
  int rotary_dim = 0;
  double base = 0;
  Layout layout = Layout::half;
  RopeType type = RopeType::standard;
  double factor = 1.0;
  std::int64_t l0 = 0;  // original context, checked for yarn, llama3, longrope
  double low = 1, high = 4;
  std::optional<double> mscale, mscale_all_dim;
  std::size_t list_length = 0;  // longrope
  std::optional<std::int64_t> max_position;
  std::string theta_origin;  // prefix of the origin of rope_theta
};

Expected plain(int head, int rotary, double base, const char* theta_origin) {
  Expected e;
  e.head_dim = head;
  e.rotary_dim = rotary;
  e.base = base;
  e.theta_origin = theta_origin;
  return e;
}

// file name (without .json) -> expected resolution of each checked layer type.
std::multimap<std::string, Expected> expectations() {
  std::multimap<std::string, Expected> m;
  auto add = [&](const char* file, Expected e) { m.emplace(file, std::move(e)); };
  // Llama family: hidden_size / heads; LlamaConfig's default_theta 10000 where the file has none.
  add("llama2_7b", plain(128, 128, 10000, "default of LlamaConfig"));
  add("codellama_7b", plain(128, 128, 1e6, "file: rope_theta"));
  add("tinyllama_1b_chat_v1.0", plain(64, 64, 10000, "file: rope_theta"));
  add("smollm2_135m", plain(64, 64, 100000, "file: rope_theta"));  // 576 / 9
  {
    Expected e = plain(128, 128, 500000, "file: rope_theta");
    e.type = RopeType::llama3;
    e.factor = 8;
    e.l0 = 8192;
    add("llama3_1_8b", e);
  }
  {
    Expected e = plain(64, 64, 500000, "file: rope_theta");  // explicit head_dim 64
    e.type = RopeType::llama3;
    e.factor = 32;
    e.l0 = 8192;
    add("llama3_2_1b", e);
  }
  add("mistral_7b", plain(128, 128, 10000, "file: rope_theta"));
  add("mistral_7b_v03", plain(128, 128, 1e6, "file: rope_theta"));
  add("Mixtral-8x7B-v0.1", plain(128, 128, 1e6, "file: rope_theta"));
  {
    // mistral3 / ministral3 are not in the family table: generic reading of text_config, whose
    // flat rope_parameters (transformers 5 form) holds YaRN with DeepSeek's mscale pair.
    Expected e = plain(128, 128, 1e6, "file: text_config.rope_parameters.rope_theta");
    e.type = RopeType::yarn;
    e.factor = 16;
    e.l0 = 16384;
    e.mscale = 1.0;
    e.mscale_all_dim = 1.0;
    e.max_position = 262144;
    add("ministral3_3b_reasoning_2512", e);
  }
  // Qwen: both layer types rotate alike (one rotary module).
  for (const char* layer : {"full_attention", "sliding_attention"}) {
    Expected e = plain(128, 128, 1e6, "file: rope_theta");
    e.layer_type = layer;
    add("qwen2", e);  // 2048 / 16
    add("qwen2moe", e);
    add("qwen2.5_3b", e);
    add("qwen3_0.6b", e);  // explicit head_dim 128
  }
  // GPT-NeoX: rotary_pct 1.0 and rotary_emb_base.
  add("redpajama_3b_v1", plain(80, 80, 10000, "file: rotary_emb_base"));
  // phi-msft (remote code, not in the table): n_embd / n_head, rotary_dim.
  add("phi-1_5", plain(64, 32, 10000, "default_theta"));
  {
    // Phi-3.5-mini: LongRoPE ("type" key), top-level original_max_position_embeddings.
    Expected e = plain(96, 96, 10000, "file: rope_theta");
    e.type = RopeType::longrope;
    e.l0 = 4096;
    e.list_length = 48;
    e.max_position = 131072;
    add("phi-3_5", e);
  }
  {
    // Phi-4-mini: 3072 / 24 = 128, partial_rotary_factor 0.75 -> 96 rotated channels.
    Expected e = plain(128, 96, 10000, "file: rope_theta");
    e.type = RopeType::longrope;
    e.l0 = 4096;
    e.list_length = 48;
    add("phi-4", e);
  }
  {
    // DeepSeek-V2-Lite: head_dim = qk_rope_head_dim, interleaved by the modeling code.
    Expected e = plain(64, 64, 10000, "file: rope_theta");
    e.layout = Layout::interleaved;
    e.type = RopeType::yarn;
    e.factor = 40;
    e.l0 = 4096;
    e.mscale = 0.707;
    e.mscale_all_dim = 0.707;
    add("deepseek_v2_lite", e);
  }
  add("stablelm", plain(80, 20, 10000, "file: rope_theta"));  // int(80 * 0.25)
  add("gemma_2b", plain(256, 256, 10000, "file: rope_theta"));
  for (const char* layer : {"full_attention", "sliding_attention"}) {
    Expected e = plain(256, 256, 10000, "file: rope_theta");
    e.layer_type = layer;
    add("gemma2_2b", e);
    e.head_dim = e.rotary_dim = 128;  // the file's head_dim wins over Gemma2Config's 256
    add("gemma2_27b", e);
  }
  {
    add("gemma3_1b_it", plain(256, 256, 1e6, "file: rope_theta"));
    Expected local = plain(256, 256, 10000, "file: rope_local_base_freq");
    local.layer_type = "sliding_attention";
    add("gemma3_1b_it", local);
  }
  {
    Expected e = plain(128, 128, 1e6, "file: rope_theta");
    e.type = RopeType::dynamic;
    e.factor = 2;
    add("internlm2_5_7b", e);
  }
  {
    Expected e = plain(128, 128, 10000, "file: rope_theta");
    e.layout = Layout::interleaved;  // CohereRotaryEmbedding / rotate_half on x[..., ::2]
    add("aya-23", e);
  }
  {
    Expected e = plain(64, 64, 1e6, "file: rope_theta");  // 2304 / 36
    e.type = RopeType::dynamic;
    e.factor = 4;
    e.max_position = 65536;
    add("minicpm_2b", e);
  }
  add("minicpm_2b_sft_bf16", plain(64, 64, 10000, "default of MiniCPMConfig"));
  add("qwen", plain(128, 128, 10000, "file: rotary_emb_base"));  // remote QWen v1: generic
  add("starcoder2", plain(128, 128, 1e6, "file: rope_theta"));   // 4608 / 36
  return m;
}

fs::path corpus_dir() {
  return fs::path(ROPECHECK_SPEC_DIR) / "configs";
}

nlohmann::json load(const std::string& name) {
  std::ifstream file(corpus_dir() / (name + ".json"));
  EXPECT_TRUE(file.good()) << name;
  return nlohmann::json::parse(file);
}

TEST(RealConfigs, CorpusHasAtLeast25ModelsEachWithExpectationsAndSource) {
  const auto expected = expectations();
  std::ifstream sources_file(corpus_dir() / "SOURCES.md");
  const std::string sources((std::istreambuf_iterator<char>(sources_file)), {});
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(corpus_dir()))
    if (entry.path().extension() == ".json") files.insert(entry.path().stem().string());
  EXPECT_GE(files.size(), 25u);
  for (const std::string& name : files) {
    EXPECT_TRUE(expected.contains(name)) << name << ".json has no expectation";
    EXPECT_NE(sources.find("`" + name + ".json`"), std::string::npos)
        << name << ".json is not in SOURCES.md";
  }
  for (const auto& [name, e] : expected) EXPECT_TRUE(files.contains(name)) << name;
}

TEST(RealConfigs, EachResolvesAsHuggingFaceDoes) {
  for (const auto& [name, e] : expectations()) {
    SCOPED_TRACE(name + " / " + e.layer_type);
    const nlohmann::json config = load(name);
    ResolvedRope r;
    ASSERT_NO_THROW(r = resolve_hf_config(config, {.layer_type = e.layer_type}));
    const RopeConfig& c = r.config;
    EXPECT_EQ(c.head_dim, e.head_dim);
    EXPECT_EQ(c.rotary_dim, e.rotary_dim);
    EXPECT_EQ(c.base, e.base);
    EXPECT_EQ(c.layout, e.layout);
    EXPECT_EQ(c.scaling.type, e.type);
    EXPECT_TRUE(r.origin.at("rope_theta").starts_with(e.theta_origin)) << r.origin.at("rope_theta");
    if (e.max_position) {
      EXPECT_EQ(c.max_position_embeddings, e.max_position);
    }
    switch (e.type) {
      case RopeType::linear:
      case RopeType::dynamic:
        EXPECT_EQ(c.scaling.factor, e.factor);
        break;
      case RopeType::yarn:
        EXPECT_EQ(c.scaling.factor, e.factor);
        EXPECT_EQ(c.original_context(), e.l0);
        EXPECT_EQ(c.scaling.mscale, e.mscale);
        EXPECT_EQ(c.scaling.mscale_all_dim, e.mscale_all_dim);
        EXPECT_EQ(c.scaling.beta_fast, 32.0);
        EXPECT_EQ(c.scaling.beta_slow, 1.0);
        EXPECT_TRUE(c.scaling.truncate);
        break;
      case RopeType::llama3:
        EXPECT_EQ(c.scaling.factor, e.factor);
        EXPECT_EQ(c.original_context(), e.l0);
        EXPECT_EQ(c.scaling.low_freq_factor, e.low);
        EXPECT_EQ(c.scaling.high_freq_factor, e.high);
        break;
      case RopeType::longrope:
        EXPECT_EQ(c.original_context(), e.l0);
        EXPECT_EQ(c.scaling.short_factor.size(), e.list_length);
        EXPECT_EQ(c.scaling.long_factor.size(), e.list_length);
        EXPECT_FALSE(c.scaling.factor_given);  // a = f(max_position_embeddings / L0)
        break;
      default:
        break;
    }
  }
}

TEST(RealConfigs, LayerTypesOfEachModel) {
  const auto names = [](const std::vector<LayerTypeInfo>& infos) {
    std::vector<std::string> out;
    for (const auto& info : infos) out.push_back(info.name + (info.rotary ? "" : " (none)"));
    return out;
  };
  EXPECT_EQ(names(hf_layer_types(load("gemma3_1b_it"))),
            (std::vector<std::string>{"full_attention", "sliding_attention"}));
  EXPECT_EQ(names(hf_layer_types(load("qwen2"))),
            (std::vector<std::string>{"full_attention", "sliding_attention"}));
  EXPECT_EQ(names(hf_layer_types(load("llama3_1_8b"))),
            (std::vector<std::string>{"full_attention"}));
  EXPECT_EQ(names(hf_layer_types(load("starcoder2"))),
            (std::vector<std::string>{"full_attention"}));
}

TEST(RealConfigs, UnknownFamiliesSayHowTheyWereRead) {
  for (const char* name : {"phi-1_5", "qwen", "starcoder2", "ministral3_3b_reasoning_2512"}) {
    const ResolvedRope r = resolve_hf_config(load(name));
    EXPECT_TRUE(r.config_class.empty()) << name;
    ASSERT_FALSE(r.notes.empty()) << name;
    EXPECT_NE(r.notes.front().find("generic reading"), std::string::npos) << name;
  }
  EXPECT_EQ(resolve_hf_config(load("aya-23")).config_class, "CohereConfig");
}

}  // namespace
}  // namespace ropecheck
