#include "reference/reference.hpp"

#include <fmt/format.h>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "reference/exact_frequencies.hpp"
#include "reference/fast_path.hpp"
#include "reference/mpfr_rotation.hpp"
#include "reference/rounding.hpp"

namespace ropecheck::reference {

struct Reference::State {
  State(const RopeConfig& config, std::int64_t seq_len)
      : freqs(config, seq_len), fast(build_fast_path(freqs)) {}

  ExactFrequencies freqs;
  FastPathData fast;
  mutable std::atomic<std::uint64_t> n_fast{0}, n_fallback{0}, n_special{0};
  mutable std::atomic<std::uint64_t> n_exact_fallback{0}, n_score_fast{0}, n_score_fallback{0};
};

namespace {

constexpr std::int64_t kMaxPosition = (std::int64_t{1} << 53) - 1;

void check_call(const RopeConfig& c, std::int64_t position, std::size_t x_size,
                std::size_t y_size) {
  const auto n = static_cast<std::size_t>(c.head_dim);
  if (x_size != n || y_size != n)
    throw std::invalid_argument(fmt::format(
        "reference: x and y must hold head_dim = {} values, got {} and {}", n, x_size, y_size));
  if (position > kMaxPosition || position < -kMaxPosition)
    throw std::out_of_range(fmt::format("reference: position {} is outside |m| < 2^53", position));
}

// Channels >= rotary_dim pass through, rounded to the output format.
void pass_through(const RopeConfig& c, std::span<const double> x, Dtype dtype,
                  std::span<double> y) {
  for (std::size_t j = static_cast<std::size_t>(c.rotary_dim); j < x.size(); ++j)
    y[j] = round_double(x[j], dtype);
}

// One pair's exact output from the MPFR ball at `prec` bits, split into two doubles each.
// The bound is 2^-100 a (|x_a| + |x_b|) (apply_exact's contract; see there for the precision).
ExactPair exact_pair_at(const ExactFrequencies& freqs, int pair, std::int64_t position, double xa,
                        double xb, mpfr_prec_t prec) {
  PairBall ball = pair_ball(freqs, pair, position, xa, xb, prec);
  double out[4];
  int n = 0;
  for (Mp* value : {&ball.ya, &ball.yb}) {
    out[n] = mpfr_get_d(raw(*value), MPFR_RNDN);
    mpfr_sub_d(raw(*value), raw(*value), out[n], MPFR_RNDN);
    out[n + 1] = mpfr_get_d(raw(*value), MPFR_RNDN);
    n += 2;
  }
  const double bound = std::ldexp(freqs.attention_double() * (std::fabs(xa) + std::fabs(xb)), -100) *
                       (1 + 0x1p-40);
  return {out[0], out[1], out[2], out[3], bound};
}

// Pair i of x rotated exactly at `position` and rounded to `dtype` by the MPFR path (Ziv's
// loop), stored into y's two channels of the pair.
void rotate_pair_by_mpfr(const ExactFrequencies& freqs, int i, std::int64_t position,
                         std::span<const double> x, Dtype dtype, std::span<double> y) {
  const RopeConfig& c = freqs.config();
  const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
  const auto ia = static_cast<std::size_t>(a), ib = static_cast<std::size_t>(b);
  const PairOutput out = rotate_pair_mpfr(freqs, i, position, x[ia], x[ib], dtype);
  y[ia] = out.a;
  y[ib] = out.b;
}

// sum += value * factor, with `term` as scratch (each step rounded to nearest at its
// precision); `value` may be `term` itself.
void add_product(Mp& sum, Mp& term, mpfr_srcptr value, double factor) {
  mpfr_mul_d(raw(term), value, factor, MPFR_RNDN);
  mpfr_add(raw(sum), raw(sum), raw(term), MPFR_RNDN);
}

}  // namespace

Reference::Reference(const RopeConfig& config, std::int64_t seq_len)
    : state_(std::make_unique<State>(config, seq_len)) {}
Reference::~Reference() = default;
Reference::Reference(Reference&&) noexcept = default;
Reference& Reference::operator=(Reference&&) noexcept = default;

void Reference::apply(std::int64_t position, std::span<const double> x, Dtype dtype,
                      std::span<double> y) const {
  const RopeConfig& c = state_->freqs.config();
  check_call(c, position, x.size(), y.size());
  const int pairs = state_->freqs.pairs();
  thread_local std::vector<PairStatus> status;
  status.resize(static_cast<std::size_t>(pairs));
  fast_apply(state_->fast, dtype, position, x.data(), y.data(), status.data());
  std::uint64_t fast = 0, fallback = 0, special = 0;
  for (int i = 0; i < pairs; ++i) {
    const PairStatus s = status[static_cast<std::size_t>(i)];
    if (s == PairStatus::certified) {
      ++fast;
      continue;
    }
    ++(s == PairStatus::special ? special : fallback);
    rotate_pair_by_mpfr(state_->freqs, i, position, x, dtype, y);
  }
  pass_through(c, x, dtype, y);
  state_->n_fast.fetch_add(fast, std::memory_order_relaxed);
  state_->n_fallback.fetch_add(fallback, std::memory_order_relaxed);
  state_->n_special.fetch_add(special, std::memory_order_relaxed);
}

void Reference::apply_mpfr(std::int64_t position, std::span<const double> x, Dtype dtype,
                           std::span<double> y) const {
  const RopeConfig& c = state_->freqs.config();
  check_call(c, position, x.size(), y.size());
  for (int i = 0; i < state_->freqs.pairs(); ++i)
    rotate_pair_by_mpfr(state_->freqs, i, position, x, dtype, y);
  pass_through(c, x, dtype, y);
}

void Reference::apply_exact(std::int64_t position, std::span<const double> x, std::span<double> hi,
                            std::span<double> lo) const {
  const RopeConfig& c = state_->freqs.config();
  check_call(c, position, x.size(), hi.size());
  check_call(c, position, x.size(), lo.size());
  // ziv_start_precision(m) + 64 bits: the ball's radius is below 2^-180 (|x_a| + |x_b|) a, and
  // splitting its midpoint into two doubles adds at most 2^-106 relative.
  const mpfr_prec_t prec = ziv_start_precision(position) + 64;
  for (int i = 0; i < state_->freqs.pairs(); ++i) {
    const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
    const auto ia = static_cast<std::size_t>(a), ib = static_cast<std::size_t>(b);
    if (!std::isfinite(x[ia]) || !std::isfinite(x[ib])) {
      rotate_pair_by_mpfr(state_->freqs, i, position, x, Dtype::f64, hi);
      lo[ia] = lo[ib] = 0.0;
      continue;
    }
    const ExactPair e = exact_pair_at(state_->freqs, i, position, x[ia], x[ib], prec);
    hi[ia] = e.a_hi;
    lo[ia] = e.a_lo;
    hi[ib] = e.b_hi;
    lo[ib] = e.b_lo;
  }
  for (std::size_t j = static_cast<std::size_t>(c.rotary_dim); j < x.size(); ++j) {
    hi[j] = x[j];
    lo[j] = 0.0;
  }
}

std::size_t Reference::apply_with_exact(std::int64_t position, std::span<const double> x,
                                        Dtype dtype, std::span<double> y, std::span<double> hi,
                                        std::span<double> lo, std::span<double> bound) const {
  const RopeConfig& c = state_->freqs.config();
  check_call(c, position, x.size(), y.size());
  check_call(c, position, hi.size(), lo.size());
  if (x.size() != hi.size() || bound.size() != static_cast<std::size_t>(state_->freqs.pairs()))
    throw std::invalid_argument("reference: hi needs head_dim values and bound one per pair");
  const int pairs = state_->freqs.pairs();
  thread_local std::vector<PairStatus> status;
  thread_local std::vector<std::uint8_t> ok;
  status.resize(static_cast<std::size_t>(pairs));
  ok.resize(static_cast<std::size_t>(pairs));
  // The kernel reads x and writes hi/lo: a copy keeps them apart if the caller aliased them.
  thread_local std::vector<double> xin;
  xin.assign(x.begin(), x.end());
  const ExactSink sink{hi.data(), lo.data(), bound.data(), ok.data()};
  fast_apply(state_->fast, dtype, position, xin.data(), y.data(), status.data(), FastVariant::best,
             &sink);
  std::uint64_t fast = 0, fallback = 0, special = 0, exact_fallback = 0;
  const mpfr_prec_t prec = ziv_start_precision(position) + 64;
  for (int i = 0; i < pairs; ++i) {
    const auto si = static_cast<std::size_t>(i);
    const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
    const auto ia = static_cast<std::size_t>(a), ib = static_cast<std::size_t>(b);
    const PairStatus s = status[si];
    if (s == PairStatus::certified) {
      ++fast;
    } else {
      ++(s == PairStatus::special ? special : fallback);
      const PairOutput out = rotate_pair_mpfr(state_->freqs, i, position, xin[ia], xin[ib], dtype);
      y[ia] = out.a;
      y[ib] = out.b;
    }
    if (ok[si]) continue;
    ++exact_fallback;
    if (!std::isfinite(xin[ia]) || !std::isfinite(xin[ib])) {
      const PairOutput out = rotate_pair_mpfr(state_->freqs, i, position, xin[ia], xin[ib], Dtype::f64);
      hi[ia] = out.a;
      hi[ib] = out.b;
      lo[ia] = lo[ib] = 0.0;
      bound[si] = 0.0;
      continue;
    }
    const ExactPair e = exact_pair_at(state_->freqs, i, position, xin[ia], xin[ib], prec);
    hi[ia] = e.a_hi;
    lo[ia] = e.a_lo;
    hi[ib] = e.b_hi;
    lo[ib] = e.b_lo;
    bound[si] = e.bound;
  }
  pass_through(c, xin, dtype, y);
  for (std::size_t j = static_cast<std::size_t>(c.rotary_dim); j < x.size(); ++j) {
    hi[j] = xin[j];
    lo[j] = 0.0;
  }
  state_->n_fast.fetch_add(fast, std::memory_order_relaxed);
  state_->n_fallback.fetch_add(fallback, std::memory_order_relaxed);
  state_->n_special.fetch_add(special, std::memory_order_relaxed);
  state_->n_exact_fallback.fetch_add(exact_fallback, std::memory_order_relaxed);
  return static_cast<std::size_t>(exact_fallback);
}

ExactPair Reference::exact_pair_mpfr(std::int64_t position, int pair, double xa, double xb) const {
  if (position > kMaxPosition || position < -kMaxPosition)
    throw std::out_of_range(fmt::format("reference: position {} is outside |m| < 2^53", position));
  if (pair < 0 || pair >= state_->freqs.pairs())
    throw std::out_of_range(fmt::format("reference: pair {} outside 0..{}", pair,
                                        state_->freqs.pairs() - 1));
  if (!std::isfinite(xa) || !std::isfinite(xb))
    throw std::invalid_argument("reference: exact_pair_mpfr needs finite inputs");
  return exact_pair_at(state_->freqs, pair, position, xa, xb,
                       ziv_start_precision(position) + 64);
}

int Reference::pairs() const {
  return state_->freqs.pairs();
}

bool Reference::exact_score_fast(std::span<const double> q, std::span<const double> k,
                                 std::int64_t m, std::int64_t n, double& out) const {
  const RopeConfig& c = state_->freqs.config();
  check_call(c, m, q.size(), k.size());
  check_call(c, n, q.size(), k.size());
  const std::int64_t delta = m - n;
  if (delta > kMaxPosition || delta < -kMaxPosition)
    throw std::out_of_range("reference: |m - n| must stay below 2^53");
  return fast_score(state_->fast, delta, q.data(), k.data(), c.head_dim, out);
}

double Reference::exact_score(std::span<const double> q, std::span<const double> k, std::int64_t m,
                              std::int64_t n) const {
  const RopeConfig& c = state_->freqs.config();
  check_call(c, m, q.size(), k.size());
  check_call(c, n, q.size(), k.size());
  const std::int64_t delta = m - n;
  if (delta > kMaxPosition || delta < -kMaxPosition)
    throw std::out_of_range("reference: |m - n| must stay below 2^53");
  double fast = 0;
  if (fast_score(state_->fast, delta, q.data(), k.data(), c.head_dim, fast)) {
    state_->n_score_fast.fetch_add(1, std::memory_order_relaxed);
    return fast;
  }
  state_->n_score_fallback.fetch_add(1, std::memory_order_relaxed);
  return exact_score_mpfr(q, k, m, n);
}

double Reference::exact_score_mpfr(std::span<const double> q, std::span<const double> k,
                                   std::int64_t m, std::int64_t n) const {
  const RopeConfig& c = state_->freqs.config();
  check_call(c, m, q.size(), k.size());
  check_call(c, n, q.size(), k.size());
  const std::int64_t delta = m - n;
  if (delta > kMaxPosition || delta < -kMaxPosition)
    throw std::out_of_range("reference: |m - n| must stay below 2^53");
  // <R_m q, R_n k> = a^2 sum_i [(q_a k_a + q_b k_b) cos(d theta_i) + (q_a k_b - q_b k_a)
  // sin(d theta_i)] + sum_{j >= rotary_dim} q_j k_j, d = m - n. Each pair's term at 256 bits
  // plus the bits of |d| has an error below 2^-200 |q_pair| |k_pair| (a ball); the sum of the
  // balls is rounded once.
  const mpfr_prec_t prec = ziv_start_precision(delta) + 128;
  Mp sum = make_mp(prec + 64), term = make_mp(prec + 64);
  mpfr_set_zero(raw(sum), 1);
  for (int i = 0; i < state_->freqs.pairs(); ++i) {
    const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
    const double qa = q[static_cast<std::size_t>(a)], qb = q[static_cast<std::size_t>(b)];
    const double ka = k[static_cast<std::size_t>(a)], kb = k[static_cast<std::size_t>(b)];
    // R_d q dotted with k: the rotated q's components are the pair ball of q at position d.
    PairBall ball = pair_ball(state_->freqs, i, delta, qa, qb, prec);
    add_product(sum, term, raw(ball.ya), ka);
    add_product(sum, term, raw(ball.yb), kb);
  }
  // R_d applies a once; the score has a^2: multiply the rotated sum by a once more.
  const auto& exact = state_->freqs.exact_attention();
  if (!(exact && exact->num == 1.0 && exact->den == 1))
    mpfr_mul(raw(sum), raw(sum), state_->freqs.at(prec)->attention.lo(), MPFR_RNDN);
  for (std::size_t j = static_cast<std::size_t>(c.rotary_dim); j < q.size(); ++j) {
    mpfr_set_d(raw(term), q[j], MPFR_RNDN);  // exact: q_j is a double
    add_product(sum, term, raw(term), k[j]);
  }
  return mpfr_get_d(raw(sum), MPFR_RNDN);
}

double Reference::attention_factor() const {
  return state_->freqs.attention_double();
}

double Reference::theta(int pair) const {
  if (pair < 0 || pair >= state_->freqs.pairs())
    throw std::out_of_range(
        fmt::format("reference: pair {} outside 0..{}", pair, state_->freqs.pairs() - 1));
  return state_->freqs.theta_double(pair);
}

const RopeConfig& Reference::config() const {
  return state_->freqs.config();
}
std::int64_t Reference::seq_len() const {
  return state_->freqs.seq_len();
}

ReferenceStats Reference::stats() const {
  return {state_->n_fast.load(std::memory_order_relaxed),
          state_->n_fallback.load(std::memory_order_relaxed),
          state_->n_special.load(std::memory_order_relaxed),
          state_->n_exact_fallback.load(std::memory_order_relaxed),
          state_->n_score_fast.load(std::memory_order_relaxed),
          state_->n_score_fallback.load(std::memory_order_relaxed)};
}

void Reference::reset_stats() const {
  state_->n_fast.store(0, std::memory_order_relaxed);
  state_->n_fallback.store(0, std::memory_order_relaxed);
  state_->n_special.store(0, std::memory_order_relaxed);
  state_->n_exact_fallback.store(0, std::memory_order_relaxed);
  state_->n_score_fast.store(0, std::memory_order_relaxed);
  state_->n_score_fallback.store(0, std::memory_order_relaxed);
}

bool Reference::fast_path_uses_fma() {
  return fast_path_has_fma();
}

}  // namespace ropecheck::reference
