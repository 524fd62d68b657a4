// The configuration object the Python module passes around: a resolved RoPE with the Hugging
// Face-style keys it came from (golden-vector metadata and replay lines carry them).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/hf_config.hpp"

namespace ropecheck::python {

struct NativeConfig {
  ResolvedRope resolved;
  nlohmann::json hf_keys;  // the config block as given (a preset's "config", a file, a dict)
  std::string preset;      // the preset's name, empty otherwise
  std::string layer_type = "full_attention";

  const RopeConfig& rope() const { return resolved.config; }
};

// Reads Hugging Face-style keys (JSON text); throws ConfigError naming the key at fault.
NativeConfig config_from_json(const std::string& text, const std::string& layer_type);

// A built-in preset; throws ConfigError listing the accepted names.
NativeConfig config_from_preset(const std::string& name, const std::string& layer_type);

}  // namespace ropecheck::python
