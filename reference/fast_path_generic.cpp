// The fast path for any x86-64: exact products by Dekker's algorithm (no FMA instruction).
#include <bit>
#include <cmath>
#include <cstdint>

#include "reference/fast_path.hpp"
#include "reference/fast_path_kernel.hpp"

namespace ropecheck::reference::fast_detail {

void kernel_generic(const KernelView& v, std::int64_t m, const double* x, double* y,
                    PairStatus* status) {
  run_kernel<false>(v, m, x, y, status);
}

FastPairTrace trace_generic(const KernelView& v, int pair, std::int64_t m, double xa, double xb) {
  return trace_pair<false>(v, pair, m, xa, xb);
}

bool score_generic(const KernelView& v, std::int64_t d, const double* q, const double* k,
                   int head_dim, double& out) {
  return exact_score<false>(v, d, q, k, head_dim, out);
}

}  // namespace ropecheck::reference::fast_detail

namespace ropecheck::reference {

Turns fast_turns(const FastPathData& data, int pair, std::int64_t m) {
  const auto i = static_cast<std::size_t>(pair);
  const fast_detail::DD r = fast_detail::reduce_turns<false>(static_cast<double>(m), data.t_hi[i],
                                                             data.t_mid[i], data.t_lo[i]);
  return {r.hi, r.lo};
}

}  // namespace ropecheck::reference
