// libFuzzer target: parse_hf_config on arbitrary JSON, read through parse_json_text as the
// commands read it. Bytes that are not JSON are skipped;
// on JSON, a ConfigError is the only acceptable failure, for both layer types.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/json_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json config;
  try {
    config = ropecheck::parse_json_text(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "config");
  } catch (const ropecheck::ConfigError&) {
    return 0;  // not JSON, or beyond the depth and size limits: refused before the parser
  }
  for (const char* layer_type : {"full_attention", "sliding_attention"}) {
    try {
      const ropecheck::RopeConfig rope = ropecheck::parse_hf_config(config, {layer_type});
      ropecheck::validate(rope);
    } catch (const ropecheck::ConfigError&) {
    }
  }
  return 0;
}
