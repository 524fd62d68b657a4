#include "reference/tests/hard_inputs.hpp"

#include <cmath>
#include <limits>

#include "reference/mpfr_rotation.hpp"
#include "reference/rounding.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference::testing {
namespace {

constexpr std::int64_t kLimit = (std::int64_t{1} << 53) - 1;

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

// |v| log-uniform in [2^lo, 2^hi], random sign, as a double (not rounded to any format).
double raw_value(std::mt19937_64& rng, int lo, int hi) {
  const double v = std::exp2(uniform(rng, lo, hi));
  return rng() % 2 ? v : -v;
}

// (x_a, x_b) such that y_a = a (x_a cos - x_b sin) lies within ~2^-100 relative of a midpoint
// between two neighbours of `dtype` (x_a = M / (a cos), x_b cancels the remaining error).
std::pair<double, double> near_midpoint(std::mt19937_64& rng, const ExactFrequencies& freqs,
                                        int pair, std::int64_t m, Dtype dtype) {
  const PairBall unit = pair_ball(freqs, pair, m, 1.0, 0.0, 300);  // (a cos, a sin)
  const FormatParams f = format_params(dtype);
  // Often a power of two: just below one the quantum halves, a case of its own in the
  // rounding test.
  double v = random_value(rng, dtype, -4, 4);
  if (rng() % 3 == 0) v = std::copysign(std::ldexp(1.0, std::ilogb(v)), v);
  if (v == 0.0 || mpfr_zero_p(raw(unit.ya)) || mpfr_zero_p(raw(unit.yb))) return {v, 0.0};
  // The midpoint between v and its neighbour above or below (in magnitude).
  const int e = std::ilogb(v);
  const bool below = rng() % 2 == 0;
  const bool power_of_two = std::fabs(v) == std::ldexp(1.0, e);
  const double half_step = std::ldexp(1.0, e - f.p - (below && power_of_two ? 1 : 0));
  Mp mid = make_mp(400), t = make_mp(400);
  mpfr_set_d(raw(mid), v, MPFR_RNDN);
  const double step = std::copysign(half_step, v);  // away from zero
  mpfr_add_d(raw(mid), raw(mid), below ? -step : step, MPFR_RNDN);
  mpfr_div(raw(t), raw(mid), raw(unit.ya), MPFR_RNDN);
  const double xa = mpfr_get_d(raw(t), MPFR_RNDN);
  mpfr_mul_d(raw(t), raw(unit.ya), xa, MPFR_RNDN);
  mpfr_sub(raw(t), raw(t), raw(mid), MPFR_RNDN);
  mpfr_div(raw(t), raw(t), raw(unit.yb), MPFR_RNDN);
  return {xa, mpfr_get_d(raw(t), MPFR_RNDN)};
}

}  // namespace

std::vector<std::int64_t> quarter_turn_positions(const ExactFrequencies& freqs, int pair) {
  std::vector<std::int64_t> out;
  if (freqs.theta_is_zero(pair)) return out;
  const auto set = freqs.at(512);
  Mp x = make_mp(512), a = make_mp(512);
  mpfr_const_pi(raw(x), MPFR_RNDN);
  mpfr_div_2ui(raw(x), raw(x), 1, MPFR_RNDN);
  mpfr_div(raw(x), raw(x), set->theta[static_cast<std::size_t>(pair)].lo(), MPFR_RNDN);
  // Convergent numerators h_n = a_n h_{n-1} + h_{n-2} (512 bits keep ~20 terms exact).
  std::int64_t h_prev = 1, h = 0;
  for (int n = 0; n < 60; ++n) {
    mpfr_floor(raw(a), raw(x));
    if (mpfr_cmp_d(raw(a), 0x1p60) > 0) break;
    const std::int64_t an = mpfr_get_sj(raw(a), MPFR_RNDN);
    if (h > 0 && an > (kLimit - h_prev) / h) break;  // the next numerator would pass 2^53
    const std::int64_t next = an * h + h_prev;
    h_prev = h;
    h = next;
    if (h > 0) out.push_back(h);
    mpfr_sub(raw(x), raw(x), raw(a), MPFR_RNDN);
    if (mpfr_zero_p(raw(x))) break;
    mpfr_ui_div(raw(x), 1, raw(x), MPFR_RNDN);
  }
  return out;
}

