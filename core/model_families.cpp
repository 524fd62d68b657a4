#include "core/model_families.hpp"

#include <array>

namespace ropecheck {
namespace {

// Layer-type rules shared by several families.
constexpr LayerTypeRule kFull[] = {{"full_attention", LayerRope::model}};
// Sliding-window layers that rotate exactly like the full ones (one rotary module per model).
constexpr LayerTypeRule kFullAndSliding[] = {{"full_attention", LayerRope::model},
                                             {"sliding_attention", LayerRope::model}};
constexpr LayerTypeRule kGemma3[] = {{"full_attention", LayerRope::model},
                                     {"sliding_attention", LayerRope::local_default}};
constexpr LayerTypeRule kOlmo3[] = {{"full_attention", LayerRope::model},
                                    {"sliding_attention", LayerRope::default_at_base}};
constexpr LayerTypeRule kExaone4[] = {{"full_attention", LayerRope::none_when_flag},
                                      {"sliding_attention", LayerRope::model}};
constexpr LayerTypeRule kCohere2[] = {{"full_attention", LayerRope::none},
                                      {"sliding_attention", LayerRope::model}};
constexpr LayerTypeRule kLlama4[] = {{"chunked_attention", LayerRope::model},
                                     {"full_attention", LayerRope::none}};
constexpr LayerTypeRule kLinearHybrid[] = {{"full_attention", LayerRope::model},
                                           {"linear_attention", LayerRope::none}};
constexpr LayerTypeRule kFalcon[] = {{"full_attention", LayerRope::none_when_flag}};

constexpr std::string_view kRotateHalf =
    "rotate_half (pairs (i, i + d/2)) in the model's apply_rotary_pos_emb";
constexpr std::string_view kOneRotary =
    "one rotary module for every layer (modeling file, transformers 5.x)";

// Values are those of transformers 5.x (the `default_theta` class attribute, or the __init__ /
// dataclass default of the key); spec/rope.md §11.9 lists where other versions differ. Models
// served by their own remote code (kimi_k2, internlm2, minicpm) cite that code.
constexpr std::array kFamilies = {
    ModelFamily{"llama", "LlamaConfig", "transformers 5.x models/llama/configuration_llama.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"llama4_text", "Llama4TextConfig",
                "transformers 5.x models/llama4/configuration_llama4.py (default_theta 500000, "
                "head_dim 128, max_position_embeddings 4096 * 32)",
                R"({"rope_theta": 500000.0, "head_dim": 128, "max_position_embeddings": 131072})",
                Layout::interleaved,
                "models/llama4/modeling_llama4.py apply_rotary_emb: torch.view_as_complex over "
                "consecutive channel pairs",
                kLlama4,
                "Llama4TextConfig.layer_types: \"chunked_attention\" where no_rope_layers[i] is 1 "
                "(the layer uses RoPE), \"full_attention\" (NoPE) every no_rope_layer_interval-th "
                "layer; Llama4TextAttention.use_rope",
                "", ""},
    ModelFamily{"llama4", "Llama4TextConfig (text_config of Llama4Config)",
                "transformers 5.x models/llama4/configuration_llama4.py",
                R"({"rope_theta": 500000.0, "head_dim": 128, "max_position_embeddings": 131072})",
                Layout::interleaved,
                "models/llama4/modeling_llama4.py apply_rotary_emb: torch.view_as_complex over "
                "consecutive channel pairs",
                kLlama4, "Llama4TextConfig.layer_types (see llama4_text)", "", ""},
    ModelFamily{"mistral", "MistralConfig",
                "transformers 5.x models/mistral/configuration_mistral.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"mixtral", "MixtralConfig",
                "transformers 5.x models/mixtral/configuration_mixtral.py (default_theta 1e6)",
                R"({"rope_theta": 1000000.0})", Layout::half, kRotateHalf, kFull, kOneRotary, "",
                ""},
    ModelFamily{"qwen2", "Qwen2Config", "transformers 5.x models/qwen2/configuration_qwen2.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFullAndSliding,
                kOneRotary, "", ""},
    ModelFamily{"qwen2_moe", "Qwen2MoeConfig",
                "transformers 5.x models/qwen2_moe/configuration_qwen2_moe.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFullAndSliding,
                kOneRotary, "", ""},
    ModelFamily{"qwen3", "Qwen3Config",
                "transformers 5.x models/qwen3/configuration_qwen3.py (head_dim 128)",
                R"({"rope_theta": 10000.0, "head_dim": 128})", Layout::half, kRotateHalf,
                kFullAndSliding, kOneRotary, "", ""},
    ModelFamily{"qwen3_moe", "Qwen3MoeConfig",
                "transformers 5.x models/qwen3_moe/configuration_qwen3_moe.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFullAndSliding,
                kOneRotary, "", ""},
    ModelFamily{"qwen3_next", "Qwen3NextConfig",
                "transformers 5.x models/qwen3_next/configuration_qwen3_next.py (head_dim 256, "
                "partial_rotary_factor 0.25)",
                R"({"rope_theta": 10000.0, "head_dim": 256, "partial_rotary_factor": 0.25})",
                Layout::half, kRotateHalf, kLinearHybrid,
                "models/qwen3_next/modeling_qwen3_next.py: only full_attention layers "
                "(Qwen3NextAttention) apply RoPE; linear_attention layers (gated DeltaNet) none",
                "", ""},
    ModelFamily{"qwen2_vl", "Qwen2VLTextConfig",
                "transformers 5.x models/qwen2_vl/configuration_qwen2_vl.py (default_theta 1e6; "
                "rope type \"mrope\" read as default)",
                R"({"rope_theta": 1000000.0})", Layout::half, kRotateHalf, kFullAndSliding,
                kOneRotary, "", ""},
    ModelFamily{"qwen2_vl_text", "Qwen2VLTextConfig",
                "transformers 5.x models/qwen2_vl/configuration_qwen2_vl.py (default_theta 1e6)",
                R"({"rope_theta": 1000000.0})", Layout::half, kRotateHalf, kFullAndSliding,
                kOneRotary, "", ""},
    ModelFamily{"qwen2_5_vl", "Qwen2_5_VLTextConfig",
                "transformers 5.x models/qwen2_5_vl/configuration_qwen2_5_vl.py (rope_theta 1e6; "
                "rope type \"mrope\" read as default)",
                R"({"rope_theta": 1000000.0})", Layout::half, kRotateHalf, kFullAndSliding,
                kOneRotary, "", ""},
    ModelFamily{"qwen2_5_vl_text", "Qwen2_5_VLTextConfig",
                "transformers 5.x models/qwen2_5_vl/configuration_qwen2_5_vl.py (rope_theta 1e6)",
                R"({"rope_theta": 1000000.0})", Layout::half, kRotateHalf, kFullAndSliding,
                kOneRotary, "", ""},
    ModelFamily{"qwen3_5", "Qwen3_5TextConfig (text_config of Qwen3_5Config)",
                "transformers 5.x models/qwen3_5/configuration_qwen3_5.py (head_dim 256, "
                "partial_rotary_factor 0.25; M-RoPE sections in rope_parameters)",
                R"({"rope_theta": 10000.0, "head_dim": 256, "partial_rotary_factor": 0.25})",
                Layout::half, kRotateHalf, kLinearHybrid,
                "models/qwen3_5/modeling_qwen3_5.py: full_attention layers apply (M-)RoPE, "
                "linear_attention layers (gated DeltaNet) none",
                "", ""},
    ModelFamily{"qwen3_5_text", "Qwen3_5TextConfig",
                "transformers 5.x models/qwen3_5/configuration_qwen3_5.py (head_dim 256, "
                "partial_rotary_factor 0.25)",
                R"({"rope_theta": 10000.0, "head_dim": 256, "partial_rotary_factor": 0.25})",
                Layout::half, kRotateHalf, kLinearHybrid,
                "models/qwen3_5/modeling_qwen3_5.py: full_attention layers apply (M-)RoPE, "
                "linear_attention layers none",
                "", ""},
    ModelFamily{"qwen3_5_moe", "Qwen3_5MoeTextConfig (text_config of Qwen3_5MoeConfig)",
                "transformers 5.x models/qwen3_5_moe/configuration_qwen3_5_moe.py (head_dim "
                "256, partial_rotary_factor 0.25)",
                R"({"rope_theta": 10000.0, "head_dim": 256, "partial_rotary_factor": 0.25})",
                Layout::half, kRotateHalf, kLinearHybrid,
                "models/qwen3_5_moe/modeling_qwen3_5_moe.py: full_attention layers apply "
                "(M-)RoPE, linear_attention layers none",
                "", ""},
    ModelFamily{"qwen3_5_moe_text", "Qwen3_5MoeTextConfig",
                "transformers 5.x models/qwen3_5_moe/configuration_qwen3_5_moe.py (head_dim "
                "256, partial_rotary_factor 0.25)",
                R"({"rope_theta": 10000.0, "head_dim": 256, "partial_rotary_factor": 0.25})",
                Layout::half, kRotateHalf, kLinearHybrid,
                "models/qwen3_5_moe/modeling_qwen3_5_moe.py: full_attention layers apply "
                "(M-)RoPE, linear_attention layers none",
                "", ""},
    ModelFamily{"gemma", "GemmaConfig",
                "transformers 5.x models/gemma/configuration_gemma.py (head_dim 256)",
                R"({"rope_theta": 10000.0, "head_dim": 256})", Layout::half, kRotateHalf, kFull,
                kOneRotary, "", ""},
    ModelFamily{"gemma2", "Gemma2Config",
                "transformers 5.x models/gemma2/configuration_gemma2.py (head_dim 256)",
                R"({"rope_theta": 10000.0, "head_dim": 256})", Layout::half, kRotateHalf,
                kFullAndSliding, "models/gemma2/modeling_gemma2.py: one Gemma2RotaryEmbedding", "",
                ""},
    ModelFamily{"gemma3_text", "Gemma3TextConfig",
                "transformers 5.x models/gemma3/configuration_gemma3.py (default_theta {global: "
                "1e6, local: 1e4}, head_dim 256, max_position_embeddings 131072)",
                R"({"rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "head_dim": 256,
                    "max_position_embeddings": 131072})",
                Layout::half, kRotateHalf, kGemma3,
                "Gemma3TextConfig.convert_rope_params_to_dict: rope_scaling and rope_theta go to "
                "full_attention; sliding_attention gets {rope_type: default, rope_theta: "
                "rope_local_base_freq}",
                "", ""},
    ModelFamily{"gemma3", "Gemma3TextConfig (text_config of Gemma3Config)",
                "transformers 5.x models/gemma3/configuration_gemma3.py (default_theta {global: "
                "1e6, local: 1e4}, head_dim 256, max_position_embeddings 131072)",
                R"({"rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "head_dim": 256,
                    "max_position_embeddings": 131072})",
                Layout::half, kRotateHalf, kGemma3,
                "Gemma3TextConfig.convert_rope_params_to_dict (see gemma3_text)", "", ""},
    ModelFamily{"phi", "PhiConfig",
                "transformers 5.x models/phi/configuration_phi.py (partial_rotary_factor 0.5)",
                R"({"rope_theta": 10000.0, "partial_rotary_factor": 0.5})", Layout::half,
                kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"phi3", "Phi3Config (also Phi-4, Phi-4-mini)",
                "transformers 5.x models/phi3/configuration_phi3.py", R"({"rope_theta": 10000.0})",
                Layout::half, kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"phimoe", "PhimoeConfig",
                "transformers 5.x models/phimoe/configuration_phimoe.py (default_theta 1e6)",
                R"({"rope_theta": 1000000.0})", Layout::half, kRotateHalf, kFull, kOneRotary, "",
                ""},
    ModelFamily{"phi4_multimodal", "Phi4MultimodalConfig",
                "transformers 5.x models/phi4_multimodal/configuration_phi4_multimodal.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"deepseek_v2", "DeepseekV2Config",
                "transformers 5.x models/deepseek_v2/configuration_deepseek_v2.py "
                "(qk_rope_head_dim 64)",
                R"({"rope_theta": 10000.0, "qk_rope_head_dim": 64})", Layout::interleaved,
                "models/deepseek_v2/modeling_deepseek_v2.py apply_rotary_emb: "
                "torch.view_as_complex over consecutive channel pairs",
                kFull, kOneRotary, "qk_rope_head_dim", ""},
    ModelFamily{"deepseek_v3", "DeepseekV3Config",
                "transformers 5.x models/deepseek_v3/configuration_deepseek_v3.py "
                "(qk_rope_head_dim 64, rope_interleave True)",
                R"({"rope_theta": 10000.0, "qk_rope_head_dim": 64, "rope_interleave": true})",
                Layout::interleaved,
                "models/deepseek_v3/modeling_deepseek_v3.py apply_rotary_pos_emb_interleave "
                "(used when rope_interleave)",
                kFull, kOneRotary, "qk_rope_head_dim", ""},
    ModelFamily{"kimi_k2", "DeepseekV3Config (remote code of moonshotai/Kimi-K2-Instruct)",
                "moonshotai/Kimi-K2-Instruct configuration_deepseek.py (qk_rope_head_dim 64)",
                R"({"rope_theta": 10000.0, "qk_rope_head_dim": 64})", Layout::interleaved,
                "moonshotai/Kimi-K2-Instruct modeling_deepseek.py apply_rotary_pos_emb: "
                "view(d/2, 2).transpose before rotate_half, i.e. consecutive pairs",
                kFull, "one rotary module for every layer (modeling_deepseek.py)",
                "qk_rope_head_dim", ""},
    ModelFamily{"gpt_oss", "GptOssConfig",
                "transformers 5.x models/gpt_oss/configuration_gpt_oss.py (default_theta 150000, "
                "head_dim 64, rope_parameters YaRN x32 without truncate)",
                R"({"rope_theta": 150000.0, "head_dim": 64, "max_position_embeddings": 131072,
                    "rope_parameters": {"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0,
                      "beta_slow": 1.0, "truncate": false,
                      "original_max_position_embeddings": 4096}})",
                Layout::half, kRotateHalf, kFullAndSliding,
                "models/gpt_oss/modeling_gpt_oss.py: one GptOssRotaryEmbedding for every layer", "",
                ""},
    ModelFamily{"gpt_neox", "GPTNeoXConfig",
                "transformers 5.x models/gpt_neox/configuration_gpt_neox.py (rotary_pct 0.25 "
                "as partial_rotary_factor)",
                R"({"rope_theta": 10000.0, "partial_rotary_factor": 0.25})", Layout::half,
                kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"gptj", "GPTJConfig",
                "transformers 5.x models/gptj/configuration_gptj.py (rotary_dim 64, n_positions "
                "2048)",
                R"({"rotary_dim": 64, "max_position_embeddings": 2048})", Layout::interleaved,
                "models/gptj/modeling_gptj.py rotate_every_two (pairs (2i, 2i + 1))", kFull,
                kOneRotary, "", ""},
    ModelFamily{"falcon", "FalconConfig", "transformers 5.x models/falcon/configuration_falcon.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFalcon,
                "models/falcon/modeling_falcon.py: rotary embedding only when alibi is false", "",
                "alibi"},
    ModelFamily{"stablelm", "StableLmConfig",
                "transformers 5.x models/stablelm/configuration_stablelm.py "
                "(partial_rotary_factor 0.25)",
                R"({"rope_theta": 10000.0, "partial_rotary_factor": 0.25})", Layout::half,
                kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"olmo2", "Olmo2Config", "transformers 5.x models/olmo2/configuration_olmo2.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"olmo3", "Olmo3Config", "transformers 5.x models/olmo3/configuration_olmo3.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kOlmo3,
                "transformers 5.x models/olmo3: sliding_attention layers use default RoPE at "
                "rope_theta, full_attention layers rope_scaling (older versions: YaRN on both)",
                "", ""},
    ModelFamily{"exaone4", "Exaone4Config",
                "transformers 5.x models/exaone4/configuration_exaone4.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kExaone4,
                "models/exaone4/modeling_exaone4.py Exaone4Attention: RoPE applied \"if "
                "self.sliding_window is None or self.is_sliding\" (global NoPE in hybrid models)",
                "", "sliding_window"},
    ModelFamily{"granite", "GraniteConfig",
                "transformers 5.x models/granite/configuration_granite.py",
                R"({"rope_theta": 10000.0})", Layout::half, kRotateHalf, kFull, kOneRotary, "", ""},
    ModelFamily{"cohere", "CohereConfig",
                "transformers 5.x models/cohere/configuration_cohere.py (default_theta 500000; "
                "4.x: rope_theta 10000)",
                R"({"rope_theta": 500000.0})", Layout::interleaved,
                "models/cohere/modeling_cohere.py rotate_half on x[..., ::2] / x[..., 1::2] with "
                "repeat_interleave'd frequencies (pairs (2i, 2i + 1))",
                kFull, kOneRotary, "", ""},
    ModelFamily{"cohere2", "Cohere2Config",
                "transformers 5.x models/cohere2/configuration_cohere2.py",
                R"({"rope_theta": 10000.0})", Layout::interleaved,
                "models/cohere2/modeling_cohere2.py rotate_half on x[..., ::2] / x[..., 1::2] "
                "(pairs (2i, 2i + 1))",
                kCohere2,
                "models/cohere2/modeling_cohere2.py Cohere2Attention: RoPE only where "
                "sliding_window is set (sliding_attention layers)",
                "", ""},
    ModelFamily{"internlm2", "InternLM2Config (remote code of internlm/internlm2_5-7b-chat)",
                "internlm/internlm2_5-7b-chat configuration_internlm2.py (rope_theta 10000)",
                R"({"rope_theta": 10000.0})", Layout::half,
                "modeling_internlm2.py rotate_half (remote code)", kFull,
                "one rotary module for every layer (modeling_internlm2.py)", "", ""},
    ModelFamily{"minicpm", "MiniCPMConfig (remote code of openbmb/MiniCPM-2B-sft-bf16)",
                "OpenBMB/MiniCPM (GitHub) model/configuration_minicpm.py MiniCPMConfig "
                "(rope_theta 10000)",
                R"({"rope_theta": 10000.0})", Layout::half,
                "modeling_minicpm.py rotate_half (remote code)", kFull,
                "one rotary module for every layer (modeling_minicpm.py)", "", ""},
};

}  // namespace

