#include "reference/interval.hpp"

#include <algorithm>
#include <array>

namespace ropecheck::reference {
namespace {

using Op = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t);

// The interval hull of op(x, y) over the four endpoint combinations: valid for * and / whose
// extrema over a box lie at its corners (Moore's case analysis, without the case split).
Interval corners(const Interval& a, const Interval& b, Op op) {
  Interval out(a.prec());
  Mp t = make_mp(a.prec());
  bool first = true;
  const std::array<mpfr_srcptr, 2> xs{a.lo(), a.hi()};
  const std::array<mpfr_srcptr, 2> ys{b.lo(), b.hi()};
  for (mpfr_srcptr x : xs)
    for (mpfr_srcptr y : ys) {
      op(raw(t), x, y, MPFR_RNDD);
      if (first || mpfr_less_p(raw(t), out.lo())) mpfr_set(out.lo(), raw(t), MPFR_RNDD);
      op(raw(t), x, y, MPFR_RNDU);
      if (first || mpfr_greater_p(raw(t), out.hi())) mpfr_set(out.hi(), raw(t), MPFR_RNDU);
      first = false;
    }
  return out;
}

}  // namespace

Interval Interval::point(double v, mpfr_prec_t prec) {
  Interval out(prec);
  mpfr_set_d(out.lo(), v, MPFR_RNDN);
  mpfr_set_d(out.hi(), v, MPFR_RNDN);
  return out;
}

Interval Interval::integer(std::int64_t v, mpfr_prec_t prec) {
  Interval out(prec);
  mpfr_set_sj(out.lo(), v, MPFR_RNDD);
  mpfr_set_sj(out.hi(), v, MPFR_RNDU);
  return out;
}

Interval operator+(const Interval& a, const Interval& b) {
  Interval out(a.prec());
  mpfr_add(out.lo(), a.lo(), b.lo(), MPFR_RNDD);
  mpfr_add(out.hi(), a.hi(), b.hi(), MPFR_RNDU);
  return out;
}

Interval operator-(const Interval& a, const Interval& b) {
  Interval out(a.prec());
  mpfr_sub(out.lo(), a.lo(), b.hi(), MPFR_RNDD);
  mpfr_sub(out.hi(), a.hi(), b.lo(), MPFR_RNDU);
  return out;
}

Interval operator-(const Interval& a) {
  Interval out(a.prec());
  mpfr_neg(out.lo(), a.hi(), MPFR_RNDD);
  mpfr_neg(out.hi(), a.lo(), MPFR_RNDU);
  return out;
}

Interval operator*(const Interval& a, const Interval& b) {
  return corners(a, b, mpfr_mul);
}

Interval operator/(const Interval& a, const Interval& b) {
  if (mpfr_sgn(b.lo()) <= 0 && mpfr_sgn(b.hi()) >= 0) throw NeedMorePrecision();
  return corners(a, b, mpfr_div);
}

Interval log(const Interval& a) {
  if (mpfr_sgn(a.lo()) <= 0) {
    if (mpfr_sgn(a.hi()) <= 0) throw std::domain_error("log of a non-positive number");
    throw NeedMorePrecision();
  }
  Interval out(a.prec());
  mpfr_log(out.lo(), a.lo(), MPFR_RNDD);
  mpfr_log(out.hi(), a.hi(), MPFR_RNDU);
  return out;
}

Interval exp(const Interval& a) {
  Interval out(a.prec());
  mpfr_exp(out.lo(), a.lo(), MPFR_RNDD);
  mpfr_exp(out.hi(), a.hi(), MPFR_RNDU);
  return out;
}

Interval sqrt(const Interval& a) {
  if (mpfr_sgn(a.lo()) < 0) {
    if (mpfr_sgn(a.hi()) < 0) throw std::domain_error("sqrt of a negative number");
    throw NeedMorePrecision();
  }
  Interval out(a.prec());
  mpfr_sqrt(out.lo(), a.lo(), MPFR_RNDD);
  mpfr_sqrt(out.hi(), a.hi(), MPFR_RNDU);
  return out;
}

Interval pi_interval(mpfr_prec_t prec) {
  Interval out(prec);
  mpfr_const_pi(out.lo(), MPFR_RNDD);
  mpfr_const_pi(out.hi(), MPFR_RNDU);
  return out;
}

Interval max_with(const Interval& a, double c) {
  Interval out(a.prec());
  if (mpfr_cmp_d(a.lo(), c) < 0)
    mpfr_set_d(out.lo(), c, MPFR_RNDD);
  else
    mpfr_set(out.lo(), a.lo(), MPFR_RNDD);
  if (mpfr_cmp_d(a.hi(), c) < 0)
    mpfr_set_d(out.hi(), c, MPFR_RNDU);
  else
    mpfr_set(out.hi(), a.hi(), MPFR_RNDU);
  return out;
}

Interval min_with(const Interval& a, double c) {
  return -max_with(-a, -c);
}

Interval clamp01(const Interval& a) {
  return min_with(max_with(a, 0.0), 1.0);
}

Interval floor_exact(const Interval& a) {
  Interval out(a.prec());
  mpfr_floor(out.lo(), a.lo());
  mpfr_floor(out.hi(), a.hi());
  if (!out.is_point()) throw NeedMorePrecision();
  return out;
}

Interval ceil_exact(const Interval& a) {
  Interval out(a.prec());
  mpfr_ceil(out.lo(), a.lo());
  mpfr_ceil(out.hi(), a.hi());
  if (!out.is_point()) throw NeedMorePrecision();
  return out;
}

bool certainly_less(const Interval& a, const Interval& b) {
  if (mpfr_less_p(a.hi(), b.lo())) return true;
  if (mpfr_greaterequal_p(a.lo(), b.hi())) return false;
  throw NeedMorePrecision();
}

Mp width(const Interval& a, mpfr_prec_t bits) {
  Mp w = make_mp(bits);
  mpfr_sub(raw(w), a.hi(), a.lo(), MPFR_RNDU);
  return w;
}

}  // namespace ropecheck::reference
