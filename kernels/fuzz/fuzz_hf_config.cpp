// libFuzzer target: parse_hf_config on arbitrary JSON. Bytes that are not JSON are skipped;
// on JSON, a ConfigError is the only acceptable failure, for both layer types.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json config = nlohmann::json::parse(data, data + size, nullptr,
                                                      /*allow_exceptions=*/false);
  if (config.is_discarded()) return 0;
  for (const char* layer_type : {"full_attention", "sliding_attention"}) {
    try {
      const ropecheck::RopeConfig rope = ropecheck::parse_hf_config(config, {layer_type});
      ropecheck::validate(rope);
    } catch (const ropecheck::ConfigError&) {
    }
  }
  return 0;
}