std::span<const ModelFamily> model_families() {
  return kFamilies;
}

const ModelFamily* find_model_family(std::string_view model_type) {
  for (const ModelFamily& family : kFamilies)
    if (family.model_type == model_type) return &family;
  return nullptr;
}

nlohmann::json family_defaults(const ModelFamily& family) {
  return nlohmann::json::parse(family.defaults);
}

const LayerTypeRule* find_layer_rule(const ModelFamily& family, std::string_view layer_type) {
  for (const LayerTypeRule& rule : family.layer_types)
    if (rule.name == layer_type) return &rule;
  return nullptr;
}

std::string layer_type_names(const ModelFamily& family) {
  std::string out;
  for (const LayerTypeRule& rule : family.layer_types) {
    if (!out.empty()) out += ", ";
    out += rule.name;
  }
  return out;
}

std::string_view layer_rope_name(LayerRope rope) {
  switch (rope) {
    case LayerRope::model:
      return "the model's RoPE";
    case LayerRope::local_default:
      return "default RoPE at the local base";
    case LayerRope::default_at_base:
      return "default RoPE at the model's base";
    case LayerRope::none:
      return "no rotary embedding";
    case LayerRope::none_when_flag:
      return "no rotary embedding when the flag is set";
  }
  return "";
}

}  // namespace ropecheck
