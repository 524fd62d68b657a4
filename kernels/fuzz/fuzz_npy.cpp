// libFuzzer target: read_npy on arbitrary bytes. A ConfigError is the only acceptable failure;
// an array it accepts must survive write_npy and read back identical.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/config_error.hpp"
#include "kernels/vectors/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ropecheck::vectors;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Tensor tensor;
  try {
    tensor = read_npy(bytes, "fuzz.npy");
  } catch (const ropecheck::ConfigError&) {
    return 0;
  }
  if (tensor.dtype == TensorDtype::i64)
    int64_values(tensor);
  else
    float_values(tensor);
  const Tensor again = read_npy(write_npy(tensor), "rewritten");
  if (again.dtype != tensor.dtype || again.shape != tensor.shape || again.data != tensor.data)
    std::abort();
  return 0;
}
