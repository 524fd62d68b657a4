// Golden vector sets on disk: one .safetensors file, or a directory of .npy files plus
// meta.json (spec/vectors.md §Files), and a kernel's outputs in either format.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kernels/vectors/vector_set.hpp"

namespace ropecheck::vectors {

// How a vector set is stored.
enum class VectorLayout {
  safetensors_file,  // PATH.safetensors with tensors x, positions, expected and __metadata__
  npy_directory,     // DIR/x.npy, DIR/positions.npy, DIR/expected.npy, DIR/meta.json
};

// The layout `ropecheck vectors --out PATH` writes: a file for a .safetensors name, else a
// directory; a name ending in .npy is refused (one .npy holds one array), naming the option.
VectorLayout vector_layout_for(const std::string& path, const std::string& option);

// The files of a set in a layout: (file name, bytes) pairs; the .safetensors file is named
// `file_name`, the .npy form's names are fixed.
std::vector<std::pair<std::string, std::string>> encode_vector_set(const VectorSet& set,
                                                                   VectorLayout layout,
                                                                   const std::string& file_name);

// Reads a set from a .safetensors file or an .npy directory; throws ConfigError naming the file
// and what is wrong.
VectorSet read_vector_set(const std::string& path);

// Reads a kernel's outputs for `vectors`: tensor `y` of a .safetensors file, or a .npy file,
// with the shape of x in the set's dtype (bf16 as '<u2' in .npy); throws ConfigError.
std::vector<double> read_outputs(const std::string& path, const VectorSet& vectors);

}  // namespace ropecheck::vectors
