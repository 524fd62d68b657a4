// The fast path's arithmetic (declared in fast_path.hpp), as templates on the product algorithm.
// Only fast_path_fma.cpp and fast_path_generic.cpp include this file, each compiled for its own
// target; everything here has internal linkage so the two builds never merge at link time.
// Every constant and every error term is derived in spec/precision.md, "The reference".
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

#include "reference/fast_path.hpp"

namespace ropecheck::reference::fast_detail {
namespace {

#define ROPECHECK_INLINE inline __attribute__((always_inline))

struct DD {
  double hi, lo;
};

ROPECHECK_INLINE double fabs_(double x) {
  return __builtin_fabs(x);
}
ROPECHECK_INLINE double copysign_(double x, double s) {
  return __builtin_copysign(x, s);
}

// 2^k for -1022 <= k <= 1023.
ROPECHECK_INLINE double pow2_normal(int k) {
  return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
}
// 2^k for -1074 <= k <= 1023.
ROPECHECK_INLINE double pow2_any(int k) {
  return k >= -1022 ? pow2_normal(k) : std::bit_cast<double>(std::uint64_t{1} << (k + 1074));
}

// Knuth's TwoSum: s + e == a + b exactly, for any doubles (TAOCP vol. 2, 4.2.2).
ROPECHECK_INLINE DD two_sum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

// Dekker's FastTwoSum: s + e == a + b exactly when a == 0 or exponent(a) >= exponent(b).
ROPECHECK_INLINE DD fast_two_sum(double a, double b) {
  const double s = a + b;
  return {s, b - (s - a)};
}

// p + e == a * b exactly (barring underflow of e, an absolute error below 2^-1074): with a
// hardware FMA, e = fma(a, b, -p); otherwise Dekker's product with Veltkamp's splitting
// (Dekker 1971), exact for |a|, |b| < 2^995.
template <bool kFma>
ROPECHECK_INLINE DD two_prod(double a, double b) {
  const double p = a * b;
  if constexpr (kFma) {
    return {p, __builtin_fma(a, b, -p)};
  } else {
    constexpr double kSplit = 134217729.0;  // 2^27 + 1
    const double ca = kSplit * a, cb = kSplit * b;
    const double ah = ca - (ca - a), bh = cb - (cb - b);
    const double al = a - ah, bl = b - bh;
    return {p, ((ah * bh - p) + ah * bl + al * bh) + al * bl};
  }
}

// The nearest integer to x, ties to even: for |x| < 2^52, adding 2^52 leaves no fraction bits,
// so the addition itself rounds to nearest-even; larger doubles are integers already.
ROPECHECK_INLINE double nearest_int(double x) {
  const double ax = fabs_(x);
  const double r = (ax + 0x1p52) - 0x1p52;
  return ax < 0x1p52 ? copysign_(r, x) : x;
}

// 2 pi as a double-double: |2 pi - kTwoPiHi - kTwoPiLo| < 2^-105.
constexpr double kTwoPiHi = 0x1.921fb54442d18p+2;
constexpr double kTwoPiLo = 0x1.1a62633145c07p-52;

// Taylor coefficients (each the double nearest the rational; their relative error 2^-53 is in
// the bound).
constexpr double kC4 = 1.0 / 24, kC6 = -1.0 / 720, kC8 = 1.0 / 40320;
constexpr double kS3 = -1.0 / 6, kS5 = 1.0 / 120, kS7 = -1.0 / 5040;

struct Trig {
  DD c, s;  // unnormalised: |lo| <= 2^-27.5
};

// m t modulo one turn for t = t_hi + t_mid + t_lo, as r_hi + r_lo within 2^-93.6 of the exact
// value (spec/precision.md, steps R1-R3).
template <bool kFma>
ROPECHECK_INLINE DD reduce_turns(double M, double t_hi, double t_mid, double t_lo) {
  // R1: m t_hi and m t_mid exactly, m t_lo to nearest.
  const DD a = two_prod<kFma>(M, t_hi);
  const DD b = two_prod<kFma>(M, t_mid);
  const double p3 = M * t_lo;
  // R2: drop whole turns; each difference is exact (Sterbenz, or the integer is 0).
  const double f1 = a.hi - nearest_int(a.hi);
  const double g1 = a.lo - nearest_int(a.lo);
  const double f2 = b.hi - nearest_int(b.hi);
  const DD s1 = two_sum(f1, f2);
  const DD s2 = two_sum(s1.hi, g1);
  const double h = s2.hi - nearest_int(s2.hi);
  // R3: the small terms (each <= 2^-43 by |t| < 2^10), then r = h + lo in [-1/2, 1/2] + tiny.
  const double lo = ((s1.lo + s2.lo) + b.lo) + p3;
  return two_sum(h, lo);
}

// cos and sin of 2 pi (m t) for t = t[0] + t[1] + t[2] (spec/precision.md, steps R1-R4, T1-T4).
template <bool kFma>
ROPECHECK_INLINE Trig trig_of_turns(const TrigEntry* table, double M, double t_hi, double t_mid,
                                    double t_lo) {
  const DD r = reduce_turns<kFma>(M, t_hi, t_mid, t_lo);
  // R4: table index k = nearest(1024 r), delta = r - k/1024 with |delta| <= 2^-11 + 2^-54;
  // r.hi - k/1024 is exact, and fast_two_sum's condition holds (see precision.md).
  const double kd = nearest_int(r.hi * 1024.0);
  const DD delta = fast_two_sum(r.hi - kd * 0x1p-10, r.lo);
  const DD u0 = two_prod<kFma>(kTwoPiHi, delta.hi);
  const double uh = u0.hi, ul = u0.lo + (kTwoPiHi * delta.lo + kTwoPiLo * delta.hi);
  const TrigEntry& e = table[static_cast<int>(kd) & ((1 << kTrigTableBits) - 1)];

  // T1: u^2 = qh + ql; cos u - 1 = cm_hi + cm_lo; sin u - u = sm.
  const DD q0 = two_prod<kFma>(uh, uh);
  const double qh = q0.hi, ql = q0.lo + 2.0 * uh * ul;
  const double cm_hi = -0.5 * qh;
  const double cm_lo = -0.5 * ql + (qh * qh) * (kC4 + qh * (kC6 + qh * kC8));
  const double sm = (uh * qh) * (kS3 + qh * (kS5 + qh * kS7));

  // T2: cos(A + u) = Ca (1 + cm) - Sa (u + sm): the large products exactly, then the rest.
  const DD ca1 = two_prod<kFma>(e.cos_hi, cm_hi);
  const DD cb1 = two_prod<kFma>(e.sin_hi, uh);
  const DD cv = two_sum(ca1.hi, -cb1.hi);
  const DD ch = two_sum(e.cos_hi, cv.hi);
  const double c_small = ((ch.lo + cv.lo) + e.cos_lo) + (ca1.lo - cb1.lo);
  const double c_mid =
      (e.cos_hi * cm_lo + e.cos_lo * cm_hi) - ((e.sin_hi * ul + e.sin_lo * uh) + e.sin_lo * sm);
  const double c_lo = (c_small + c_mid) - e.sin_hi * sm;

  // T3: sin(A + u) = Sa (1 + cm) + Ca (u + sm).
  const DD sa1 = two_prod<kFma>(e.sin_hi, cm_hi);
  const DD sb1 = two_prod<kFma>(e.cos_hi, uh);
  const DD sv = two_sum(sa1.hi, sb1.hi);
  const DD sh = two_sum(e.sin_hi, sv.hi);
  const double s_small = ((sh.lo + sv.lo) + e.sin_lo) + (sa1.lo + sb1.lo);
  const double s_mid =
      (e.sin_hi * cm_lo + e.sin_lo * cm_hi) + ((e.cos_hi * ul + e.cos_lo * uh) + e.cos_lo * sm);
  const double s_lo = (s_small + s_mid) + e.cos_hi * sm;
  return {{ch.hi, c_lo}, {sh.hi, s_lo}};
}

// Everything the rounding test needs for one pair.
struct Eval {
  int sigma;
  Trig trig;
  DD za, zb;
  double bound;
};

template <bool kFma>
ROPECHECK_INLINE Eval evaluate(const KernelView& v, int pair, double M, double xa, double xb) {
  // S1: scale by 2^-sigma so that max(|x_a|, |x_b|) lies in [1/2, 1); exact unless the smaller
  // component underflows (an absolute error below 2^-1074, far inside the bound).
  const double axa = fabs_(xa), axb = fabs_(xb);
  const double mx = axa > axb ? axa : axb;
  const int be = static_cast<int>(std::bit_cast<std::uint64_t>(mx) >> 52);
  int sigma;
  double xs, ys;
  if (be >= 64 && be <= 1983) {
    sigma = be - 1022;
    const double scale = pow2_normal(-sigma);
    xs = xa * scale;
    ys = xb * scale;
  } else {
    std::frexp(mx, &sigma);
    xs = std::ldexp(xa, -sigma);
    ys = std::ldexp(xb, -sigma);
  }
  const Trig tr = trig_of_turns<kFma>(v.table, M, v.t_hi[pair], v.t_mid[pair], v.t_lo[pair]);

  // P1: w_a = x_a C - x_b S and w_b = x_a S + x_b C in double-double.
  const DD p1 = two_prod<kFma>(xs, tr.c.hi), p2 = two_prod<kFma>(ys, tr.s.hi);
  const DD w = two_sum(p1.hi, -p2.hi);
  double wh = w.hi, wl = (w.lo + (p1.lo - p2.lo)) + (xs * tr.c.lo - ys * tr.s.lo);
  const DD q1 = two_prod<kFma>(xs, tr.s.hi), q2 = two_prod<kFma>(ys, tr.c.hi);
  const DD z = two_sum(q1.hi, q2.hi);
  double vh = z.hi, vl = (z.lo + (q1.lo + q2.lo)) + (xs * tr.s.lo + ys * tr.c.lo);
  // P2: the attention factor.
  if (!v.a_is_one) {
    const DD aw = two_prod<kFma>(v.a_hi, wh), av = two_prod<kFma>(v.a_hi, vh);
    wl = aw.lo + (v.a_hi * wl + v.a_lo * wh);
    vl = av.lo + (v.a_hi * vl + v.a_lo * vh);
    wh = aw.hi;
    vh = av.hi;
  }
  return {sigma, tr, two_sum(wh, wl), two_sum(vh, vl), v.bound * (fabs_(xs) + fabs_(ys))};
}

// The rounding test (spec/precision.md, step F): true, with out = RN_F(2^sigma y), when every
// real y within `bound` of z.hi + z.lo (a normalised double-double in the scaled frame) rounds to
// the same value of F; false sends the pair to the MPFR path.
ROPECHECK_INLINE bool certify(const DD& z, double bound, int sigma, const FormatParams& f,
                              double& out) {
  const int be = static_cast<int>((std::bit_cast<std::uint64_t>(z.hi) >> 52) & 0x7ff);
  if (be < 200 || be > 1800) return false;  // |z| outside [2^-823, 2^777]: deep cancellation
  const int e = be - 1023;                  // 2^e <= |z.hi| < 2^(e+1)
  const int eu = e + sigma;                 // the same, unscaled
  const double az = fabs_(z.hi);
  if (eu > f.emax + 1) {  // |y| >= 2^(emax+1) for every y in the ball: overflows to infinity
    if (!(bound < 0.5 * az)) return false;
    out = copysign_(__builtin_inf(), z.hi);
    return true;
  }
  const int q = eu - f.p + 1 > f.qmin ? eu - f.p + 1 : f.qmin;  // quantum exponent, unscaled
  const int qs = q - sigma;                                     // ... and scaled
  if (qs > e + 60) {  // |y| < 2^-58 quanta: rounds to a zero of y's sign if the sign is certain
    if (!(bound < 0.5 * az)) return false;
    out = copysign_(0.0, z.hi);
    return true;
  }
  const double inv = pow2_normal(-qs);  // -qs in [-837, 875] given the two tests above
  const double n = z.hi * inv;          // y / quantum, exact (a power-of-two scaling)
  const double r = nearest_int(n);
  const double d = (n - r) + z.lo * inv;  // offset from the candidate r, in quanta
  const double eq = bound * inv;
  constexpr double kSlack = 0x1p-40;  // covers the rounding of d (<= 2^-53) with room
  const double ad = fabs_(d);
  if (!(ad + eq < 0.5 - kSlack)) return false;
  if (r == 0.0) {  // the ball lies in (-Q/2, Q/2): RN is a zero, its sign must be certain
    if (!(ad > eq + kSlack)) return false;
    out = copysign_(0.0, z.hi);
    return true;
  }
  // Just below a power of two (in magnitude) the quantum halves, so there the rounding boundary
  // is a quarter quantum away: |r| = 2^(p-1) in a normal binade.
  if (fabs_(r) == f.half_pow && q > f.qmin && !(eq - d * copysign_(1.0, r) < 0.25 - kSlack))
    return false;
  out = r * pow2_any(q);  // exact; overflows to inf exactly when IEEE's rule says so
  if (fabs_(out) > f.max_finite) out = copysign_(__builtin_inf(), out);
  return true;
}

// The unrounded outputs of pair i into the exact sink: z_hi, z_lo and E scaled back by 2^sigma.
// Multiplying by a power of two is exact while the product is a normal double; a subnormal
// product rounds by at most 2^-1075, so four such roundings (hi and lo of either channel) stay
// within the added 2^-1073. An overflow, or E too large to certify anything, leaves ok = 0.
ROPECHECK_INLINE void store_exact(const ExactSink& sink, int i, int ca, int cb, double za_hi,
                                  double za_lo, double zb_hi, double zb_lo, double bound,
                                  int sigma) {
  if (sigma < -1000 || sigma > 1000) {  // extreme inputs (step S's frexp branch): MPFR
    sink.ok[i] = 0;
    return;
  }
  const double s = pow2_normal(sigma);
  const double ha = za_hi * s, hb = zb_hi * s, e = bound * s + 0x1p-1073;
  const bool finite =
      fabs_(ha) <= 0x1.fffffffffffffp+1023 && fabs_(hb) <= 0x1.fffffffffffffp+1023 && e <= 0x1p+900;
  sink.hi[ca] = ha;
  sink.hi[cb] = hb;
  sink.lo[ca] = za_lo * s;
  sink.lo[cb] = zb_lo * s;
  sink.bound[i] = e;
  sink.ok[i] = finite ? 1 : 0;
}

// One pair, start to finish (the scalar kernels, and the avx2 kernel's unusual lanes).
template <bool kFma>
ROPECHECK_INLINE void process_pair(const KernelView& v, int i, std::int64_t m, const double* x,
                                   double* y, PairStatus* status) {
  const int ca = v.interleaved ? 2 * i : i;
  const int cb = v.interleaved ? 2 * i + 1 : i + v.rotary_dim / 2;
  const double xa = x[ca], xb = x[cb];
  const PairKind kind = v.kind[i];
  if (v.exact.ok) v.exact.ok[i] = 0;
  if (kind == PairKind::mpfr_only) {
    status[i] = PairStatus::fallback;
    return;
  }
  const double axa = fabs_(xa), axb = fabs_(xb);
  const bool phi_zero = m == 0 || kind == PairKind::zero_theta;
  if (!(axa <= 0x1.fffffffffffffp+1023 && axb <= 0x1.fffffffffffffp+1023) ||
      (axa == 0.0 && axb == 0.0) || (phi_zero && (axa == 0.0 || axb == 0.0))) {
    status[i] = PairStatus::special;
    return;
  }
  const Eval e = evaluate<kFma>(v, i, static_cast<double>(m), xa, xb);  // m exact: |m| < 2^53
  if (v.exact.ok)
    store_exact(v.exact, i, ca, cb, e.za.hi, e.za.lo, e.zb.hi, e.zb.lo, e.bound, e.sigma);
  double ya, yb;
  if (certify(e.za, e.bound, e.sigma, v.fmt, ya) && certify(e.zb, e.bound, e.sigma, v.fmt, yb)) {
    y[ca] = ya;
    y[cb] = yb;
    status[i] = PairStatus::certified;
  } else {
    status[i] = PairStatus::fallback;
  }
}

template <bool kFma>
void run_kernel(const KernelView& v, std::int64_t m, const double* x, double* y,
                PairStatus* status) {
  for (int i = 0; i < v.pairs; ++i) process_pair<kFma>(v, i, m, x, y, status);
}

template <bool kFma>
FastPairTrace trace_pair(const KernelView& v, int pair, std::int64_t m, double xa, double xb) {
  const Eval e = evaluate<kFma>(v, pair, static_cast<double>(m), xa, xb);
  return {e.sigma, e.trig.c.hi, e.trig.c.lo, e.trig.s.hi, e.trig.s.lo,
          e.za.hi, e.za.lo,     e.zb.hi,     e.zb.lo,     e.bound};
}

// The exact score (fast_path.hpp, fast_score; spec/precision.md, "Exact scores"). Every term is
// a double-double; `err` collects a rigorous bound on everything not carried exactly, and the
// result is returned only when the whole ball rounds to one double.
template <bool kFma>
bool exact_score(const KernelView& v, std::int64_t delta, const double* q, const double* k,
                 int head_dim, double& out) {
  constexpr double u = 0x1p-53;
  const double M = static_cast<double>(delta);  // exact: |delta| < 2^53
  double s_hi = 0, s_lo = 0, err = 0;
  // Adds a double-double (h, l) to (s_hi, s_lo): s_hi + h exactly by TwoSum, the rest rounded
  // once each (at most u times the computed result, round to nearest).
  auto accumulate = [&](double h, double l) {
    const DD t = two_sum(s_hi, h);
    s_hi = t.hi;
    const double a1 = s_lo + t.lo;
    const double a2 = a1 + l;
    err += u * (fabs_(a1) + fabs_(a2));
    s_lo = a2;
  };
  for (int i = 0; i < v.pairs; ++i) {
    const int ca = v.interleaved ? 2 * i : i;
    const int cb = v.interleaved ? 2 * i + 1 : i + v.rotary_dim / 2;
    if (v.kind[i] == PairKind::mpfr_only) return false;
    const double qa = q[ca], qb = q[cb], ka = k[ca], kb = k[cb];
    const Trig tr = trig_of_turns<kFma>(v.table, M, v.t_hi[i], v.t_mid[i], v.t_lo[i]);
    // Renormalise cos and sin (TwoSum: exact) so that |lo| <= u |hi|.
    const DD c = two_sum(tr.c.hi, tr.c.lo), sn = two_sum(tr.s.hi, tr.s.lo);
    // A = q_a k_a + q_b k_b and B = q_a k_b - q_b k_a: the products exactly, their sums by
    // TwoSum, the two product tails added with two roundings each.
    const DD p1 = two_prod<kFma>(qa, ka), p2 = two_prod<kFma>(qb, kb);
    const DD p3 = two_prod<kFma>(qa, kb), p4 = two_prod<kFma>(qb, ka);
    const DD as = two_sum(p1.hi, p2.hi), bs = two_sum(p3.hi, -p4.hi);
    const double a_t = p1.lo + p2.lo, a_lo = as.lo + a_t;
    const double b_t = p3.lo - p4.lo, b_lo = bs.lo + b_t;
    const double P = fabs_(p1.hi) + fabs_(p2.hi) + fabs_(p3.hi) + fabs_(p4.hi);
    err += u * (fabs_(a_t) + fabs_(a_lo) + fabs_(b_t) + fabs_(b_lo));
    // cos and sin are each within 2^-77 of the truth (2^-77.5 derived): |A| + |B| <= P (1 + 2u).
    err += 0x1p-77 * P * (1 + 4 * u);
    // A C + B S: the two leading products exactly, the four cross terms rounded (each term at
    // most 2u P, four products and three sums), the two lo x lo terms (<= 4u^2 P) neglected.
    const DD t1 = two_prod<kFma>(as.hi, c.hi), t2 = two_prod<kFma>(bs.hi, sn.hi);
    const double x1 = as.hi * c.lo, x2 = a_lo * c.hi, x3 = bs.hi * sn.lo, x4 = b_lo * sn.hi;
    const double y1 = x1 + x2, y2 = x3 + x4, cross = y1 + y2;
    err +=
        u * (fabs_(x1) + fabs_(x2) + fabs_(x3) + fabs_(x4) + fabs_(y1) + fabs_(y2) + fabs_(cross)) +
        0x1p-102 * P;
    accumulate(t1.hi, t1.lo);
    accumulate(t2.hi, t2.lo + cross);
    err += u * fabs_(t2.lo + cross);
  }
  // The attention factor, twice (R_d carries a once; the score a^2): (s_hi + s_lo)(a_hi + a_lo)
  // with the product of the highs exact, the cross terms rounded, a_lo s_lo neglected, and the
  // representation error |a - a_hi - a_lo| <= 2^-100 a of each factor.
  if (!v.a_is_one) {
    for (int twice = 0; twice < 2; ++twice) {
      const DD p = two_prod<kFma>(v.a_hi, s_hi);
      const double c1 = v.a_hi * s_lo, c2 = v.a_lo * s_hi, c12 = c1 + c2, lo = p.lo + c12;
      const double mag = fabs_(s_hi) + fabs_(s_lo);
      err = err * (v.a_hi * (1 + 0x1p-99)) + u * (fabs_(c1) + fabs_(c2) + fabs_(c12) + fabs_(lo)) +
            (0x1p-99 * v.a_hi + fabs_(v.a_lo) * u) * mag;
      s_hi = p.hi;
      s_lo = lo;
    }
  }
  for (int j = v.rotary_dim; j < head_dim; ++j) {
    const DD p = two_prod<kFma>(q[j], k[j]);
    accumulate(p.hi, p.lo);
  }
  // The ball (s_hi + s_lo) +- err, err itself computed with a few roundings (1 + 2^-40 covers
  // them) and 2^-1060 for underflowing product tails, must round to one double: certify() with
  // f64's parameters decides exactly that.
  const DD z = two_sum(s_hi, s_lo);
  if (z.hi == 0.0) return false;  // cancellation to zero: leave it to MPFR
  return certify(z, err * (1 + 0x1p-40) + 0x1p-1060, 0, format_params(Dtype::f64), out);
}

#undef ROPECHECK_INLINE

}  // namespace
}  // namespace ropecheck::reference::fast_detail
