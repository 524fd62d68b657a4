// `ropecheck vectors`: write a golden vector set (inputs, positions, correctly rounded outputs)
// as one .safetensors file or a directory of .npy files (spec/vectors.md).
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "audit/position_spec.hpp"
#include "cli/commands.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/json_input.hpp"
#include "core/parse_number.hpp"
#include "core/presets.hpp"
#include "kernels/plugin/cos_sin_tables.hpp"
#include "kernels/plugin/dtype_codec.hpp"
#include "kernels/vectors/safetensors.hpp"
#include "kernels/vectors/vector_files.hpp"
#include "reference/reference.hpp"

namespace ropecheck::cli {
namespace {

struct VectorsArgs {
  std::string preset, hf_config, config_json, layer_type = "full_attention", layout;
  std::string dtype, positions, out, cos_sin;
  std::string heads = "2", seed = "0", seq_len;  // parsed strictly (core/parse_number.hpp)
};

vectors::VectorSpec build_spec(const VectorsArgs& args) {
  vectors::VectorSpec spec;
  const int sources = !args.preset.empty() + !args.hf_config.empty() + !args.config_json.empty();
  if (sources != 1)
    throw ConfigError("--preset", "give exactly one of --preset, --hf-config, --config");
  if (!args.preset.empty()) {
    spec.config = find_preset(args.preset).config;
    spec.preset = args.preset;
  } else if (!args.hf_config.empty()) {
    spec.config = read_json_file(args.hf_config, "--hf-config");
  } else {
    spec.config = parse_json_text(args.config_json, "--config");
  }
  if (!spec.config.is_object())
    throw ConfigError(
        args.preset.empty() ? (args.hf_config.empty() ? "--config" : "--hf-config") : "--preset",
        "the config must be a JSON object of Hugging Face config keys");
  if (!args.layout.empty()) spec.config["layout"] = args.layout;
  spec.layer_type = args.layer_type;
  const auto dtype = parse_dtype(args.dtype);
  if (!dtype)
    throw ConfigError("--dtype",
                      fmt::format("unknown \"{}\"; accepted: {}", args.dtype, accepted_dtypes()));
  spec.dtype = *dtype;
  spec.positions_spec = args.positions;
  spec.positions = audit::parse_positions(args.positions);  // refuses "" and over-large specs
  spec.heads = static_cast<int>(parse_integer(args.heads, "--heads", 1, 4096));
  spec.seed = parse_unsigned(args.seed, "--seed", UINT64_MAX);
  if (!args.seq_len.empty())
    spec.seq_len = parse_integer(args.seq_len, "--seq-len", 1, std::int64_t{1} << 53);
  return spec;
}

// The files of the .npy form of a set.
const std::vector<std::string> kNpyFiles = {"x.npy", "positions.npy", "expected.npy", "meta.json"};

// Checks --out before the work: a file that may be replaced, or a directory for the .npy set.
void check_out(const std::string& out) {
  if (vectors::vector_layout_for(out, "--out") == vectors::VectorLayout::safetensors_file)
    check_output_file(out, "--out");
  else
    check_output_set(out, kNpyFiles, "--out");
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
  OutputSet files(out, kNpyFiles, "--out");
  for (const auto& [name, bytes] : vectors::encode_vector_set(set, layout, ""))
    files.write(name, bytes);
  files.commit();
  return out + "/{x,positions,expected}.npy and meta.json";
}

// The correctly rounded cos/sin cache of the set's positions, the tables a cos/sin-cache kernel
// (ONNX Runtime's RotaryEmbedding, vLLM) is fed: row t holds RN(a cos(m_t theta_i)) and
// RN(a sin(m_t theta_i)) in the set's dtype, from the one table builder the plugin check uses,
// so such a kernel is judged on its rotation alone.
std::string encode_cos_sin(const vectors::VectorSet& set) {
  const reference::Reference oracle(set.config, set.seq_len);
  const std::int64_t pairs = set.config.pairs();
  const std::size_t bytes =
      static_cast<std::size_t>(set.tokens() * pairs) * kernels::dtype_size(set.dtype);
  vectors::SafetensorsFile file;
  file.metadata = set.metadata;
  file.metadata["cos_sin"] =
      "row t, pair i: RN(a cos(positions[t] theta_i)) and RN(a sin(positions[t] theta_i)) in "
      "dtype, correctly rounded (spec/kernel-abi.md 6.3)";
  for (const char* name : {"cos", "sin"})
    file.tensors.push_back({name,
                            {vectors::tensor_dtype(set.dtype),
                             {set.tokens(), pairs},
                             std::vector<unsigned char>(bytes)}});
  kernels::fill_cos_sin(oracle, set.positions, set.dtype, file.tensors[0].tensor.data.data(),
                        file.tensors[1].tensor.data.data());
  return vectors::write_safetensors(file);
}

void write_cos_sin(const vectors::VectorSet& set, const std::string& out) {
  const std::filesystem::path path(out);
  OutputFiles files(path.has_parent_path() ? path.parent_path().string() : ".", "--cos-sin");
  files.write(path.filename().string(), encode_cos_sin(set));
  files.commit();
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
  sub->add_option("--heads", args->heads, "Heads per token, 1..4096 (default 2)")->type_name("INT");
  sub->add_option("--seed", args->seed, "Seed of the inputs, 0..2^64-1 (default 0)")
      ->type_name("UINT");
  sub->add_option("--seq-len", args->seq_len,
                  "Sequence length for dynamic NTK / LongRoPE, "
                  "1..2^53 (default max(positions) + 1)")
      ->type_name("INT");
  sub->add_option("--out", args->out,
                  "FILE.safetensors, or a directory for x.npy, positions.npy, expected.npy and "
                  "meta.json")
      ->required();
  sub->add_option("--cos-sin", args->cos_sin,
                  "Also write FILE.safetensors: tensors cos and sin [tokens, rotary_dim/2], the "
                  "correctly rounded cos/sin cache of the set's positions, in its dtype");
  return [args] {
    const vectors::VectorSpec spec = build_spec(*args);
    check_out(args->out);  // refuse a bad or unwritable target before the work
    if (!args->cos_sin.empty()) {
      if (!args->cos_sin.ends_with(".safetensors"))
        throw ConfigError("--cos-sin", fmt::format("\"{}\": the cos/sin cache is written as "
                                                   "FILE.safetensors",
                                                   args->cos_sin));
      check_output_file(args->cos_sin, "--cos-sin");
    }
    const vectors::VectorSet set = vectors::generate_vectors(spec);
    const std::string written = write_set(set, args->out);
    if (!args->cos_sin.empty()) write_cos_sin(set, args->cos_sin);
    std::cout << fmt::format("wrote {} tokens x {} heads x {} channels ({}, seed {}) to {}\n",
                             set.tokens(), set.heads, set.config.head_dim, dtype_name(set.dtype),
                             spec.seed, written);
    if (!args->cos_sin.empty())
      std::cout << fmt::format("wrote the correctly rounded cos/sin cache to {}\n", args->cos_sin);
    return int{kPass};
  };
}

}  // namespace ropecheck::cli
