// The MPFR path: one rotated pair from the exact frequencies, with a certified error bound and
// Ziv's strategy for the rounding (Ziv 1991, "Fast evaluation of elementary mathematical
// functions with correctly rounded last bit"). The ground truth the fast path must reproduce.
#pragma once

#include <cstdint>
#include <optional>

#include "core/number_format.hpp"
#include "reference/exact_frequencies.hpp"

namespace ropecheck::reference {

// The two outputs of a rotated pair (channels a and b of pair_channels).
struct PairOutput {
  double a;
  double b;
};

// Balls around the exact outputs y_a = a (x_a cos phi - x_b sin phi), y_b = a (x_a sin phi +
// x_b cos phi), phi = m theta_i, for finite inputs: |y_a - ya| <= ra and |y_b - yb| <= rb.
struct PairBall {
  Mp ya, yb, ra, rb;
};
PairBall pair_ball(const ExactFrequencies& freqs, int pair, std::int64_t m, double xa, double xb,
                   mpfr_prec_t prec);

// One step of Ziv's loop: the correctly rounded outputs if the balls at `prec` prove them, else
// nullopt. Requires finite inputs, not both zero, and phi != 0 (see rotate_pair_mpfr).
std::optional<PairOutput> rotate_pair_at(const ExactFrequencies& freqs, int pair, std::int64_t m,
                                         double xa, double xb, Dtype dtype, mpfr_prec_t prec);

// The correctly rounded outputs of one pair, for any inputs (|m| < 2^53). Cases:
//  - NaN in x_a or x_b: both outputs NaN.
//  - an infinite input, or x_a = x_b = 0: the IEEE result of the formula with exact cos and sin
//    (only their signs matter; at phi = 0, cos = 1 and sin = +0), so inf * 0 gives NaN, inf - inf
//    gives NaN, zeros get IEEE's sign rules; a > 0 changes nothing there.
//  - phi = 0 (m = 0 or theta_i = 0): y = RN(a (x_a * 1 - x_b * (+0))) etc., exactly: an exact zero
//    keeps the IEEE sign; a rational a is applied exactly (a result can be a rounding midpoint).
//  - otherwise Ziv's loop from ziv_start_precision(m), doubling up to kMaxPrecision bits; past
//    that it throws std::runtime_error (no finite input should get there: the exact output is
//    then transcendental, never a rounding boundary).
PairOutput rotate_pair_mpfr(const ExactFrequencies& freqs, int pair, std::int64_t m, double xa,
                            double xb, Dtype dtype);

// Where Ziv's loop starts: 128 bits plus the bits of |m| (the angle m theta loses that many),
// rounded up to a multiple of 64 so that the frequency cache sees few distinct precisions.
mpfr_prec_t ziv_start_precision(std::int64_t m);

// The signs of cos(m theta_i) and sin(m theta_i) as +-1.0 (m theta_i != 0, so neither is 0).
struct TrigSigns {
  double c;
  double s;
};
TrigSigns trig_signs(const ExactFrequencies& freqs, int pair, std::int64_t m);

}  // namespace ropecheck::reference
