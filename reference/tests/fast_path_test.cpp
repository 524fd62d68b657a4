// The certified fast path: its constants, its error bound (against MPFR balls), agreement of the
// kernel builds, and bit-identity with the MPFR path on over 10^6 rotated pairs including the
// hard cases (ROPECHECK_DEEP=1: 10^7).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "core/presets.hpp"
#include "reference/fast_path.hpp"
#include "reference/fast_path_kernel.hpp"  // the constants, for the constant checks
#include "reference/mpfr_rotation.hpp"
#include "reference/reference.hpp"
#include "reference/tests/hard_inputs.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

using testing::same_bits;

// The derived accuracy of the kernel's cos and sin (spec/precision.md: eps_trig <= 2^-77.5,
// stated as 2^-77).
constexpr double kTrigBound = 0x1p-77;

std::vector<FastVariant> available_variants() {
  std::vector<FastVariant> v{FastVariant::generic};
  if (fast_path_has_fma()) v.push_back(FastVariant::fma);
  if (fast_path_has_avx2()) v.push_back(FastVariant::avx2);
  return v;
}

const char* name(FastVariant v) {
  switch (v) {
    case FastVariant::avx2:
      return "avx2";
    case FastVariant::fma:
      return "fma";
    case FastVariant::generic:
      return "generic";
    default:
      return "best";
  }
}

// |v - (hi + lo)| as a double.
double distance(mpfr_srcptr v, double hi, double lo) {
  Mp d = make_mp(mpfr_get_prec(v) + 64);
  mpfr_sub_d(raw(d), v, hi, MPFR_RNDN);
  mpfr_sub_d(raw(d), raw(d), lo, MPFR_RNDN);
  return std::fabs(mpfr_get_d(raw(d), MPFR_RNDU));
}

TEST(FastPath, ConstantsAndTable) {
  Mp two_pi = make_mp(300);
  mpfr_const_pi(raw(two_pi), MPFR_RNDN);
  mpfr_mul_2ui(raw(two_pi), raw(two_pi), 1, MPFR_RNDN);
  EXPECT_LT(distance(raw(two_pi), fast_detail::kTwoPiHi, fast_detail::kTwoPiLo), 0x1p-105);
  const TrigEntry* table = trig_table();
  Mp c = make_mp(300), s = make_mp(300), k = make_mp(64);
  for (unsigned i = 0; i < (1u << kTrigTableBits); ++i) {
    mpfr_set_ui(raw(k), i, MPFR_RNDN);
    mpfr_cosu(raw(c), raw(k), 1u << kTrigTableBits, MPFR_RNDN);
    mpfr_sinu(raw(s), raw(k), 1u << kTrigTableBits, MPFR_RNDN);
    ASSERT_LE(distance(raw(c), table[i].cos_hi, table[i].cos_lo), 0x1p-107) << i;
    ASSERT_LE(distance(raw(s), table[i].sin_hi, table[i].sin_lo), 0x1p-107) << i;
  }
  EXPECT_EQ(table[256].cos_hi, 0.0);  // cos(pi/2) is an exact zero
  EXPECT_EQ(table[512].sin_hi, 0.0);
}