std::int64_t hard_position(std::mt19937_64& rng, const ExactFrequencies& freqs) {
  static const std::int64_t fixed[] = {0,
                                       1,
                                       -1,
                                       2,
                                       (1 << 24) - 1,
                                       1 << 24,
                                       (1 << 24) + 1,
                                       -((1 << 24) + 1),
                                       (std::int64_t{1} << 31) - 1,
                                       -((std::int64_t{1} << 31) - 1),
                                       std::int64_t{1} << 31,
                                       (std::int64_t{1} << 52) + 1,
                                       kLimit,
                                       -kLimit,
                                       kLimit - 1,
                                       kLimit - 12345};
  switch (rng() % 4) {
    case 0:
      return fixed[rng() % std::size(fixed)];
    case 1: {
      const auto q = quarter_turn_positions(
          freqs, static_cast<int>(rng() % static_cast<unsigned>(freqs.pairs())));
      if (q.empty()) return 3;
      const std::int64_t m = q[rng() % q.size()];
      return rng() % 2 ? m : -m;
    }
    default: {
      auto m = static_cast<std::int64_t>(std::exp2(uniform(rng, 0, rng() % 2 ? 31 : 53)));
      if (m > kLimit) m = kLimit;
      return rng() % 2 ? m : -m;
    }
  }
}

std::vector<double> hard_head(std::mt19937_64& rng, const ExactFrequencies& freqs,
                              std::int64_t position, Dtype dtype) {
  const RopeConfig& c = freqs.config();
  const FormatParams f = format_params(dtype);
  std::vector<double> x(static_cast<std::size_t>(c.head_dim));
  const unsigned kind = rng() % 8;
  for (double& v : x) {
    switch (kind) {
      case 0:
      case 1:  // typical activations, exact in dtype
        v = random_value(rng, dtype, -8, 8);
        break;
      case 2:  // doubles that are not values of dtype
        v = raw_value(rng, -8, 8);
        break;
      case 3:  // dtype's subnormal range and just above
        v = random_value(rng, dtype, f.qmin, f.emin + 3);
        break;
      case 4:  // near dtype's overflow (outputs can overflow)
        v = random_value(rng, dtype, f.emax - 4, f.emax + 1);
        break;
      case 5:  // the whole double range, any format
        v = raw_value(rng, -1074, 1023);
        break;
      case 6:  // mixed scales inside a pair
        v = rng() % 2 ? random_value(rng, dtype, -2, 2) : random_value(rng, dtype, -60, 60);
        break;
      default:  // a few zeros, signed zeros and non-finite values among ordinary ones
        switch (rng() % 10) {
          case 0:
            v = 0.0;
            break;
          case 1:
            v = -0.0;
            break;
          case 2:
            v = std::numeric_limits<double>::infinity();
            break;
          case 3:
            v = -std::numeric_limits<double>::infinity();
            break;
          case 4:
            v = std::numeric_limits<double>::quiet_NaN();
            break;
          default:
            v = random_value(rng, dtype, -4, 4);
        }
    }
  }
  // Near-midpoint outputs for some pairs.
  if (rng() % 3 == 0)
    for (int i = 0; i < freqs.pairs(); ++i) {
      if (rng() % 2 || freqs.theta_is_zero(i) || position == 0) continue;
      const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
      const auto [xa, xb] = near_midpoint(rng, freqs, i, position, dtype);
      x[static_cast<std::size_t>(a)] = xa;
      x[static_cast<std::size_t>(b)] = xb;
    }
  return x;
}

}  // namespace ropecheck::reference::testing
