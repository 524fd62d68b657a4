#include "python/src/native_config.hpp"

#include "core/json_input.hpp"
#include "core/presets.hpp"

namespace ropecheck::python {

NativeConfig config_from_json(const std::string& text, const std::string& layer_type) {
  NativeConfig out;
  out.hf_keys = parse_json_text(text, "config");
  out.layer_type = layer_type;
  out.resolved = resolve_hf_config(out.hf_keys, {.layer_type = layer_type});
  return out;
}

NativeConfig config_from_preset(const std::string& name, const std::string& layer_type) {
  const Preset& preset = find_preset(name);
  NativeConfig out;
  out.hf_keys = preset.config;
  out.preset = preset.name;
  out.layer_type = layer_type;
  out.resolved = resolve_hf_config(out.hf_keys, {.layer_type = layer_type});
  return out;
}

}  // namespace ropecheck::python
