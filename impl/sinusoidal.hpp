// The sinusoidal absolute position encoding of Vaswani et al. (2017), RoPE's contrast case:
// PE(p+k) is a fixed rotation of PE(p), yet adding PE to embeddings does not make scores relative.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace ropecheck {

// PE(p)[2i] = sin(p * w_i), PE(p)[2i+1] = cos(p * w_i) with w_i = base^(-2i/d), in type T.
template <class T>
std::vector<T> sinusoidal_encoding(int dim, std::int64_t position, double base = 10000.0) {
  std::vector<T> pe(static_cast<std::size_t>(dim));
  for (int i = 0; i < dim / 2; ++i) {
    const T frequency = T(1) / std::pow(static_cast<T>(base), static_cast<T>(2 * i) / dim);
    const T angle = static_cast<T>(position) * frequency;
    pe[2 * i] = std::sin(angle);
    pe[2 * i + 1] = std::cos(angle);
  }
  return pe;
}

// The 2x2 blocks that carry PE(p) to PE(p+k): [sin; cos](p+k) = M_k [sin; cos](p) with
// M_k = [[cos kw, sin kw], [-sin kw, cos kw]] acting on (sin, cos) of each frequency.
template <class T>
std::vector<T> sinusoidal_shift(int dim, std::int64_t shift, const std::vector<T>& encoding,
                                double base = 10000.0) {
  std::vector<T> out(encoding.size());
  for (int i = 0; i < dim / 2; ++i) {
    const T frequency = T(1) / std::pow(static_cast<T>(base), static_cast<T>(2 * i) / dim);
    const T c = std::cos(static_cast<T>(shift) * frequency);
    const T s = std::sin(static_cast<T>(shift) * frequency);
    const T sine = encoding[2 * i], cosine = encoding[2 * i + 1];
    out[2 * i] = sine * c + cosine * s;
    out[2 * i + 1] = cosine * c - sine * s;
  }
  return out;
}

}  // namespace ropecheck