// The kernel's z and E against a 320-bit MPFR ball: |exact - z 2^sigma| <= E 2^sigma, and cos,
// sin within kTrigBound.
TEST(FastPath, ErrorBoundHolds) {
  std::mt19937_64 rng(41);
  const int configs = testing::deep_mode() ? 500 : 60;
  double worst_ratio = 0, worst_trig = 0;
  long checked = 0;
  for (int n = 0; n < configs; ++n) {
    const RopeConfig c = testing::random_config(rng);
    const ExactFrequencies f(c, testing::random_seq_len(rng, c));
    const FastPathData data = build_fast_path(f);
    for (int k = 0; k < 60; ++k) {
      const int pair = static_cast<int>(rng() % static_cast<unsigned>(f.pairs()));
      if (data.kind[static_cast<std::size_t>(pair)] == PairKind::mpfr_only) continue;
      const std::int64_t m = testing::hard_position(rng, f);
      const double xa = testing::random_value(rng, Dtype::f64, -20, 20);
      const double xb = rng() % 8 ? testing::random_value(rng, Dtype::f64, -20, 20) : 0.0;
      const PairBall exact = pair_ball(f, pair, m, xa, xb, 320);
      const PairBall trig = pair_ball(f, pair, m, 1.0, 0.0, 320);  // (a cos, a sin)
      for (FastVariant v : available_variants()) {
        const FastPairTrace t = fast_trace(data, pair, m, xa, xb, v);
        for (auto [y, hi, lo] :
             {std::tuple{&exact.ya, t.za_hi, t.za_lo}, std::tuple{&exact.yb, t.zb_hi, t.zb_lo}}) {
          Mp scaled = make_mp(400);
          mpfr_mul_2si(raw(scaled), raw(*y), -t.sigma, MPFR_RNDN);  // exact
          const double err = distance(raw(scaled), hi, lo);
          ASSERT_LE(err, t.bound) << testing::describe(c) << " m=" << m << " pair " << pair
                                  << " variant " << name(v);
          worst_ratio = std::max(worst_ratio, err / t.bound);
        }
        // Trig accuracy, via a cos and a sin divided by a (a = 1 for most configs).
        const double a = data.a_hi;
        Mp ct = make_mp(400), st = make_mp(400);
        mpfr_div_d(raw(ct), raw(trig.ya), a, MPFR_RNDN);
        mpfr_div_d(raw(st), raw(trig.yb), a, MPFR_RNDN);
        if (a == 1.0) {
          const double te =
              std::max(distance(raw(ct), t.c_hi, t.c_lo), distance(raw(st), t.s_hi, t.s_lo));
          ASSERT_LE(te, kTrigBound) << testing::describe(c) << " m=" << m << " pair " << pair;
          worst_trig = std::max(worst_trig, te);
        }
        ++checked;
      }
    }
  }
  std::printf("error bound: %ld traces, worst |error|/E = %.3g, worst trig error 2^%.2f\n", checked,
              worst_ratio, std::log2(worst_trig));
}

// build_fast_path remembers its result per frequency set, which ignores the channel layout: a
// remembered one must equal the first build, in the layout of the configuration asked for.
TEST(FastPath, RememberedBuildsEqualFreshOnesInTheirOwnLayout) {
  std::mt19937_64 rng(43);
  for (int n = 0; n < 20; ++n) {
    RopeConfig c = testing::random_config(rng);
    const std::int64_t seq_len = testing::random_seq_len(rng, c);
    const FastPathData first = build_fast_path(ExactFrequencies(c, seq_len));
    for (Layout layout : {Layout::interleaved, Layout::half}) {
      c.layout = layout;
      const FastPathData again = build_fast_path(ExactFrequencies(c, seq_len));
      EXPECT_EQ(again.interleaved, layout == Layout::interleaved) << testing::describe(c);
      EXPECT_EQ(again.pairs, first.pairs);
      EXPECT_EQ(again.rotary_dim, first.rotary_dim);
      EXPECT_EQ(again.kind, first.kind);
      const auto equal = [](const std::vector<double>& a, const std::vector<double>& b) {
        return std::ranges::equal(a, b, [](double x, double y) { return same_bits(x, y); });
      };
      EXPECT_TRUE(equal(again.t_hi, first.t_hi) && equal(again.t_mid, first.t_mid) &&
                  equal(again.t_lo, first.t_lo));
      EXPECT_TRUE(again.a_is_one == first.a_is_one && same_bits(again.a_hi, first.a_hi) &&
                  same_bits(again.a_lo, first.a_lo) && same_bits(again.bound, first.bound))
          << testing::describe(c);
    }
  }
}

