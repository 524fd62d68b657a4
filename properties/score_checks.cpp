// Attention scores: relative-position invariance and RoFormer's long-term decay bound.
#include <fmt/format.h>
#include <cfloat>
#include <cmath>
#include <complex>

#include "properties/check_support.hpp"
#include "properties/checks.hpp"
#include "properties/error_model.hpp"
#include "properties/harness.hpp"

namespace ropecheck::properties {
namespace {

struct Rotated {
  std::vector<double> y, bound;
};

Rotated rotated(const Harness& h, std::int64_t m, const std::vector<double>& x) {
  return {h.rotate(m, x), h.bounds(m, x)};
}

// Bound on |<q_hat, k_hat> - <q, k>| from per-channel bounds (each |q_hat_j - q_j| <= Bq_j):
// sum Bq_j |k_hat_j| + (|q_hat_j| + Bq_j) Bk_j, plus the long double dot product's rounding.
long double score_error(const RopeConfig& c, const Rotated& q, const Rotated& k) {
  long double sum = 0, magnitude = 0;
  for (int j = 0; j < c.rotary_dim; ++j) {
    const long double qj = std::fabs(q.y[j]), kj = std::fabs(k.y[j]);
    sum += q.bound[j] * kj + (qj + q.bound[j]) * k.bound[j];
    magnitude += qj * kj;
  }
  return sum + 2 * c.rotary_dim * kULongDoubleL * magnitude;
}

// Scores are reported relative to |q| |k| so that they read the same at any input scale.
long double score_scale(const RopeConfig& c, const TestCase& t) {
  const long double s = rotary_norm(c, t.q) * rotary_norm(c, t.k);
  return s > 0 ? s : 1;
}

}  // namespace

CheckResult check_invariance_under_shift(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  const std::int64_t half = position_domain(s.bound_model()) / 2;
  const std::int64_t m = fold_position(c.m, half), n = fold_position(c.n, half);
  const std::int64_t t = fold_position(c.t, half);
  const auto q1 = rotated(h, m, c.q), k1 = rotated(h, n, c.k);
  const auto q2 = rotated(h, m + t, c.q), k2 = rotated(h, n + t, c.k);
  const long double s1 = rotary_dot(c.config, q1.y, k1.y), s2 = rotary_dot(c.config, q2.y, k2.y);
  const long double limit = score_error(c.config, q1, k1) + score_error(c.config, q2, k2);
  const long double scale = score_scale(c.config, c);
  CheckResult result;
  result.observe(static_cast<double>(std::fabs(s1 - s2) / scale),
                 static_cast<double>(limit / scale), m,
                 fmt::format("score(m={}, n={}) = {:a}, shifted by t={}: {:a}", m, n,
                             static_cast<double>(s1), t, static_cast<double>(s2)));
  if (std::isnan(static_cast<double>(s1 - s2)))
    result.observe(HUGE_VAL, 0, m, "a score is NaN for finite inputs");
  return result;
}

CheckResult check_invariance_exact(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  const std::int64_t half = position_domain(s.bound_model()) / 2;
  const std::int64_t m = fold_position(c.m, half), n = fold_position(c.n, half);
  const auto q1 = rotated(h, m, c.q), k1 = rotated(h, n, c.k);
  const long double got = rotary_dot(c.config, q1.y, k1.y);
  // g(q, k, m - n) from the reference, correctly rounded to double (within u64 |g|).
  const long double exact = h.exact_score(c.q, c.k, m, n);
  const long double limit = score_error(c.config, q1, k1) + kU64 * std::fabs(exact);
  const long double scale = score_scale(c.config, c);
  CheckResult result;
  result.observe(static_cast<double>(std::fabs(got - exact) / scale),
                 static_cast<double>(limit / scale), m,
                 fmt::format("score(m={}, n={}) = {:a}, exact g(q, k, {}) = {:a}", m, n,
                             static_cast<double>(got), m - n, static_cast<double>(exact)));
  if (std::isnan(static_cast<double>(got))) result.observe(HUGE_VAL, 0, m, "score is NaN");
  return result;
}

CheckResult check_decay_bound(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  const std::int64_t half = position_domain(s.bound_model()) / 2;
  const std::int64_t m = fold_position(c.m, half), n = fold_position(c.n, half);
  const RopeConfig& cfg = c.config;
  const int pairs = cfg.pairs();
  // h_i = (q_a + j q_b) conj(k_a + j k_b): the exact score is a^2 Re sum_i h_i e^{j r theta_i}.
  std::vector<std::complex<long double>> hv(static_cast<std::size_t>(pairs) + 1, 0.0L);
  for (int i = 0; i < pairs; ++i) {
    const auto [a, b] = pair_channels(cfg.layout, cfg.rotary_dim, i);
    hv[i] = std::complex<long double>(c.q[a], c.q[b]) *
            std::conj(std::complex<long double>(c.k[a], c.k[b]));
  }
  // Abel summation (RoFormer Eq. 36-37): |sum h_i e^{j r theta_i}| <= max_i |h_{i+1} - h_i|
  // * sum_{i=1..d/2} |S_i| with S_i = sum_{k<i} e^{j r theta_k} and h_{d/2} = 0.
  const long double r = static_cast<long double>(m - n);
  long double max_step = 0, sum_s = 0, s_slack = 0, angle_slack = 0;
  std::complex<long double> partial = 0;
  for (int i = 0; i < pairs; ++i) {
    max_step = std::max(max_step, std::abs(hv[i + 1] - hv[i]));
    const long double theta = h.theta(i);
    partial += std::polar(1.0L, r * theta);
    // theta is the double nearest the exact one: each term's angle is off by |r| theta u64.
    angle_slack += std::fabs(r) * theta * kU64 + 4 * kULongDoubleL;
    sum_s += std::abs(partial);
    s_slack += angle_slack;
  }
  const double a = h.attention();
  const long double decay = static_cast<long double>(a) * a * max_step * (sum_s + s_slack);
  const auto q1 = rotated(h, m, c.q), k1 = rotated(h, n, c.k);
  const long double got = rotary_dot(cfg, q1.y, k1.y);
  const long double limit = decay + score_error(cfg, q1, k1);
  const long double scale = score_scale(cfg, c);
  CheckResult result;
  result.observe(static_cast<double>(std::fabs(got) / scale), static_cast<double>(limit / scale), m,
                 fmt::format("|score(m={}, n={})| = {:a}, decay bound {:a}", m, n,
                             static_cast<double>(std::fabs(got)), static_cast<double>(decay)));
  return result;
}

}  // namespace ropecheck::properties
