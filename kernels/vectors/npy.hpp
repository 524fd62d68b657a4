// NumPy's .npy format (versions 1.0, 2.0 and 3.0 read; 1.0 written): one array per file.
// bf16 has no NumPy dtype: it is stored as '<u2' holding the raw bf16 bits (spec/vectors.md).
#pragma once

#include <string>
#include <string_view>

#include "kernels/vectors/tensor.hpp"

namespace ropecheck::vectors {

// The bytes of a .npy file holding `tensor` (C order, little-endian, version 1.0).
std::string write_npy(const Tensor& tensor);

// Parses .npy bytes. Accepted descr: '<f8', '<f4', '<f2', '<i8' and '<u2' (read as bf16 bits);
// fortran_order must be False. Throws ConfigError(`name`, what is wrong) for anything else:
// truncated data, a header length past the end, a malformed header, a shape whose size
// overflows or disagrees with the data. Allocates no more than the size of `bytes`.
Tensor read_npy(std::string_view bytes, const std::string& name);

}  // namespace ropecheck::vectors
