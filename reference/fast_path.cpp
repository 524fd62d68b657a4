#include "reference/fast_path.hpp"

#include <cmath>
#include <memory>
#include <optional>
#include <stdexcept>

#include "reference/exact_frequencies.hpp"
#include "reference/multiprecision.hpp"
#include "reference/recently_used.hpp"

namespace ropecheck::reference {
namespace {

// Working precision of the per-configuration set-up: theta/2pi needs 159 bits for the
// triple-double and the enclosure must be far narrower than its last part.
constexpr mpfr_prec_t kSetupPrecision = 320;

// The relative error bound of the kernel's output, before the attention factor's own factor:
// |exact - z| <= 2^-74 a (|x_a| + |x_b|) (scaled frame). spec/precision.md derives 2^-75.3 for
// the sum of all terms; 2^-74 leaves a factor 2.4 of margin.
constexpr double kRelativeBound = 0x1p-74;

fast_detail::KernelView view_of(const FastPathData& d, Dtype dtype) {
  return {d.t_hi.data(),
          d.t_mid.data(),
          d.t_lo.data(),
          d.kind.data(),
          trig_table(),
          d.pairs,
          d.rotary_dim,
          d.interleaved,
          d.a_is_one,
          d.a_hi,
          d.a_lo,
          d.bound,
          format_params(dtype),
          {}};
}

FastVariant resolve(FastVariant variant) {
  switch (variant) {
    case FastVariant::best:
      return fast_path_has_avx2() ? FastVariant::avx2 : FastVariant::generic;
    case FastVariant::avx2:
      if (!fast_path_has_avx2()) throw std::runtime_error("this CPU lacks AVX2 or FMA3");
      return variant;
    case FastVariant::fma:
      if (!fast_path_has_fma()) throw std::runtime_error("this CPU has no FMA instruction");
      return variant;
    case FastVariant::generic:
      return variant;
  }
  return FastVariant::generic;
}

}  // namespace

bool fast_path_has_fma() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma") != 0;
  }();
  return has;
}

bool fast_path_has_avx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
  }();
  return has;
}

namespace {

// The fast path of one frequency set (everything but the channel layout).
FastPathData build_for_set(const ExactFrequencies& freqs,
                           const std::shared_ptr<const FrequencySet>& set) {
  FastPathData data;
  data.pairs = freqs.pairs();
  data.rotary_dim = freqs.config().rotary_dim;
  const mpfr_prec_t p = set->prec;
  const Interval two_pi = Interval::integer(2, p) * pi_interval(p);
  for (int i = 0; i < data.pairs; ++i) {
    if (freqs.theta_is_zero(i)) {
      data.kind.push_back(PairKind::zero_theta);
      data.t_hi.push_back(0.0);
      data.t_mid.push_back(0.0);
      data.t_lo.push_back(0.0);
      continue;
    }
    // t = theta / 2pi split into three doubles: t_hi = RN(t), t_mid = RN(t - t_hi), t_lo =
    // RN(t - t_hi - t_mid); the subtractions are exact at p + 64 bits.
    const Interval t = set->theta[static_cast<std::size_t>(i)] / two_pi;
    Mp rest = make_mp(p + 64);
    mpfr_set(raw(rest), t.lo(), MPFR_RNDN);
    double parts[3];
    for (double& part : parts) {
      part = mpfr_get_d(raw(rest), MPFR_RNDN);
      mpfr_sub_d(raw(rest), raw(rest), part, MPFR_RNDN);
    }
    Mp tail = width(t, 64);
    mpfr_abs(raw(rest), raw(rest), MPFR_RNDN);
    mpfr_add(raw(tail), raw(tail), raw(rest), MPFR_RNDU);
    // The reduction's bound assumes |t| < 2^10 and |t - (t_hi + t_mid + t_lo)| <= 2^-149, so
    // that |m| times it stays below 2^-96 for every |m| < 2^53.
    const bool eligible = std::fabs(parts[0]) < 0x1p10 && mpfr_cmp_d(raw(tail), 0x1p-149) <= 0;
    data.kind.push_back(eligible ? PairKind::rotates : PairKind::mpfr_only);
    data.t_hi.push_back(parts[0]);
    data.t_mid.push_back(parts[1]);
    data.t_lo.push_back(parts[2]);
  }

  const auto& exact = freqs.exact_attention();
  data.a_is_one = exact && exact->num == 1.0 && exact->den == 1;
  if (!data.a_is_one) {
    const Interval& a = set->attention;
    Mp rest = make_mp(p + 64);
    mpfr_set(raw(rest), a.lo(), MPFR_RNDN);
    data.a_hi = mpfr_get_d(raw(rest), MPFR_RNDN);
    mpfr_sub_d(raw(rest), raw(rest), data.a_hi, MPFR_RNDN);
    data.a_lo = mpfr_get_d(raw(rest), MPFR_RNDN);
    mpfr_sub_d(raw(rest), raw(rest), data.a_lo, MPFR_RNDN);
    Mp err = width(a, 64);
    mpfr_abs(raw(rest), raw(rest), MPFR_RNDN);
    mpfr_add(raw(err), raw(err), raw(rest), MPFR_RNDU);
    if (mpfr_cmp_d(raw(err), std::ldexp(data.a_hi, -100)) > 0)
      throw std::logic_error("reference: attention factor enclosure wider than 2^-100 a");
  }
  // An absurd explicit attention factor would push the scaled outputs outside the range the
  // rounding test handles (or the bound into underflow): leave such configurations to MPFR.
  if (!(data.a_hi > 0x1p-900 && data.a_hi < 0x1p900))
    for (PairKind& k : data.kind) k = PairKind::mpfr_only;
  // K = 2^-74 a_hi (1 + 2^-40): the factor covers a <= a_hi (1 + 2^-100) and the two roundings
  // of E = K (|x_a| + |x_b|) in the kernel.
  data.bound = kRelativeBound * data.a_hi * (1.0 + 0x1p-40);
  return data;
}

}  // namespace

