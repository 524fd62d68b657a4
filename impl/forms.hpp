// The three mathematically equivalent forms of RoPE (Su et al. 2021, arXiv 2104.09864):
// block-diagonal rotation matrix (Eq. 14-15), complex multiplication (Eq. 12), and elementwise
// cos/sin (Eq. 34). Each rotates
// the first d channels of one head by per-pair cos/sin and copies channels >= d unchanged.
// S is the storage type of x and y, A the arithmetic type of the rotation; every operation
// rounds to A, so the forms differ only in the order and kind of roundings they perform.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <complex>
#include <span>
#include <string_view>

#include "core/rope_config.hpp"
#include "impl/form.hpp"

namespace ropecheck {

// std::complex is specified only for float, double and long double.
template <class A>
constexpr bool complex_form_supports =
    std::is_same_v<A, float> || std::is_same_v<A, double> || std::is_same_v<A, long double>;

// Channels >= rotary_dim pass through untouched.
template <class S>
void copy_pass_through(int rotary_dim, std::span<const S> x, std::span<S> y) {
  for (std::size_t j = static_cast<std::size_t>(rotary_dim); j < x.size(); ++j) y[j] = x[j];
}

// y = R_m x with R_m the block-diagonal rotation of Eq. 15: each 2x2 block is an Eigen matrix
// applied to its pair (for the half layout the blocks sit on the permuted pairs). Multiplying
// block by block, rather than by a dense d x d matrix, keeps a NaN in one pair out of the
// others (a dense product would spread it through the zero entries: NaN * 0 = NaN).
template <class S, class A>
void rotate_matrix(Layout layout, int rotary_dim, std::span<const A> cos, std::span<const A> sin,
                   std::span<const S> x, std::span<S> y) {
  for (int i = 0; i < rotary_dim / 2; ++i) {
    const auto [a, b] = pair_channels(layout, rotary_dim, i);
    Eigen::Matrix<A, 2, 2> block;
    block << cos[i], -sin[i], sin[i], cos[i];
    const Eigen::Matrix<A, 2, 1> in(static_cast<A>(x[a]), static_cast<A>(x[b]));
    // lazyProduct: a plain two-term dot product per row, in the order written.
    const Eigen::Matrix<A, 2, 1> out = block.lazyProduct(in);
    y[a] = static_cast<S>(out[0]);
    y[b] = static_cast<S>(out[1]);
  }
  copy_pass_through(rotary_dim, x, y);
}

// Pair i is the complex number x_a + j x_b, multiplied by e^{j phi_i} = cos + j sin.
template <class S, class A>
  requires complex_form_supports<A>
void rotate_complex(Layout layout, int rotary_dim, std::span<const A> cos, std::span<const A> sin,
                    std::span<const S> x, std::span<S> y) {
  for (int i = 0; i < rotary_dim / 2; ++i) {
    const auto [a, b] = pair_channels(layout, rotary_dim, i);
    const std::complex<A> z(static_cast<A>(x[a]), static_cast<A>(x[b]));
    const std::complex<A> rotated = z * std::complex<A>(cos[i], sin[i]);
    y[a] = static_cast<S>(rotated.real());
    y[b] = static_cast<S>(rotated.imag());
  }
  copy_pass_through(rotary_dim, x, y);
}

// y = x * cos + rotate(x) * sin, channel by channel, with rotate(x) = (-x_b, x_a) on each pair
// (Hugging Face rotate_half for the half layout, rotate_every_two for interleaved).
template <class S, class A>
void rotate_elementwise(Layout layout, int rotary_dim, std::span<const A> cos,
                        std::span<const A> sin, std::span<const S> x, std::span<S> y) {
  for (int i = 0; i < rotary_dim / 2; ++i) {
    const auto [a, b] = pair_channels(layout, rotary_dim, i);
    const A xa = static_cast<A>(x[a]);
    const A xb = static_cast<A>(x[b]);
    const A ya = xa * cos[i] + (-xb) * sin[i];
    const A yb = xb * cos[i] + xa * sin[i];
    y[a] = static_cast<S>(ya);
    y[b] = static_cast<S>(yb);
  }
  copy_pass_through(rotary_dim, x, y);
}

// The elementwise form with each component's multiply-add fused, ya = fma(x_a, cos, -(x_b sin)),
// yb = fma(x_b, cos, x_a sin): what CUDA and clang make of x * cos + rotate(x) * sin by default
// (-ffp-contract=fast); written with std::fma since this build contracts nothing itself.
template <class S, class A>
void rotate_elementwise_fma(Layout layout, int rotary_dim, std::span<const A> cos,
                            std::span<const A> sin, std::span<const S> x, std::span<S> y) {
  for (int i = 0; i < rotary_dim / 2; ++i) {
    const auto [a, b] = pair_channels(layout, rotary_dim, i);
    const A xa = static_cast<A>(x[a]);
    const A xb = static_cast<A>(x[b]);
    const A ya = static_cast<A>(std::fma(xa, cos[i], (-xb) * sin[i]));
    const A yb = static_cast<A>(std::fma(xb, cos[i], xa * sin[i]));
    y[a] = static_cast<S>(ya);
    y[b] = static_cast<S>(yb);
  }
  copy_pass_through(rotary_dim, x, y);
}

// Dispatches to one form; the complex form falls back to a compile error for types without
// std::complex (the registry never asks for it).
template <class S, class A>
void rotate(Form form, Layout layout, int rotary_dim, std::span<const A> cos,
            std::span<const A> sin, std::span<const S> x, std::span<S> y) {
  switch (form) {
    case Form::matrix: return rotate_matrix<S, A>(layout, rotary_dim, cos, sin, x, y);
    case Form::complex:
      if constexpr (complex_form_supports<A>)
        return rotate_complex<S, A>(layout, rotary_dim, cos, sin, x, y);
      break;
    case Form::elementwise: return rotate_elementwise<S, A>(layout, rotary_dim, cos, sin, x, y);
  }
}

}  // namespace ropecheck
