// The certified fast path: triple-double turns, exact reduction modulo one turn, a double-double
// table plus short polynomials for cos/sin, the rotation in double-double, an a-priori error
// bound, and a rounding test that either proves RN_F of the exact output or hands the pair to the
// MPFR path. The derivation of every constant is in spec/precision.md, "The reference".
#pragma once

#include <cstdint>
#include <vector>

#include "core/number_format.hpp"
#include "reference/format_params.hpp"
#include "reference/trig_table.hpp"

namespace ropecheck::reference {

class ExactFrequencies;

// What the kernel does with a pair.
enum class PairKind : std::uint8_t {
  rotates = 0,     // theta_i / 2pi held as a triple-double
  zero_theta = 1,  // theta_i = 0 exactly (phi = 0 at every position)
  mpfr_only = 2,   // |theta_i / 2pi| >= 2^10: outside the bound's assumptions, MPFR path
};

// The kernel's verdict on one pair.
enum class PairStatus : std::uint8_t {
  certified = 0,  // outputs written, proven equal to RN_F of the exact result
  fallback = 1,   // rounding test inconclusive (or pair not eligible): use the MPFR path
  special = 2,    // non-finite input, x_a = x_b = 0, or phi = 0 with a zero component: exact rules
};

// The per-configuration data of the fast path (built once from the exact frequencies).
struct FastPathData {
  int pairs = 0;
  int rotary_dim = 0;
  bool interleaved = false;
  // theta_i / 2pi = t_hi + t_mid + t_lo + tail with |tail| <= 2^-149 (one entry per pair each)
  std::vector<double> t_hi, t_mid, t_lo;
  std::vector<PairKind> kind;
  bool a_is_one = true;
  double a_hi = 1.0, a_lo = 0.0;  // the attention factor, |a - a_hi - a_lo| <= 2^-100 a
  double bound = 0.0;             // K: |exact - z| <= K (|x_a| + |x_b|) in the scaled frame
};

FastPathData build_fast_path(const ExactFrequencies& freqs);

// Which build of the kernel runs.
enum class FastVariant {
  best,     // avx2 if the CPU has AVX2 and FMA3 (checked once at run time), else generic
  avx2,     // four pairs per AVX2 instruction, fused multiply-add (the same arithmetic as fma)
  fma,      // one pair at a time, fused multiply-add
  generic,  // one pair at a time, Dekker's product with Veltkamp's splitting: any x86-64
};

// Where the kernel also leaves each evaluated pair's exact output as a double-double, before
// rounding (spec/precision.md, "Exact outputs"): for a pair i with ok[i] = 1, both channels c
// of the pair satisfy |exact_c - hi[c] - lo[c]| <= bound[i]. ok[i] = 0 where the kernel did not
// evaluate the pair (non-finite or zero inputs, MPFR-only pairs) or its unscaled values left the
// normal range: those need the MPFR path. hi and lo are indexed by channel, bound and ok by pair.
struct ExactSink {
  double* hi = nullptr;
  double* lo = nullptr;
  double* bound = nullptr;
  std::uint8_t* ok = nullptr;
};

// Runs the kernel over every rotated pair of one head at position m (|m| < 2^53): certified
// outputs are written to y (y may alias x), every pair gets a status. Channels >= rotary_dim are
// left to the caller. With `exact`, the unrounded double-double outputs go there too (they are
// valid whether or not the rounding test certified y; x must not alias exact->hi or ->lo).
void fast_apply(const FastPathData& data, Dtype dtype, std::int64_t m, const double* x, double* y,
                PairStatus* status, FastVariant variant = FastVariant::best,
                const ExactSink* exact = nullptr);

// The exact score sum_i a^2 [(q_a k_a + q_b k_b) cos(d theta_i) + (q_a k_b - q_b k_a)
// sin(d theta_i)] + sum_{j >= rotary_dim} q_j k_j (d = m - n, |d| < 2^53), rounded to nearest
// double, when the fast path's cos/sin of d theta_i (error <= 2^-77 each) and a double-double
// sum prove the rounding (spec/precision.md, "Exact scores"); false sends the caller to MPFR.
// q and k hold head_dim finite doubles each.
bool fast_score(const FastPathData& data, std::int64_t d, const double* q, const double* k,
                int head_dim, double& out, FastVariant variant = FastVariant::best);

// Steps R1-R3 alone, for callers that follow consecutive positions: m theta_i / 2pi modulo one
// turn as hi + lo, |hi| <= 1/2 + 2^-53, within 2^-93.6 of the exact value (spec/precision.md).
// Requires a pair of kind `rotates` and |m| < 2^53. Dekker's products: the same on every CPU.
struct Turns {
  double hi, lo;
};
Turns fast_turns(const FastPathData& data, int pair, std::int64_t m);

// Whether this CPU has FMA3, and AVX2 + FMA3 (what FastVariant::best picks the avx2 kernel on).
bool fast_path_has_fma();
bool fast_path_has_avx2();

// The kernel's intermediate values for one pair, for the tests of the error bound: in the scaled
// frame (inputs multiplied by 2^-sigma), cos and sin of the angle as double-doubles, and both
// outputs z = z_hi + z_lo with the bound E on |exact/2^sigma - z|. Requires a finite, nonzero pair
// of kind `rotates` or `zero_theta`.
struct FastPairTrace {
  int sigma;
  double c_hi, c_lo, s_hi, s_lo;
  double za_hi, za_lo, zb_hi, zb_lo;
  double bound;
};
FastPairTrace fast_trace(const FastPathData& data, int pair, std::int64_t m, double xa, double xb,
                         FastVariant variant = FastVariant::best);

namespace fast_detail {

// A plain view of FastPathData for the kernels (no std::vector code compiled for two targets).
struct KernelView {
  const double* t_hi;
  const double* t_mid;
  const double* t_lo;
  const PairKind* kind;
  const TrigEntry* table;
  int pairs;
  int rotary_dim;
  bool interleaved;
  bool a_is_one;
  double a_hi, a_lo, bound;
  FormatParams fmt;
  ExactSink exact;  // null pointers: outputs only
};

void kernel_avx2(const KernelView& v, std::int64_t m, const double* x, double* y,
                 PairStatus* status);
void kernel_fma(const KernelView& v, std::int64_t m, const double* x, double* y,
                PairStatus* status);
void kernel_generic(const KernelView& v, std::int64_t m, const double* x, double* y,
                    PairStatus* status);
FastPairTrace trace_fma(const KernelView& v, int pair, std::int64_t m, double xa, double xb);
bool score_fma(const KernelView& v, std::int64_t d, const double* q, const double* k, int head_dim,
               double& out);
bool score_generic(const KernelView& v, std::int64_t d, const double* q, const double* k,
                   int head_dim, double& out);
FastPairTrace trace_generic(const KernelView& v, int pair, std::int64_t m, double xa, double xb);

}  // namespace fast_detail
}  // namespace ropecheck::reference