// Built once per frequency set among the recently used ones. Every ExactFrequencies of the same
// frequencies shares one set (its shared cache), and everything above follows from the set and
// the configuration it came from (which pairs are zero, the exact attention factor), so a
// shared result is the one that would be built. The property battery builds a reference for
// every case: building each one's fast path anew was a fifth of `ropecheck check`'s time.
FastPathData build_fast_path(const ExactFrequencies& freqs) {
  const std::shared_ptr<const FrequencySet> set = freqs.at(kSetupPrecision);
  // A weak pointer never matches a set that has since been freed, even one whose address is
  // reused.
  using Entry = std::pair<std::weak_ptr<const FrequencySet>, FastPathData>;
  static RecentlyUsed<Entry, 64> recent;
  const auto match = [&](const Entry& entry) { return entry.first.lock() == set; };
  FastPathData data;
  if (std::optional<Entry> found = recent.find(match)) {
    data = std::move(found->second);
  } else {
    // Built outside the list's lock (it takes MPFR time); two threads may both build it, alike.
    data = build_for_set(freqs, set);
    recent.add({set, data});
  }
  data.interleaved = freqs.config().layout == Layout::interleaved;
  return data;
}

void fast_apply(const FastPathData& data, Dtype dtype, std::int64_t m, const double* x, double* y,
                PairStatus* status, FastVariant variant, const ExactSink* exact) {
  fast_detail::KernelView v = view_of(data, dtype);
  if (exact) v.exact = *exact;
  switch (resolve(variant)) {
    case FastVariant::avx2:
      fast_detail::kernel_avx2(v, m, x, y, status);
      break;
    case FastVariant::fma:
      fast_detail::kernel_fma(v, m, x, y, status);
      break;
    default:
      fast_detail::kernel_generic(v, m, x, y, status);
      break;
  }
}

bool fast_score(const FastPathData& data, std::int64_t d, const double* q, const double* k,
                int head_dim, double& out, FastVariant variant) {
  const fast_detail::KernelView v = view_of(data, Dtype::f64);
  return resolve(variant) == FastVariant::generic
             ? fast_detail::score_generic(v, d, q, k, head_dim, out)
             : fast_detail::score_fma(v, d, q, k, head_dim, out);
}

FastPairTrace fast_trace(const FastPathData& data, int pair, std::int64_t m, double xa, double xb,
                         FastVariant variant) {
  const fast_detail::KernelView v = view_of(data, Dtype::f64);
  // The avx2 kernel runs the fma kernel's operations lane by lane: one trace serves both.
  return resolve(variant) == FastVariant::generic ? fast_detail::trace_generic(v, pair, m, xa, xb)
                                                  : fast_detail::trace_fma(v, pair, m, xa, xb);
}

}  // namespace ropecheck::reference