// The avx2 kernel runs the fma kernel's operations lane by lane, and Dekker's products are as
// exact as fused ones: all builds give the same statuses and outputs on inputs away from
// underflow, and avx2 equals fma on every input.
TEST(FastPath, KernelBuildsAgree) {
  std::mt19937_64 rng(42);
  const auto variants = available_variants();
  long heads = 0;
  for (int n = 0; n < 150; ++n) {
    const RopeConfig c = testing::random_config(rng);
    const ExactFrequencies f(c, testing::random_seq_len(rng, c));
    const FastPathData data = build_fast_path(f);
    for (int k = 0; k < 40; ++k) {
      const Dtype dtype = all_dtypes()[rng() % 4];
      const std::int64_t m = testing::hard_position(rng, f);
      const std::vector<double> x = testing::hard_head(rng, f, m, dtype);
      bool tiny = false;
      for (double v : x) tiny |= v != 0 && std::fabs(v) < 0x1p-900;
      std::vector<std::vector<double>> ys;
      std::vector<std::vector<PairStatus>> sts;
      for (FastVariant v : variants) {
        ys.emplace_back(x.size(), 0.0);
        sts.emplace_back(static_cast<std::size_t>(f.pairs()));
        fast_apply(data, dtype, m, x.data(), ys.back().data(), sts.back().data(), v);
      }
      for (std::size_t a = 1; a < variants.size(); ++a) {
        if (tiny && variants[a - 1] == FastVariant::generic) continue;
        for (int i = 0; i < f.pairs(); ++i) {
          const auto [ca, cb] = pair_channels(c.layout, c.rotary_dim, i);
          ASSERT_EQ(sts[a][i], sts[a - 1][i]) << name(variants[a]) << " pair " << i;
          if (sts[a][i] == PairStatus::certified) {
            ASSERT_TRUE(same_bits(ys[a][ca], ys[a - 1][ca]));
            ASSERT_TRUE(same_bits(ys[a][cb], ys[a - 1][cb]));
          }
        }
      }
      ++heads;
    }
  }
  std::printf("kernel builds: %zu builds agree on %ld heads\n", variants.size(), heads);
}

struct SweepResult {
  long pairs = 0, heads = 0;
  ReferenceStats stats;
};

// apply() (fast path + fallback) against apply_mpfr() on heads from the hard-input mix, until
// `target_pairs` rotated pairs were compared.
SweepResult sweep(std::uint64_t seed, long target_pairs) {
  std::mt19937_64 rng(seed);
  SweepResult out;
  std::vector<RopeConfig> configs;
  for (const auto& p : builtin_presets()) configs.push_back(p.rope);
  while (out.pairs < target_pairs) {
    const RopeConfig c =
        rng() % 4 == 0 ? configs[rng() % configs.size()] : testing::random_config(rng);
    const std::int64_t seq_len = testing::random_seq_len(rng, c);
    const Reference ref(c, seq_len);
    const ExactFrequencies f(c, seq_len);
    for (int k = 0; k < 40; ++k) {
      const Dtype dtype = all_dtypes()[rng() % 4];
      const std::int64_t m = testing::hard_position(rng, f);
      const std::vector<double> x = testing::hard_head(rng, f, m, dtype);
      std::vector<double> fast(x.size()), slow(x.size());
      ref.apply(m, x, dtype, fast);
      ref.apply_mpfr(m, x, dtype, slow);
      for (std::size_t j = 0; j < x.size(); ++j)
        if (!same_bits(fast[j], slow[j])) {
          ADD_FAILURE() << testing::describe(c) << " seq_len " << seq_len << " dtype "
                        << dtype_name(dtype) << " m=" << m << " channel " << j << std::hexfloat
                        << ": x=" << x[j] << " apply " << fast[j] << " apply_mpfr " << slow[j];
          return out;
        }
      out.pairs += f.pairs();
      ++out.heads;
    }
    const ReferenceStats s = ref.stats();
    out.stats.fast += s.fast;
    out.stats.fallback += s.fallback;
    out.stats.special += s.special;
  }
  return out;
}

