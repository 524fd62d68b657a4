#include "reference/mpfr_rotation.hpp"

#include <fmt/format.h>
#include <bit>
#include <cmath>
#include <stdexcept>

#include "reference/rounding.hpp"

namespace ropecheck::reference {
namespace {

// Precision of error bounds (always rounded up; 64 bits keep them tight enough).
constexpr mpfr_prec_t kErrBits = 64;

Mp err_zero() {
  Mp e = make_mp(kErrBits);
  mpfr_set_zero(raw(e), 1);
  return e;
}

// err += 2^(EXP(v) - p): one ulp of v at precision p, twice the error of rounding v to nearest.
void add_ulp(Mp& err, mpfr_srcptr v, mpfr_prec_t p) {
  if (mpfr_zero_p(v)) return;
  Mp t = make_mp(kErrBits);
  mpfr_set_ui_2exp(raw(t), 1, mpfr_get_exp(v) - p, MPFR_RNDU);
  mpfr_add(raw(err), raw(err), raw(t), MPFR_RNDU);
}

Mp from_double(double v) {
  Mp x = make_mp(53);
  mpfr_set_d(raw(x), v, MPFR_RNDN);
  return x;
}

// cos and sin of phi = m theta_i with one error bound for both.
struct TrigBall {
  Mp c, s, err;
};

TrigBall trig_ball(const ExactFrequencies& freqs, int pair, std::int64_t m, mpfr_prec_t prec) {
  const auto set = freqs.at(prec);
  const Interval& theta = set->theta[static_cast<std::size_t>(pair)];
  // phi = m * theta_lo is exact: theta_lo has set->prec bits and |m| < 2^53.
  Mp phi = make_mp(set->prec + 64);
  mpfr_mul_si(raw(phi), theta.lo(), static_cast<long>(m), MPFR_RNDN);
  TrigBall out{make_mp(prec), make_mp(prec), width(theta, kErrBits)};
  // |phi - m theta| <= |m| width(theta), and cos, sin are 1-Lipschitz.
  mpfr_mul_ui(raw(out.err), raw(out.err), static_cast<unsigned long>(m < 0 ? -m : m), MPFR_RNDU);
  // mpfr_sin_cos rounds both correctly (exact argument reduction, MPFR's algorithms.pdf §4):
  // the error is at most half an ulp of a number <= 1, i.e. <= 2^-prec.
  mpfr_sin_cos(raw(out.s), raw(out.c), raw(phi), MPFR_RNDN);
  Mp half = make_mp(kErrBits);
  mpfr_set_ui_2exp(raw(half), 1, -prec, MPFR_RNDU);
  mpfr_add(raw(out.err), raw(out.err), raw(half), MPFR_RNDU);
  return out;
}

// Applies the attention factor to a ball (y, r) in place: y <- a y, r <- bound for |a Y - y|.
void apply_attention(const ExactFrequencies& freqs, mpfr_prec_t prec, Mp& y, Mp& r) {
  const auto& exact = freqs.exact_attention();
  if (exact && exact->num == 1.0 && exact->den == 1) return;
  Mp out = make_mp(prec);
  Mp out_err = make_mp(kErrBits);
  if (exact) {
    Mp scaled = make_mp(prec + 64);
    mpfr_mul_d(raw(scaled), raw(y), exact->num, MPFR_RNDN);  // exact
    mpfr_div_ui(raw(out), raw(scaled), exact->den, MPFR_RNDN);
    mpfr_mul_d(raw(out_err), raw(r), exact->num, MPFR_RNDU);
    mpfr_div_ui(raw(out_err), raw(out_err), exact->den, MPFR_RNDU);
  } else {
    // |a Y - a_lo y| <= a_lo |Y - y| + (a - a_lo) (|y| + |Y - y|), with a in [a_lo, a_hi].
    const Interval& a = freqs.at(prec)->attention;
    mpfr_mul(raw(out), raw(y), a.lo(), MPFR_RNDN);
    mpfr_mul(raw(out_err), raw(r), a.lo(), MPFR_RNDU);
    Mp t = make_mp(kErrBits);
    mpfr_abs(raw(t), raw(y), MPFR_RNDU);
    mpfr_add(raw(t), raw(t), raw(r), MPFR_RNDU);
    Mp w = width(a, kErrBits);
    mpfr_mul(raw(t), raw(t), raw(w), MPFR_RNDU);
    mpfr_add(raw(out_err), raw(out_err), raw(t), MPFR_RNDU);
  }
  add_ulp(out_err, raw(out), prec);
  y = std::move(out);
  r = std::move(out_err);
}

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// RN_F of the real inside [y - r, y + r] when every point of it rounds alike and its sign is
// certain (an exact zero never reaches here, see rotate_pair_mpfr).
std::optional<double> round_ball(const Mp& y, const Mp& r, mpfr_prec_t prec, Dtype dtype) {
  Mp lo = make_mp(prec), hi = make_mp(prec);
  mpfr_sub(raw(lo), raw(y), raw(r), MPFR_RNDD);
  mpfr_add(raw(hi), raw(y), raw(r), MPFR_RNDU);
  if (!(mpfr_sgn(raw(lo)) > 0 || mpfr_sgn(raw(hi)) < 0)) return std::nullopt;
  const double a = round_mpfr(raw(lo), dtype), b = round_mpfr(raw(hi), dtype);
  if (!same_bits(a, b)) return std::nullopt;
  return a;
}

// RN_F(a w) for a double w != 0 (the phi = 0 case), exactly.
double scale_exact(const ExactFrequencies& freqs, double w, Dtype dtype) {
  if (w == 0.0) return w;  // a > 0 keeps the IEEE sign of the zero
  const auto& exact = freqs.exact_attention();
  if (exact) {
    if (exact->num == 1.0 && exact->den == 1) return round_double(w, dtype);
    Mp v = make_mp(128);
    mpfr_mul_d(raw(v), raw(from_double(w)), exact->num, MPFR_RNDN);  // exact: 53 x 53 bits
    if (exact->den == 1) return round_mpfr(raw(v), dtype);
    for (mpfr_prec_t p = 128; p <= kMaxPrecision; p *= 2) {
      Mp q = make_mp(p);
      if (mpfr_div_ui(raw(q), raw(v), exact->den, MPFR_RNDN) == 0) return round_mpfr(raw(q), dtype);
      // Inexact: the quotient is not dyadic, hence never a rounding boundary; Ziv converges.
      Mp r = err_zero();
      add_ulp(r, raw(q), p);
      if (auto y = round_ball(q, r, p, dtype)) return *y;
    }
  } else {
    // a transcendental: a w is never a rounding boundary.
    for (mpfr_prec_t p = 128; p <= kMaxPrecision; p *= 2) {
      Mp y = make_mp(p), r = err_zero();
      mpfr_set_d(raw(y), w, MPFR_RNDN);
      apply_attention(freqs, p, y, r);
      if (auto out = round_ball(y, r, p, dtype)) return *out;
    }
  }
  throw std::runtime_error("reference: a * x at position 0 could not be rounded within the cap");
}

}  // namespace

mpfr_prec_t ziv_start_precision(std::int64_t m) {
  const auto bits =
      static_cast<mpfr_prec_t>(std::bit_width(static_cast<std::uint64_t>(m < 0 ? -m : m)));
  return (128 + bits + 63) / 64 * 64;
}

PairBall pair_ball(const ExactFrequencies& freqs, int pair, std::int64_t m, double xa, double xb,
                   mpfr_prec_t prec) {
  TrigBall t = trig_ball(freqs, pair, m, prec);
  const Mp mxa = from_double(xa), mxb = from_double(xb);
  PairBall out{make_mp(prec), make_mp(prec), make_mp(kErrBits), make_mp(kErrBits)};
  mpfr_fmms(raw(out.ya), raw(mxa), raw(t.c), raw(mxb), raw(t.s), MPFR_RNDN);  // xa c - xb s
  mpfr_fmma(raw(out.yb), raw(mxa), raw(t.s), raw(mxb), raw(t.c), MPFR_RNDN);  // xa s + xb c
  // |x_a c - x_b s - (x_a cos - x_b sin)| <= (|x_a| + |x_b|) err(c, s), plus the final rounding.
  mpfr_set_d(raw(out.ra), std::fabs(xa), MPFR_RNDU);
  mpfr_add_d(raw(out.ra), raw(out.ra), std::fabs(xb), MPFR_RNDU);
  mpfr_mul(raw(out.ra), raw(out.ra), raw(t.err), MPFR_RNDU);
  mpfr_set(raw(out.rb), raw(out.ra), MPFR_RNDU);
  add_ulp(out.ra, raw(out.ya), prec);
  add_ulp(out.rb, raw(out.yb), prec);
  apply_attention(freqs, prec, out.ya, out.ra);
  apply_attention(freqs, prec, out.yb, out.rb);
  return out;
}

std::optional<PairOutput> rotate_pair_at(const ExactFrequencies& freqs, int pair, std::int64_t m,
                                         double xa, double xb, Dtype dtype, mpfr_prec_t prec) {
  const PairBall ball = pair_ball(freqs, pair, m, xa, xb, prec);
  const auto ya = round_ball(ball.ya, ball.ra, prec, dtype);
  if (!ya) return std::nullopt;
  const auto yb = round_ball(ball.yb, ball.rb, prec, dtype);
  if (!yb) return std::nullopt;
  return PairOutput{*ya, *yb};
}

TrigSigns trig_signs(const ExactFrequencies& freqs, int pair, std::int64_t m) {
  for (mpfr_prec_t p = ziv_start_precision(m); p <= kMaxPrecision; p *= 2) {
    const TrigBall t = trig_ball(freqs, pair, m, p);
    Mp ac = make_mp(p), as = make_mp(p);
    mpfr_abs(raw(ac), raw(t.c), MPFR_RNDN);
    mpfr_abs(raw(as), raw(t.s), MPFR_RNDN);
    if (mpfr_greater_p(raw(ac), raw(t.err)) && mpfr_greater_p(raw(as), raw(t.err)))
      return {mpfr_sgn(raw(t.c)) > 0 ? 1.0 : -1.0, mpfr_sgn(raw(t.s)) > 0 ? 1.0 : -1.0};
  }
  throw std::runtime_error("reference: the sign of cos/sin could not be decided within the cap");
}

PairOutput rotate_pair_mpfr(const ExactFrequencies& freqs, int pair, std::int64_t m, double xa,
                            double xb, Dtype dtype) {
  if (std::isnan(xa) || std::isnan(xb)) return {canonical_nan(), canonical_nan()};
  const bool phi_zero = m == 0 || freqs.theta_is_zero(pair);
  if (std::isinf(xa) || std::isinf(xb) || (xa == 0.0 && xb == 0.0)) {
    const TrigSigns t = phi_zero ? TrigSigns{1.0, 0.0} : trig_signs(freqs, pair, m);
    return {round_double(xa * t.c - xb * t.s, dtype), round_double(xa * t.s + xb * t.c, dtype)};
  }
  if (phi_zero)
    return {scale_exact(freqs, xa * 1.0 - xb * 0.0, dtype),
            scale_exact(freqs, xa * 0.0 + xb * 1.0, dtype)};
  for (mpfr_prec_t p = ziv_start_precision(m); p <= kMaxPrecision; p *= 2)
    if (auto out = rotate_pair_at(freqs, pair, m, xa, xb, dtype, p)) return *out;
  throw std::runtime_error(fmt::format(
      "reference: pair {} at position {} with x = ({:a}, {:a}) was not decided at {} bits; "
      "please report this input",
      pair, m, xa, xb, kMaxPrecision));
}

}  // namespace ropecheck::reference
