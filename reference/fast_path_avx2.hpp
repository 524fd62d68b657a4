// The fast path four pairs at a time (AVX2 + FMA3). Every lane performs exactly the operations
// of the scalar kernel in fast_path_kernel.hpp, in the same order, so its results are those of
// FastVariant::fma bit for bit; lanes the vector code does not cover (non-finite, zero or extreme
// inputs, p-RoPE's still pairs, outputs near the subnormal or overflow range) go through the
// scalar code. Included only by fast_path_fma.cpp, under the target "avx2,fma".
#pragma once

#include <immintrin.h>

#include "reference/fast_path_kernel.hpp"

namespace ropecheck::reference::fast_detail {
namespace {

typedef double v4d __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));
typedef unsigned long long v4u __attribute__((vector_size(32)));

#define ROPECHECK_INLINE inline __attribute__((always_inline))

struct DD4 {
  v4d hi, lo;
};

ROPECHECK_INLINE v4d splat(double x) {
  return v4d{x, x, x, x};
}
ROPECHECK_INLINE v4i splat_i(long long x) {
  return v4i{x, x, x, x};
}
ROPECHECK_INLINE v4d abs4(v4d x) {
  return (v4d)((v4i)x & splat_i(0x7fffffffffffffffLL));
}
// |x| with the sign of s.
ROPECHECK_INLINE v4d copysign4(v4d x, v4d s) {
  return (v4d)(((v4i)x & splat_i(0x7fffffffffffffffLL)) |
               ((v4i)s & splat_i(static_cast<long long>(0x8000000000000000ULL))));
}
ROPECHECK_INLINE v4d fma4(v4d a, v4d b, v4d c) {
  return (v4d)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
}
// Ties-to-even rounding to an integer, the same function as nearest_int().
ROPECHECK_INLINE v4d nearest4(v4d x) {
  return (v4d)_mm256_round_pd((__m256d)x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
ROPECHECK_INLINE v4d pow2_4(v4i k) {
  return (v4d)((k + 1023) << 52);
}  // 2^k, -1022 <= k <= 1023
ROPECHECK_INLINE int lanes(v4i mask) {
  return _mm256_movemask_pd((__m256d)mask);
}

ROPECHECK_INLINE DD4 two_sum4(v4d a, v4d b) {
  const v4d s = a + b;
  const v4d bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}
ROPECHECK_INLINE DD4 fast_two_sum4(v4d a, v4d b) {
  const v4d s = a + b;
  return {s, b - (s - a)};
}
ROPECHECK_INLINE DD4 two_prod4(v4d a, v4d b) {
  const v4d p = a * b;
  return {p, fma4(a, b, -p)};
}

// Four table entries' field at byte offset `field` (0 cos_hi, 8 cos_lo, 16 sin_hi, 24 sin_lo).
ROPECHECK_INLINE v4d gather4(const TrigEntry* table, __m128i index4, int field) {
  const double* base =
      reinterpret_cast<const double*>(reinterpret_cast<const char*>(table) + field);
  // The masked form with a zero source: GCC 12 warns about the unmasked one's undefined source.
  return (v4d)_mm256_mask_i32gather_pd(_mm256_setzero_pd(), base, index4,
                                       _mm256_castsi256_pd(_mm256_set1_epi64x(-1)), 8);
}

struct Trig4 {
  DD4 c, s;
};

// trig_of_turns<true>, lane by lane.
ROPECHECK_INLINE Trig4 trig_of_turns4(const TrigEntry* table, v4d M, v4d t_hi, v4d t_mid,
                                      v4d t_lo) {
  const DD4 a = two_prod4(M, t_hi);
  const DD4 b = two_prod4(M, t_mid);
  const v4d p3 = M * t_lo;
  const v4d f1 = a.hi - nearest4(a.hi);
  const v4d g1 = a.lo - nearest4(a.lo);
  const v4d f2 = b.hi - nearest4(b.hi);
  const DD4 s1 = two_sum4(f1, f2);
  const DD4 s2 = two_sum4(s1.hi, g1);
  const v4d h = s2.hi - nearest4(s2.hi);
  const v4d lo = ((s1.lo + s2.lo) + b.lo) + p3;
  const DD4 r = two_sum4(h, lo);
  const v4d kd = nearest4(r.hi * splat(1024.0));
  const DD4 delta = fast_two_sum4(r.hi - kd * splat(0x1p-10), r.lo);
  const DD4 u0 = two_prod4(splat(kTwoPiHi), delta.hi);
  const v4d uh = u0.hi, ul = u0.lo + (splat(kTwoPiHi) * delta.lo + splat(kTwoPiLo) * delta.hi);
  // kd is an integer in [-513, 513]: the conversion is exact; the entry's index is kd mod 2^10,
  // times 4 doubles per entry.
  const __m128i k = _mm_slli_epi32(
      _mm_and_si128(_mm256_cvtpd_epi32((__m256d)kd), _mm_set1_epi32((1 << kTrigTableBits) - 1)), 2);
  const v4d cos_hi = gather4(table, k, 0), cos_lo = gather4(table, k, 8);
  const v4d sin_hi = gather4(table, k, 16), sin_lo = gather4(table, k, 24);

  const DD4 q0 = two_prod4(uh, uh);
  const v4d qh = q0.hi, ql = q0.lo + splat(2.0) * uh * ul;
  const v4d cm_hi = splat(-0.5) * qh;
  const v4d cm_lo =
      splat(-0.5) * ql + (qh * qh) * (splat(kC4) + qh * (splat(kC6) + qh * splat(kC8)));
  const v4d sm = (uh * qh) * (splat(kS3) + qh * (splat(kS5) + qh * splat(kS7)));

  const DD4 ca1 = two_prod4(cos_hi, cm_hi);
  const DD4 cb1 = two_prod4(sin_hi, uh);
  const DD4 cv = two_sum4(ca1.hi, -cb1.hi);
  const DD4 ch = two_sum4(cos_hi, cv.hi);
  const v4d c_small = ((ch.lo + cv.lo) + cos_lo) + (ca1.lo - cb1.lo);
  const v4d c_mid = (cos_hi * cm_lo + cos_lo * cm_hi) - ((sin_hi * ul + sin_lo * uh) + sin_lo * sm);
  const v4d c_lo = (c_small + c_mid) - sin_hi * sm;

  const DD4 sa1 = two_prod4(sin_hi, cm_hi);
  const DD4 sb1 = two_prod4(cos_hi, uh);
  const DD4 sv = two_sum4(sa1.hi, sb1.hi);
  const DD4 sh = two_sum4(sin_hi, sv.hi);
  const v4d s_small = ((sh.lo + sv.lo) + sin_lo) + (sa1.lo + sb1.lo);
  const v4d s_mid = (sin_hi * cm_lo + sin_lo * cm_hi) + ((cos_hi * ul + cos_lo * uh) + cos_lo * sm);
  const v4d s_lo = (s_small + s_mid) + cos_hi * sm;
  return {{ch.hi, c_lo}, {sh.hi, s_lo}};
}

// certify() for the lanes whose output is a normal number of F with a normal quantum (the common
// case): returns the mask of lanes decided here (`handled`) and, among them, those certified.
ROPECHECK_INLINE v4i certify4(const DD4& z, v4d bound, v4i sigma, const FormatParams& f, v4d& out,
                              v4i& handled) {
  const v4i be = (v4i)(((v4u)z.hi >> 52) & (v4u)splat_i(0x7ff));
  const v4i e = be - 1023;
  const v4i eu = e + sigma;
  const v4i q = eu - (f.p - 1);
  handled = (be >= 200) & (be <= 1800) & (q > f.qmin) & (q >= -1022) & (eu <= f.emax);
  const v4d inv = pow2_4(-(q - sigma));  // q - sigma = e - p + 1 in [-875, 777]
  const v4d n = z.hi * inv;
  const v4d r = nearest4(n);
  const v4d d = (n - r) + z.lo * inv;
  const v4d eq = bound * inv;
  constexpr double kSlack = 0x1p-40;
  v4i ok = (abs4(d) + eq) < splat(0.5 - kSlack);
  const v4i at_pow = abs4(r) == splat(f.half_pow);
  ok &= ~at_pow | ((eq - d * copysign4(splat(1.0), r)) < splat(0.25 - kSlack));
  v4d y = r * pow2_4(q);
  y = abs4(y) > splat(f.max_finite) ? copysign4(splat(__builtin_inf()), y) : y;
  out = y;
  return ok & handled;
}

void run_kernel_avx2(const KernelView& v, std::int64_t m, const double* x, double* y,
                     PairStatus* status) {
  const v4d M = splat(static_cast<double>(m));
  const int half = v.rotary_dim / 2;
  int i = 0;
  for (; i + 4 <= v.pairs; i += 4) {
    // Lanes of other kinds (p-RoPE's still pairs, MPFR-only) are rare: do the block one by one.
    if (v.kind[i] != PairKind::rotates || v.kind[i + 1] != PairKind::rotates ||
        v.kind[i + 2] != PairKind::rotates || v.kind[i + 3] != PairKind::rotates) {
      for (int j = i; j < i + 4; ++j) process_pair<true>(v, j, m, x, y, status);
      continue;
    }
    v4d xa, xb;
    if (v.interleaved) {
      xa = v4d{x[2 * i], x[2 * i + 2], x[2 * i + 4], x[2 * i + 6]};
      xb = v4d{x[2 * i + 1], x[2 * i + 3], x[2 * i + 5], x[2 * i + 7]};
    } else {
      xa = (v4d)_mm256_loadu_pd(x + i);
      xb = (v4d)_mm256_loadu_pd(x + i + half);
    }
    // evaluate<true>, lane by lane (S1 scaling; lanes needing frexp go scalar).
    const v4d axa = abs4(xa), axb = abs4(xb);
    const v4d mx = axa > axb ? axa : axb;
    const v4i be = (v4i)((v4u)mx >> 52);
    v4i vector_lane = (axa <= splat(0x1.fffffffffffffp+1023)) &
                      (axb <= splat(0x1.fffffffffffffp+1023)) & (be >= 64) & (be <= 1983);
    if (m == 0) vector_lane &= (axa != splat(0.0)) & (axb != splat(0.0));
    const int vector_mask = lanes(vector_lane);
    if (vector_mask == 0) {
      for (int j = i; j < i + 4; ++j) process_pair<true>(v, j, m, x, y, status);
      continue;
    }
    const v4i sigma = be - 1022;
    const v4d scale = pow2_4(-sigma);
    const v4d xs = xa * scale, ys = xb * scale;
    const Trig4 tr =
        trig_of_turns4(v.table, M, (v4d)_mm256_loadu_pd(v.t_hi + i),
                       (v4d)_mm256_loadu_pd(v.t_mid + i), (v4d)_mm256_loadu_pd(v.t_lo + i));
    const DD4 p1 = two_prod4(xs, tr.c.hi), p2 = two_prod4(ys, tr.s.hi);
    const DD4 w = two_sum4(p1.hi, -p2.hi);
    v4d wh = w.hi, wl = (w.lo + (p1.lo - p2.lo)) + (xs * tr.c.lo - ys * tr.s.lo);
    const DD4 q1 = two_prod4(xs, tr.s.hi), q2 = two_prod4(ys, tr.c.hi);
    const DD4 z = two_sum4(q1.hi, q2.hi);
    v4d vh = z.hi, vl = (z.lo + (q1.lo + q2.lo)) + (xs * tr.s.lo + ys * tr.c.lo);
    if (!v.a_is_one) {
      const DD4 aw = two_prod4(splat(v.a_hi), wh), av = two_prod4(splat(v.a_hi), vh);
      wl = aw.lo + (splat(v.a_hi) * wl + splat(v.a_lo) * wh);
      vl = av.lo + (splat(v.a_hi) * vl + splat(v.a_lo) * vh);
      wh = aw.hi;
      vh = av.hi;
    }
    const DD4 za = two_sum4(wh, wl), zb = two_sum4(vh, vl);
    const v4d bound = splat(v.bound) * (abs4(xs) + abs4(ys));
    if (v.exact.ok && !v.interleaved && vector_mask == 0xf) {
      // All four lanes evaluated, half-split channels contiguous: store_exact four at a time.
      const v4d s = pow2_4(sigma);  // sigma in [-958, 961] on vector lanes
      const v4d ha = za.hi * s, hb = zb.hi * s, e = bound * s + splat(0x1p-1073);
      const v4i fine = (abs4(ha) <= splat(0x1.fffffffffffffp+1023)) &
                       (abs4(hb) <= splat(0x1.fffffffffffffp+1023)) & (e <= splat(0x1p+900));
      _mm256_storeu_pd(v.exact.hi + i, (__m256d)ha);
      _mm256_storeu_pd(v.exact.hi + i + half, (__m256d)hb);
      _mm256_storeu_pd(v.exact.lo + i, (__m256d)(za.lo * s));
      _mm256_storeu_pd(v.exact.lo + i + half, (__m256d)(zb.lo * s));
      _mm256_storeu_pd(v.exact.bound + i, (__m256d)e);
      const int fine_mask = lanes(fine);
      for (int j = 0; j < 4; ++j) v.exact.ok[i + j] = (fine_mask >> j) & 1;
    } else if (v.exact.ok) {
      for (int j = 0; j < 4; ++j) {
        if (!(vector_mask & (1 << j))) continue;  // process_pair below stores those
        const int ca = v.interleaved ? 2 * (i + j) : i + j;
        const int cb = v.interleaved ? 2 * (i + j) + 1 : i + j + half;
        store_exact(v.exact, i + j, ca, cb, za.hi[j], za.lo[j], zb.hi[j], zb.lo[j], bound[j],
                    static_cast<int>(sigma[j]));
      }
    }

    v4d ya, yb;
    v4i handled_a, handled_b;
    const int ok_a = lanes(certify4(za, bound, sigma, v.fmt, ya, handled_a));
    const int ok_b = lanes(certify4(zb, bound, sigma, v.fmt, yb, handled_b));
    const int handled_mask_a = lanes(handled_a), handled_mask_b = lanes(handled_b);
    if (!v.interleaved && vector_mask == 0xf && (ok_a & ok_b) == 0xf) {
      _mm256_storeu_pd(y + i, (__m256d)ya);
      _mm256_storeu_pd(y + i + half, (__m256d)yb);
      for (int j = 0; j < 4; ++j) status[i + j] = PairStatus::certified;
      continue;
    }
    for (int j = 0; j < 4; ++j) {
      const int lane = 1 << j;
      if (!(vector_mask & lane)) {
        process_pair<true>(v, i + j, m, x, y, status);
        continue;
      }
      const int ca = v.interleaved ? 2 * (i + j) : i + j;
      const int cb = v.interleaved ? 2 * (i + j) + 1 : i + j + half;
      double out_a = ya[j], out_b = yb[j];
      bool ok;
      if (handled_mask_a & handled_mask_b & lane) {
        ok = (ok_a & lane) && (ok_b & lane);
      } else {
        // Near the subnormal or overflow range: the scalar rounding test on the same z.
        const int s = static_cast<int>(sigma[j]);
        ok = ((handled_mask_a & lane) ? (ok_a & lane) != 0
                                      : certify({za.hi[j], za.lo[j]}, bound[j], s, v.fmt, out_a)) &&
             ((handled_mask_b & lane) ? (ok_b & lane) != 0
                                      : certify({zb.hi[j], zb.lo[j]}, bound[j], s, v.fmt, out_b));
      }
      if (ok) {
        y[ca] = out_a;
        y[cb] = out_b;
        status[i + j] = PairStatus::certified;
      } else {
        status[i + j] = PairStatus::fallback;
      }
    }
  }
  for (; i < v.pairs; ++i) process_pair<true>(v, i, m, x, y, status);
}

#undef ROPECHECK_INLINE

}  // namespace
}  // namespace ropecheck::reference::fast_detail
