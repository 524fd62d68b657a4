// The built-in model presets: spec/presets/*.json, embedded in the library at build time.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/rope_config.hpp"

namespace ropecheck {

// One real model's RoPE configuration with the provenance of its numbers.
struct Preset {
  std::string name;     // e.g. "llama-3.1-8b"
  std::string model;    // Hugging Face repository id
  std::string summary;  // one line for listings
  std::string source;   // where the numbers come from
  nlohmann::json notes;   // key -> how a value not copied verbatim from `source` was derived
  nlohmann::json config;  // the Hugging Face-style config block, as written in the file
  RopeConfig rope;        // `config`, parsed and validated
};

// Every built-in preset, sorted by name (parsed once; a malformed file is a build-breaking bug
// caught by the preset tests, reported as ConfigError naming the file).
const std::vector<Preset>& builtin_presets();

// The preset called `name`; throws ConfigError listing the accepted names otherwise.
const Preset& find_preset(const std::string& name);

// "llama-2-7b, llama-3.1-8b, ...", for error messages.
std::string preset_names();

}  // namespace ropecheck
