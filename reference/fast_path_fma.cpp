// The fast path compiled for CPUs with FMA3 and AVX2 (__builtin_fma becomes one vfmadd
// instruction; the avx2 kernel does four pairs at once). Standard headers come first so that
// only this file's own code gets the target attribute; fast_path.cpp calls into it only after
// __builtin_cpu_supports says the CPU has the instructions (no -march flag anywhere).
// GCC takes the target from `#pragma GCC target`, which clang ignores; clang takes it from
// `#pragma clang attribute`, which applies it to every function declared in between. Either way
// the same code is compiled for the same instructions (the build's -ffp-contract=off holds in
// both, so the operations are those written).
#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstdint>

#include "reference/fast_path.hpp"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#include "reference/fast_path_avx2.hpp"
#include "reference/fast_path_kernel.hpp"

namespace ropecheck::reference::fast_detail {

void kernel_avx2(const KernelView& v, std::int64_t m, const double* x, double* y,
                 PairStatus* status) {
  run_kernel_avx2(v, m, x, y, status);
}

void kernel_fma(const KernelView& v, std::int64_t m, const double* x, double* y,
                PairStatus* status) {
  run_kernel<true>(v, m, x, y, status);
}

FastPairTrace trace_fma(const KernelView& v, int pair, std::int64_t m, double xa, double xb) {
  return trace_pair<true>(v, pair, m, xa, xb);
}

bool score_fma(const KernelView& v, std::int64_t d, const double* q, const double* k, int head_dim,
               double& out) {
  return exact_score<true>(v, d, q, k, head_dim, out);
}

}  // namespace ropecheck::reference::fast_detail
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
