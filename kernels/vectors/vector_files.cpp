#include "kernels/vectors/vector_files.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/config_error.hpp"
#include "core/json_input.hpp"
#include "kernels/vectors/file_bytes.hpp"
#include "kernels/vectors/npy.hpp"
#include "kernels/vectors/safetensors.hpp"

namespace ropecheck::vectors {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::map<std::string, std::string> read_meta_json(const std::string& path) {
  const nlohmann::json meta = parse_json_text(read_file_bytes(path), path);
  if (!meta.is_object()) throw ConfigError(path, "must be a JSON object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : meta.items()) {
    if (!value.is_string()) throw ConfigError(path, fmt::format("value of \"{}\" is not a string", key));
    out[key] = value.get<std::string>();
  }
  return out;
}

Tensor read_npy_file(const std::string& path) { return read_npy(read_file_bytes(path), path); }

}  // namespace

VectorLayout vector_layout_for(const std::string& path, const std::string& option) {
  if (ends_with(path, ".safetensors")) return VectorLayout::safetensors_file;
  if (ends_with(path, ".npy"))
    throw ConfigError(option, fmt::format("\"{}\": a .npy file holds one array; give a directory "
                                          "for the .npy form (DIR/x.npy, DIR/positions.npy, "
                                          "DIR/expected.npy, DIR/meta.json) or a .safetensors "
                                          "file", path));
  return VectorLayout::npy_directory;
}

std::vector<std::pair<std::string, std::string>> encode_vector_set(const VectorSet& set,
                                                                   VectorLayout layout,
                                                                   const std::string& file_name) {
  const Tensor x = float_tensor(set.dtype, set.shape(), set.x);
  const Tensor positions = int64_tensor({set.tokens()}, set.positions);
  const Tensor expected = float_tensor(set.dtype, set.shape(), set.expected);
  if (layout == VectorLayout::safetensors_file) {
    const SafetensorsFile file{{{"x", x}, {"positions", positions}, {"expected", expected}},
                               set.metadata};
    return {{file_name, write_safetensors(file)}};
  }
  return {{"x.npy", write_npy(x)},
          {"positions.npy", write_npy(positions)},
          {"expected.npy", write_npy(expected)},
          {"meta.json", dump_json(nlohmann::json(set.metadata), 2) + "\n"}};
}

VectorSet read_vector_set(const std::string& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) {
    const auto in = [&](const char* name) { return (fs::path(path) / name).string(); };
    const Tensor x = read_npy_file(in("x.npy"));
    const Tensor positions = read_npy_file(in("positions.npy"));
    const Tensor expected = read_npy_file(in("expected.npy"));
    return assemble_vector_set(read_meta_json(in("meta.json")), &x, &positions, &expected, path);
  }
  const SafetensorsFile file = read_safetensors(read_file_bytes(path), path);
  return assemble_vector_set(file.metadata, file.find("x"), file.find("positions"),
                             file.find("expected"), path);
}

std::vector<double> read_outputs(const std::string& path, const VectorSet& vectors) {
  const std::string bytes = read_file_bytes(path);
  Tensor y;
  if (ends_with(path, ".npy")) {
    y = read_npy(bytes, path);
  } else {
    const SafetensorsFile file = read_safetensors(bytes, path);
    const Tensor* found = file.find("y");
    if (!found) throw ConfigError(path, "has no tensor 'y' (the kernel's outputs)");
    y = *found;
  }
  const TensorDtype dtype = tensor_dtype(vectors.dtype);
  if (y.dtype != dtype)
    throw ConfigError(path, fmt::format("outputs are {} but the vectors are {}{}",
                                        tensor_dtype_name(y.dtype), tensor_dtype_name(dtype),
                                        dtype == TensorDtype::bf16 ? " ('<u2' bits in .npy)" : ""));
  if (y.shape != vectors.shape())
    throw ConfigError(path, fmt::format("outputs have shape {}; the vectors need {} [tokens, "
                                        "heads, head_dim]", shape_text(y.shape),
                                        shape_text(vectors.shape())));
  return float_values(y);
}

}  // namespace ropecheck::vectors
