#include "core/presets.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/config_error.hpp"
#include "core/embedded_presets.hpp"
#include "core/hf_config.hpp"
#include "core/json_input.hpp"

namespace ropecheck {
namespace {

Preset parse_preset(const EmbeddedFile& file) {
  try {
    auto document = parse_json_text(file.text, std::string(file.name));
    Preset preset;
    preset.name = document.at("name").get<std::string>();
    preset.model = document.at("model").get<std::string>();
    preset.summary = document.at("summary").get<std::string>();
    preset.source = document.at("source").get<std::string>();
    preset.notes = document.value("notes", nlohmann::json::object());
    preset.config = document.at("config");
    preset.rope = parse_hf_config(preset.config);
    return preset;
  } catch (const std::exception& error) {
    throw ConfigError(std::string(file.name), fmt::format("bad preset file: {}", error.what()));
  }
}

}  // namespace

const std::vector<Preset>& builtin_presets() {
  static const std::vector<Preset> presets = [] {
    std::vector<Preset> out;
    for (const EmbeddedFile& file : embedded_preset_files()) out.push_back(parse_preset(file));
    std::sort(out.begin(), out.end(),
              [](const Preset& a, const Preset& b) { return a.name < b.name; });
    return out;
  }();
  return presets;
}

const Preset& find_preset(const std::string& name) {
  for (const Preset& preset : builtin_presets())
    if (preset.name == name) return preset;
  throw ConfigError("preset",
                    fmt::format("unknown preset \"{}\"; accepted: {}", name, preset_names()));
}

std::string preset_names() {
  std::string out;
  for (const Preset& preset : builtin_presets()) {
    if (!out.empty()) out += ", ";
    out += preset.name;
  }
  return out;
}

}  // namespace ropecheck