TEST(FastPath, EqualsMpfrPathOnAMillionHardPairs) {
  const long target = testing::deep_mode()        ? 10'000'000
                      : testing::sanitized_mode() ? 100'000
                                                  : 1'000'000;
  const auto t0 = std::chrono::steady_clock::now();
  const SweepResult r = sweep(43, target);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rotated = static_cast<double>(r.stats.fast + r.stats.fallback);
  std::printf(
      "fast == mpfr: %ld rotated pairs in %ld heads (%.1f s); fast path certified %llu, fallback "
      "%llu (%.3f%% of the hard mix), exact rules %llu\n",
      r.pairs, r.heads, seconds, static_cast<unsigned long long>(r.stats.fast),
      static_cast<unsigned long long>(r.stats.fallback), 100.0 * r.stats.fallback / rotated,
      static_cast<unsigned long long>(r.stats.special));
  EXPECT_GE(r.pairs, target);
}

// Each kernel build's certified outputs against the MPFR path (the sweep above runs `best`).
TEST(FastPath, EveryBuildEqualsMpfrPath) {
  std::mt19937_64 rng(44);
  for (FastVariant v : available_variants()) {
    long certified = 0, fallback = 0;
    for (int n = 0; n < 40; ++n) {
      const RopeConfig c = testing::random_config(rng);
      const ExactFrequencies f(c, testing::random_seq_len(rng, c));
      const FastPathData data = build_fast_path(f);
      for (int k = 0; k < 40; ++k) {
        const Dtype dtype = all_dtypes()[rng() % 4];
        const std::int64_t m = testing::hard_position(rng, f);
        const std::vector<double> x = testing::hard_head(rng, f, m, dtype);
        std::vector<double> y(x.size());
        std::vector<PairStatus> st(static_cast<std::size_t>(f.pairs()));
        fast_apply(data, dtype, m, x.data(), y.data(), st.data(), v);
        for (int i = 0; i < f.pairs(); ++i) {
          if (st[i] != PairStatus::certified) {
            fallback += st[i] == PairStatus::fallback;
            continue;
          }
          ++certified;
          const auto [ca, cb] = pair_channels(c.layout, c.rotary_dim, i);
          const PairOutput want = rotate_pair_mpfr(f, i, m, x[ca], x[cb], dtype);
          ASSERT_TRUE(same_bits(y[ca], want.a) && same_bits(y[cb], want.b))
              << name(v) << " " << testing::describe(c) << " m=" << m << " pair " << i
              << std::hexfloat << " x=(" << x[ca] << ", " << x[cb] << ") got (" << y[ca] << ", "
              << y[cb] << ") want (" << want.a << ", " << want.b << ")";
        }
      }
    }
    std::printf("%s: %ld certified pairs equal the MPFR path (%ld fallbacks)\n", name(v), certified,
                fallback);
    EXPECT_GT(certified, 10000);
  }
}

// On realistic inputs (a model's head, bf16/f32 activations, positions up to 2^31) the fallback
// rate must be tiny: the fast path is what makes audits practical.
TEST(FastPath, FallbackRateOnRealisticInputsIsTiny) {
  std::mt19937_64 rng(45);
  const Reference ref(find_preset("llama-3.1-8b").rope, 131072);
  std::vector<double> x(128), y(128);
  for (Dtype dtype : all_dtypes()) {
    ref.reset_stats();
    for (int k = 0; k < 3000; ++k) {
      for (double& v : x) v = testing::random_value(rng, Dtype::bf16, -6, 3);
      const auto m =
          static_cast<std::int64_t>(std::exp2(std::uniform_real_distribution<double>(0, 31)(rng)));
      ref.apply(m, x, dtype, y);
    }
    const ReferenceStats s = ref.stats();
    const double rate = static_cast<double>(s.fallback) / static_cast<double>(s.fast + s.fallback);
    std::printf("realistic %s: fallback rate %.2e (%llu of %llu)\n", dtype_name(dtype).data(), rate,
                static_cast<unsigned long long>(s.fallback),
                static_cast<unsigned long long>(s.fast + s.fallback));
    EXPECT_LT(rate, 1e-3);
  }
}

}  // namespace
}  // namespace ropecheck::reference
