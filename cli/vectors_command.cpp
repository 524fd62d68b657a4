// `ropecheck vectors`: write a golden vector set (inputs, positions, correctly rounded outputs)
// as one .safetensors file or a directory of .npy files (spec/vectors.md).
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "audit/position_spec.hpp"
#include "cli/commands.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/presets.hpp"
#include "kernels/vectors/vector_files.hpp"

namespace ropecheck::cli {
namespace {

struct VectorsArgs {
  std::string preset, hf_config, config_json, layer_type = "full_attention", layout;
  std::string dtype, positions, out;
  int heads = 2;
  std::uint64_t seed = 0;
  std::int64_t seq_len = 0;
};

nlohmann::json parse_json_text(const std::string& text, const std::string& option,
                               const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw ConfigError(option, what + " is not valid JSON: " + error.what());
  }
}

vectors::VectorSpec build_spec(const VectorsArgs& args) {
  vectors::VectorSpec spec;
  const int sources = !args.preset.empty() + !args.hf_config.empty() + !args.config_json.empty();
  if (sources != 1)
    throw ConfigError("--preset", "give exactly one of --preset, --hf-config, --config");
  if (!args.preset.empty()) {
    spec.config = find_preset(args.preset).config;
    spec.preset = args.preset;
  } else if (!args.hf_config.empty()) {
    std::ifstream file(args.hf_config);
    if (!file) throw ConfigError("--hf-config", "cannot read file " + args.hf_config);
    spec.config = parse_json_text(std::string(std::istreambuf_iterator<char>(file), {}),
                                  "--hf-config", args.hf_config);
  } else {
    spec.config = parse_json_text(args.config_json, "--config", "the config");
  }
  if (!spec.config.is_object())
    throw ConfigError(args.preset.empty() ? (args.hf_config.empty() ? "--config" : "--hf-config")
                                          : "--preset",
                      "the config must be a JSON object of Hugging Face config keys");
  if (!args.layout.empty()) spec.config["layout"] = args.layout;
  spec.layer_type = args.layer_type;
  const auto dtype = parse_dtype(args.dtype);
  if (!dtype)
    throw ConfigError("--dtype", fmt::format("unknown \"{}\"; accepted: {}", args.dtype,
                                             accepted_dtypes()));
  spec.dtype = *dtype;
  spec.positions_spec = args.positions;
  spec.positions = audit::parse_positions(args.positions);
  spec.heads = args.heads;
  spec.seed = args.seed;
  if (args.seq_len < 0) throw ConfigError("--seq-len", "must be positive");
  if (args.seq_len > 0) spec.seq_len = args.seq_len;
  return spec;
}

// Writes every file of the set, all or nothing; returns what was written, for the summary.
std::string write_set(const vectors::VectorSet& set, const std::string& out) {
  namespace fs = std::filesystem;
  const vectors::VectorLayout layout = vectors::vector_layout_for(out, "--out");
  if (layout == vectors::VectorLayout::safetensors_file) {
    const fs::path path(out);
    OutputFiles files(path.has_parent_path() ? path.parent_path().string() : ".");
    for (const auto& [name, bytes] :
         vectors::encode_vector_set(set, layout, path.filename().string()))
      files.write(name, bytes);
    files.commit();
    return out;
  }
  OutputFiles files(out);
  for (const auto& [name, bytes] : vectors::encode_vector_set(set, layout, ""))
    files.write(name, bytes);
  files.commit();
  return out + "/{x,positions,expected}.npy and meta.json";
}

}  // namespace

Runner add_vectors_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "vectors", "Write golden vectors: inputs and correctly rounded outputs (spec/vectors.md)");
  auto args = std::make_shared<VectorsArgs>();
  sub->add_option("--preset", args->preset, "Built-in preset (see `ropecheck presets`)");
  sub->add_option("--hf-config", args->hf_config, "A model's own config.json");
  sub->add_option("--config", args->config_json, "Inline JSON of Hugging Face config keys");
  sub->add_option("--layer-type", args->layer_type, "Layer type for per-layer configs (Gemma 3)");
  sub->add_option("--layout", args->layout, "Override the layout: half | interleaved");
  sub->add_option("--dtype", args->dtype, "Storage format: f64, f32, bf16, f16")->required();
  sub->add_option("--positions", args->positions,
                  "Positions: N, 2^K-C, A..B, A..B:STEP, log:A..B:COUNT, comma-separated")
      ->required();
  sub->add_option("--heads", args->heads, "Heads per token (default 2)");
  sub->add_option("--seed", args->seed, "Seed of the inputs (default 0)");
  sub->add_option("--seq-len", args->seq_len, "Sequence length for dynamic NTK / LongRoPE "
                                              "(default max(positions) + 1)");
  sub->add_option("--out", args->out,
                  "FILE.safetensors, or a directory for x.npy, positions.npy, expected.npy and "
                  "meta.json")
      ->required();
  return [args] {
    const vectors::VectorSpec spec = build_spec(*args);
    vectors::vector_layout_for(args->out, "--out");  // refuse a bad name before the work
    const vectors::VectorSet set = vectors::generate_vectors(spec);
    const std::string written = write_set(set, args->out);
    std::cout << fmt::format("wrote {} tokens x {} heads x {} channels ({}, seed {}) to {}\n",
                             set.tokens(), set.heads, set.config.head_dim,
                             dtype_name(set.dtype), spec.seed, written);
    return int{kPass};
  };
}

}  // namespace ropecheck::cli
