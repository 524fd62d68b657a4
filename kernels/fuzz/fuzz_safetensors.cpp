// libFuzzer target: read_safetensors on arbitrary bytes. A ConfigError is the only acceptable
// failure; a file it accepts must survive write_safetensors and read back identical.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/config_error.hpp"
#include "kernels/vectors/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ropecheck::vectors;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  SafetensorsFile file;
  try {
    file = read_safetensors(bytes, "fuzz.safetensors");
  } catch (const ropecheck::ConfigError&) {
    return 0;
  }
  for (const NamedTensor& entry : file.tensors) {
    if (entry.tensor.dtype == TensorDtype::i64)
      int64_values(entry.tensor);
    else
      float_values(entry.tensor);
  }
  const SafetensorsFile again = read_safetensors(write_safetensors(file), "rewritten");
  if (again.metadata != file.metadata || again.tensors.size() != file.tensors.size()) std::abort();
  for (const NamedTensor& entry : file.tensors) {
    const Tensor* other = again.find(entry.name);
    if (!other || other->dtype != entry.tensor.dtype || other->shape != entry.tensor.shape ||
        other->data != entry.tensor.data)
      std::abort();
  }
  return 0;
}
