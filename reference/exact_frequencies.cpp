#include "reference/exact_frequencies.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "reference/recently_used.hpp"

namespace ropecheck::reference {
namespace {

using boost::multiprecision::cpp_int;

Interval point(double v, mpfr_prec_t p) {
  return Interval::point(v, p);
}
Interval integer(std::int64_t v, mpfr_prec_t p) {
  return Interval::integer(v, p);
}
Interval ratio(std::int64_t num, std::int64_t den, mpfr_prec_t p) {
  return integer(num, p) / integer(den, p);
}

// base^(-2i/d) = exp(-(2i/d) ln base), given ln base. Exactly 1 at i = 0.
Interval inverse_power(const Interval& ln_base, int i, int d) {
  const mpfr_prec_t p = ln_base.prec();
  if (i == 0) return point(1.0, p);
  return exp(ln_base * ratio(-2 * static_cast<std::int64_t>(i), d, p));
}

// YaRN's correction dimension d ln(L0 / (2 pi r)) / (2 ln b) (Peng et al. 2023, Eq. 13):
// the pair index whose wavelength fits r times into the pretraining context L0.
Interval yarn_correction_dim(double rotations, int d, const Interval& ln_base, std::int64_t l0) {
  const mpfr_prec_t p = ln_base.prec();
  const Interval two_pi_r = integer(2, p) * pi_interval(p) * point(rotations, p);
  return integer(d, p) * log(integer(l0, p) / two_pi_r) / (integer(2, p) * ln_base);
}

// YaRN's temperature g(s, m) = 0.1 m ln s + 1 for s > 1, else 1 (0.1 is the real 1/10).
Interval yarn_mscale(double s, double m, mpfr_prec_t p) {
  if (s <= 1.0) return point(1.0, p);
  return point(1.0, p) + ratio(1, 10, p) * point(m, p) * log(point(s, p));
}

std::vector<Interval> yarn_frequencies(const RopeConfig& c, const Interval& ln_base) {
  const RopeScaling& s = c.scaling;
  const mpfr_prec_t p = ln_base.prec();
  const int d = c.rotary_dim;
  const std::int64_t l0 = c.original_context();
  const Interval corr_fast = yarn_correction_dim(s.beta_fast, d, ln_base, l0);
  const Interval corr_slow = yarn_correction_dim(s.beta_slow, d, ln_base, l0);
  Interval low = s.truncate ? floor_exact(corr_fast) : corr_fast;
  Interval high = s.truncate ? ceil_exact(corr_slow) : corr_slow;
  low = max_with(low, 0.0);
  high = min_with(high, static_cast<double>(d - 1));
  // HF's guard `if low == high: high += 0.001` against a zero-width ramp. With truncation both
  // ends are exact integers. Without, they are transcendental (ln of a multiple of 1/pi), so
  // they are equal only when beta_fast == beta_slow and neither end was clamped (0 < c < d-1).
  bool equal;
  if (s.truncate) {
    equal = mpfr_equal_p(low.lo(), high.lo()) != 0;
  } else {
    equal = s.beta_fast == s.beta_slow && certainly_less(integer(0, p), corr_fast) &&
            certainly_less(corr_fast, integer(d - 1, p));
  }
  // 0.001 is HF's Python float: the double nearest 1/1000, added exactly.
  if (equal) high = high + point(0.001, p);
  const Interval span = high - low;
  const Interval one = point(1.0, p);
  const Interval keep = one - one / point(s.factor, p);  // 1 - 1/s
  std::vector<Interval> theta;
  for (int i = 0; i < d / 2; ++i) {
    // ramp_i/s + (1 - ramp_i) written as 1 - ramp_i (1 - 1/s): one occurrence of ramp_i keeps
    // the enclosure tight (the dependency problem of interval arithmetic).
    const Interval ramp = clamp01((integer(i, p) - low) / span);
    theta.push_back(inverse_power(ln_base, i, d) * (one - ramp * keep));
  }
  return theta;
}

std::vector<Interval> llama3_frequencies(const RopeConfig& c, const Interval& ln_base) {
  const RopeScaling& s = c.scaling;
  const mpfr_prec_t p = ln_base.prec();
  const Interval one = point(1.0, p);
  const Interval inv_s = one / point(s.factor, p);
  const Interval l0_over_2pi = integer(c.original_context(), p) / (integer(2, p) * pi_interval(p));
  const Interval lff = point(s.low_freq_factor, p);
  const Interval band = point(s.high_freq_factor, p) - lff;
  std::vector<Interval> theta;
  for (int i = 0; i < c.rotary_dim / 2; ++i) {
    const Interval theta0 = inverse_power(ln_base, i, c.rotary_dim);
    // With wavelen = 2 pi / theta0 and sm = (L0/wavelen - lff) / (hff - lff), the three bands of
    // Llama 3.1's apply_scaling are exactly theta0 ((1 - sm')/s + sm') with sm' = clamp(sm, 0, 1):
    // wavelen > L0/lff <=> sm < 0 (theta0/s), wavelen < L0/hff <=> sm > 1 (theta0), and the
    // medium band (bounds inclusive) is the blend itself. The map is continuous, so no band
    // decision has to be made on an uncertain value.
    // With low_freq_factor == high_freq_factor (Llama 4 Scout) the medium band is empty: the
    // pair is kept when L0/wavelen > lff and divided by s when it is below (equality, where
    // Hugging Face computes 0/0, is decided at higher precision or never reached).
    const Interval smooth = s.high_freq_factor == s.low_freq_factor
                                ? (certainly_less(lff, l0_over_2pi * theta0) ? one : point(0.0, p))
                                : clamp01((l0_over_2pi * theta0 - lff) / band);
    theta.push_back(theta0 * (inv_s + smooth * (one - inv_s)));
  }
  return theta;
}

// LongRoPE's scale S: rope_scaling.factor when given, else max_position_embeddings / L0.
struct Scale {
  double factor = 1.0;            // when given
  std::int64_t num = 1, den = 1;  // when derived
  bool given = true;
};

Scale longrope_scale(const RopeConfig& c) {
  if (c.scaling.factor_given) return {c.scaling.factor, 1, 1, true};
  if (!c.max_position_embeddings) return {1.0, 1, 1, true};
  const std::int64_t num = *c.max_position_embeddings, den = c.original_context();
  const std::int64_t g = std::gcd(num, den);
  return {1.0, num / g, den / g, false};
}

bool scale_above_one(const Scale& s) {
  return s.given ? s.factor > 1.0 : s.num > s.den;
}

Interval scale_interval(const Scale& s, mpfr_prec_t p) {
  return s.given ? point(s.factor, p) : ratio(s.num, s.den, p);
}

// log_b(a) as a fraction u/v (a^v == b^u) when it is rational, for integers a, b >= 2. If
// a^v == b^u with u > v, every prime's exponent in a is at least its exponent in b, so b | a and
// log_b(a) = 1 + log_b(a/b): a Euclid-like descent that ends at a == b or at a non-divisor.
std::optional<std::pair<cpp_int, cpp_int>> log_ratio(const cpp_int& a, const cpp_int& b) {
  if (a == b) return std::pair<cpp_int, cpp_int>{1, 1};
  if (a < b) {
    auto r = log_ratio(b, a);
    if (!r) return std::nullopt;
    return std::pair<cpp_int, cpp_int>{r->second, r->first};
  }
  if (a % b != 0) return std::nullopt;
  auto r = log_ratio(a / b, b);
  if (!r) return std::nullopt;
  return std::pair<cpp_int, cpp_int>{r->first + r->second, r->second};
}

// sqrt(1 + ln S / ln L0) when it is rational: S must then be an integer ((N/D)^v = L0^u forces
// D = 1), ln S / ln L0 = u/v, and (u+v)/v (in lowest terms) must be a ratio of squares.
std::optional<ExactRational> rational_longrope_attention(const Scale& s, std::int64_t l0) {
  cpp_int big_s;
  if (s.given) {
    if (std::floor(s.factor) != s.factor) return std::nullopt;
    int exponent;
    const double mantissa = std::frexp(s.factor, &exponent);
    big_s = cpp_int(static_cast<std::int64_t>(std::ldexp(mantissa, 53)));
    if (exponent >= 53)
      big_s <<= (exponent - 53);
    else
      big_s >>= (53 - exponent);  // exact: the factor is an integer
  } else {
    if (s.den != 1) return std::nullopt;
    big_s = s.num;
  }
  const auto r = log_ratio(big_s, cpp_int(l0));
  if (!r) return std::nullopt;
  const cpp_int n = r->first + r->second, d = r->second;  // coprime since u, v are
  const cpp_int root_n = boost::multiprecision::sqrt(n), root_d = boost::multiprecision::sqrt(d);
  if (root_n * root_n != n || root_d * root_d != d) return std::nullopt;
  if (root_n > (cpp_int(1) << 53) || root_d > cpp_int(std::numeric_limits<std::uint64_t>::max()))
    return std::nullopt;
  return ExactRational{static_cast<double>(root_n), static_cast<std::uint64_t>(root_d)};
}

std::optional<ExactRational> find_exact_attention(const RopeConfig& c) {
  const RopeScaling& s = c.scaling;
  switch (s.type) {
    case RopeType::yarn:
      if (s.attention_factor) return ExactRational{*s.attention_factor, 1};
      if (s.factor <= 1.0) return ExactRational{};
      // DeepSeek's ratio g(s, mscale) / g(s, mscale_all_dim) is 1 when the two agree, and
      // otherwise irrational (it would force ln s to be rational); g(s, 1) with s > 1 is too.
      if (s.mscale && s.mscale_all_dim && *s.mscale != 0 && *s.mscale_all_dim != 0 &&
          *s.mscale == *s.mscale_all_dim)
        return ExactRational{};
      return std::nullopt;
    case RopeType::longrope: {
      if (s.attention_factor) return ExactRational{*s.attention_factor, 1};
      const Scale scale = longrope_scale(c);
      if (!scale_above_one(scale)) return ExactRational{};
      return rational_longrope_attention(scale, c.original_context());
    }
    default:
      return ExactRational{};
  }
}

Interval attention_interval(const RopeConfig& c, const std::optional<ExactRational>& exact,
                            mpfr_prec_t p) {
  if (exact) {
    if (exact->den == 1) return point(exact->num, p);
    Interval den(p);
    mpfr_set_uj(den.lo(), exact->den, MPFR_RNDD);
    mpfr_set_uj(den.hi(), exact->den, MPFR_RNDU);
    return point(exact->num, p) / den;
  }
  const RopeScaling& s = c.scaling;
  if (s.type == RopeType::yarn) {
    if (s.mscale && s.mscale_all_dim && *s.mscale != 0 && *s.mscale_all_dim != 0)
      return yarn_mscale(s.factor, *s.mscale, p) / yarn_mscale(s.factor, *s.mscale_all_dim, p);
    return yarn_mscale(s.factor, 1.0, p);
  }
  // LongRoPE (Phi-3): sqrt(1 + ln S / ln L0).
  const Interval one = point(1.0, p);
  return sqrt(one +
              log(scale_interval(longrope_scale(c), p)) / log(integer(c.original_context(), p)));
}

// p-RoPE's rotated pair count floor(p * D / 2), computed exactly (p is a double, D an int).
int proportional_rotated_pairs_exact(const RopeConfig& c) {
  const Interval k =
      floor_exact(Interval::point(c.scaling.rotated_fraction, 128) * ratio(c.head_dim, 2, 128));
  return static_cast<int>(std::min<long>(mpfr_get_si(k.lo(), MPFR_RNDN), c.rotary_dim / 2));
}

mpfr_prec_t round_up_64(mpfr_prec_t p) {
  return std::max<mpfr_prec_t>(64, (p + 63) / 64 * 64);
}

}  // namespace

// The part of the sequence length the frequencies depend on (compute() below): dynamic NTK's
// L = max(seq_len, Lm) and LongRoPE's choice of factors (seq_len > L0); the other variants
// ignore it.
std::int64_t ExactFrequencies::length_key(const RopeConfig& c, std::int64_t seq_len) {
  switch (c.scaling.type) {
    case RopeType::dynamic:
      return std::max(seq_len, *c.max_position_embeddings);
    case RopeType::longrope:
      return seq_len > c.original_context() ? 1 : 0;
    default:
      return 0;
  }
}

// The caches of the last 64 configurations used. The property battery builds a
// reference for every test case, and every property draws the same cases (one seed): without
// sharing, each configuration's enclosures were computed again for every property, which was
// four tenths of `ropecheck check`'s time. The enclosures depend on the configuration, without
// its channel layout, and on the sequence length only through length_key(): keyed on those
// alone, a shared cache holds what would have been computed. (Keyed on the whole sequence
// length, which each case draws anew, the battery missed the cache at almost every case.)
std::shared_ptr<ExactFrequencies::Cache> ExactFrequencies::shared_cache(const RopeConfig& config,
                                                                        std::int64_t seq_len) {
  struct Entry {
    RopeConfig config;
    std::int64_t length;
    std::shared_ptr<Cache> cache;
  };
  RopeConfig key = config;
  key.layout = Layout::half;
  const std::int64_t length = length_key(config, seq_len);
  static RecentlyUsed<Entry, 64> recent;
  return recent
      .find_or_add([&](const Entry& e) { return e.length == length && e.config == key; },
                   [&] {
                     return Entry{key, length, std::make_shared<Cache>()};
                   })
      .cache;
}

ExactFrequencies::ExactFrequencies(const RopeConfig& config, std::int64_t seq_len)
    : config_(config), seq_len_(seq_len) {
  validate(config_);
  cache_ = shared_cache(config_, seq_len_);
  const RopeScaling& s = config_.scaling;
  if ((s.type == RopeType::longrope && !s.attention_factor) && config_.original_context() == 1 &&
      scale_above_one(longrope_scale(config_)))
    throw ConfigError("original_max_position_embeddings",
                      "LongRoPE's attention factor divides by ln L0, which is 0 for L0 = 1");
  zero_.assign(static_cast<std::size_t>(pairs()), 0);
  if (s.type == RopeType::proportional) {
    const int rotated = proportional_rotated_pairs_exact(config_);
    for (int i = rotated; i < pairs(); ++i) zero_[static_cast<std::size_t>(i)] = 1;
  }
  exact_attention_ = find_exact_attention(config_);
}

FrequencySet ExactFrequencies::compute(mpfr_prec_t p) const {
  const RopeConfig& c = config_;
  const RopeScaling& s = c.scaling;
  const int d = c.rotary_dim;
  const Interval ln_base = log(point(c.base, p));
  FrequencySet out;
  out.prec = p;
  switch (s.type) {
    case RopeType::standard:
    case RopeType::linear:
    case RopeType::proportional: {
      const Interval inv_s =
          point(1.0, p) / point(s.type == RopeType::standard ? 1.0 : s.factor, p);
      for (int i = 0; i < d / 2; ++i)
        out.theta.push_back(theta_is_zero(i) ? point(0.0, p)
                                             : inverse_power(ln_base, i, d) * inv_s);
      break;
    }
    case RopeType::ntk: {
      // (b s^(d/(d-2)))^(-2i/d): ln of the new base is ln b + d/(d-2) ln s.
      const Interval ln_b = ln_base + ratio(d, d - 2, p) * log(point(s.factor, p));
      for (int i = 0; i < d / 2; ++i) out.theta.push_back(inverse_power(ln_b, i, d));
      break;
    }
    case RopeType::dynamic: {
      // b' = b (s L / Lm - (s - 1))^(d/(d-2)) with L = max(seq_len, Lm).
      const std::int64_t lm = *c.max_position_embeddings;
      const std::int64_t l = std::max(seq_len_, lm);
      const Interval sf = point(s.factor, p);
      const Interval growth = sf * ratio(l, lm, p) - (sf - point(1.0, p));
      const Interval ln_b = ln_base + ratio(d, d - 2, p) * log(growth);
      for (int i = 0; i < d / 2; ++i) out.theta.push_back(inverse_power(ln_b, i, d));
      break;
    }
    case RopeType::yarn:
      out.theta = yarn_frequencies(c, ln_base);
      break;
    case RopeType::llama3:
      out.theta = llama3_frequencies(c, ln_base);
      break;
    case RopeType::longrope: {
      // The switch compares integers: long factors once the sequence exceeds L0.
      const auto& ext = seq_len_ > c.original_context() ? s.long_factor : s.short_factor;
      for (int i = 0; i < d / 2; ++i)
        out.theta.push_back(inverse_power(ln_base, i, d) /
                            point(ext[static_cast<std::size_t>(i)], p));
      break;
    }
  }
  out.attention = attention_interval(c, exact_attention_, p);
  return out;
}

std::shared_ptr<const FrequencySet> ExactFrequencies::at(mpfr_prec_t prec) const {
  const mpfr_prec_t wanted = round_up_64(prec);
  std::lock_guard lock(cache_->mutex);
  if (auto it = cache_->sets.find(wanted); it != cache_->sets.end()) return it->second;
  for (mpfr_prec_t p = wanted; p <= kMaxPrecision; p *= 2) {
    try {
      auto set = std::make_shared<const FrequencySet>(compute(p));
      cache_->sets.emplace(wanted, set);
      return set;
    } catch (const NeedMorePrecision&) {
      // a YaRN floor/ceil or comparison sits too close to its threshold: retry with more bits
    }
  }
  throw std::runtime_error(fmt::format(
      "reference: the frequencies of this configuration need more than {} bits to decide a "
      "discrete step of their definition (a YaRN correction dimension within 2^-{} of an integer?)",
      kMaxPrecision, kMaxPrecision - 64));
}

namespace {

// RN_double of the real inside [lo, hi] when both ends round alike.
std::optional<double> same_double(const Interval& x) {
  const double lo = mpfr_get_d(x.lo(), MPFR_RNDN), hi = mpfr_get_d(x.hi(), MPFR_RNDN);
  if (std::bit_cast<std::uint64_t>(lo) != std::bit_cast<std::uint64_t>(hi)) return std::nullopt;
  return lo;
}

}  // namespace

std::shared_ptr<const FrequencySet> ExactFrequencies::finest_cached() const {
  std::lock_guard lock(cache_->mutex);
  return cache_->sets.empty() ? nullptr : cache_->sets.rbegin()->second;
}

// Both first try the finest enclosure already computed (the fast path's, usually): wherever its
// two ends round alike, that double is the correctly rounded value, as the 128-bit one's would
// be, and computing every frequency again at 128 bits is avoided.
double ExactFrequencies::theta_double(int pair) const {
  if (theta_is_zero(pair)) return 0.0;
  if (const auto set = finest_cached())
    if (auto v = same_double(set->theta[static_cast<std::size_t>(pair)])) return *v;
  for (mpfr_prec_t p = 128; p <= kMaxPrecision; p *= 2)
    if (auto v = same_double(at(p)->theta[static_cast<std::size_t>(pair)])) return *v;
  throw std::runtime_error(
      "reference: theta could not be rounded to double within the precision cap");
}

double ExactFrequencies::attention_double() const {
  if (const auto set = finest_cached())
    if (auto v = same_double(set->attention)) return *v;
  for (mpfr_prec_t p = 128; p <= kMaxPrecision; p *= 2)
    if (auto v = same_double(at(p)->attention)) return *v;
  throw std::runtime_error(
      "reference: the attention factor could not be rounded to double within the precision cap");
}

}  // namespace ropecheck::reference
