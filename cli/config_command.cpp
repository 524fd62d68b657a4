// `ropecheck config`: the resolved RoPE of every layer type of a model, with the origin of each
// value (file key, the model class's default, derived), as text or JSON.
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/config_error.hpp"
#include "core/json_input.hpp"
#include "core/parse_number.hpp"
#include "core/hf_config_report.hpp"
#include "core/presets.hpp"
#include "reference/reference.hpp"

namespace ropecheck::cli {
namespace {

struct ConfigArgs {
  std::string preset, hf_config, config_json, layer_type;
  std::string seq_len;  // parsed strictly (parse_number.hpp), as every numeric option
  bool as_json = false;
};

nlohmann::json load_config(const ConfigArgs& args) {
  const int sources = !args.preset.empty() + !args.hf_config.empty() + !args.config_json.empty();
  if (sources != 1)
    throw ConfigError("--preset", "give exactly one of --preset, --hf-config, --config");
  if (!args.preset.empty()) return find_preset(args.preset).config;
  // User JSON goes through the limited reader (size, nesting depth, UTF-8, overflowing numbers).
  if (!args.hf_config.empty()) return read_json_file(args.hf_config, "--hf-config");
  return parse_json_text(args.config_json, "--config");
}

nlohmann::ordered_json describe(const nlohmann::json& config, const std::string& layer_type,
                                std::optional<std::int64_t> seq_len) {
  const ResolvedRope resolved = resolve_hf_config(config, {.layer_type = layer_type});
  // The attention factor is derived by the oracle (core holds no RoPE math); it does not
  // depend on the sequence length for any variant.
  const reference::Reference oracle(resolved.config, seq_len.value_or(1));
  return resolved_json(resolved, seq_len, oracle.attention_factor());
}

std::string value_text(const nlohmann::ordered_json& value) {
  if (value.is_array()) {
    std::string out = fmt::format("[{} values:", value.size());
    for (const auto& v : value) out += " " + v.dump();
    return out + "]";
  }
  if (value.is_string()) return value.get<std::string>();
  return value.is_null() ? "-" : value.dump();
}

void print_text(const nlohmann::ordered_json& report) {
  std::cout << fmt::format("model_type: {}{}\n",
                           report["model_type"].get<std::string>().empty()
                               ? "(none)"
                               : report["model_type"].get<std::string>(),
                           report["config_class"].get<std::string>().empty()
                               ? " (not in the family table: generic reading)"
                               : " (" + report["config_class"].get<std::string>() + ")");
  for (const auto& layer : report["layer_types"]) {
    std::cout << fmt::format("\nlayer type {}:\n", layer["layer_type"].get<std::string>());
    if (layer.contains("rotary") && !layer["rotary"].get<bool>()) {
      std::cout << fmt::format("  no rotary embedding ({})\n", layer["reason"].get<std::string>());
      continue;
    }
    for (const auto& [key, entry] : layer.items()) {
      if (!entry.is_object()) continue;
      std::cout << fmt::format("  {:<33} {:<14} {}\n", key, value_text(entry["value"]),
                               entry["origin"].get<std::string>());
    }
    for (const auto& note : layer["notes"])
      std::cout << fmt::format("  note: {}\n", note.get<std::string>());
  }
}

}  // namespace

Runner add_config_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "config", "Show the resolved RoPE of every layer type, with the origin of each value");
  auto args = std::make_shared<ConfigArgs>();
  sub->add_option("--preset", args->preset, "Built-in preset (see `ropecheck presets`)");
  sub->add_option("--hf-config", args->hf_config, "A model's own config.json");
  sub->add_option("--config", args->config_json, "Inline JSON of Hugging Face config keys");
  sub->add_option("--layer-type", args->layer_type,
                  "Only this layer type (an error if it has no rotary embedding)");
  CLI::Option* seq_len_option = sub->add_option(
      "--seq-len", args->seq_len,
      "Sequence length, for the LongRoPE list and dynamic NTK (a positive integer)");
  sub->add_flag("--json", args->as_json, "Print JSON instead of a table");
  return [args, seq_len_option] {
    const nlohmann::json config = load_config(*args);
    std::optional<std::int64_t> seq_len;
    if (seq_len_option->count() > 0) {
      // Lengths, like positions, stay exact in a double.
      seq_len = parse_integer(args->seq_len, "--seq-len", 1, std::int64_t{1} << 53);
    }
    nlohmann::ordered_json report;
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    if (!args->layer_type.empty()) {
      layers.push_back(describe(config, args->layer_type, seq_len));
    } else {
      for (const LayerTypeInfo& info : hf_layer_types(config)) {
        if (info.rotary)
          layers.push_back(describe(config, info.name, seq_len));
        else
          layers.push_back({{"layer_type", info.name}, {"rotary", false}, {"reason", info.reason}});
      }
    }
    // Model-level facts are the same for every layer type: take them from a rotary one.
    report["model_type"] = "";
    report["config_class"] = "";
    for (const auto& layer : layers)
      if (layer.contains("model_type")) {
        report["model_type"] = layer["model_type"];
        report["config_class"] = layer["config_class"];
        break;
      }
    report["layer_types"] = std::move(layers);
    if (args->as_json)
      std::cout << report.dump(2) << "\n";
    else
      print_text(report);
    return int{kPass};
  };
}

}  // namespace ropecheck::cli
