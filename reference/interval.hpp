// Closed intervals of real numbers with MPFR endpoints rounded outward (interval arithmetic,
// Moore 1966): how the reference carries a certified error bound through the frequency and
// attention-factor formulas of every scaling variant.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "reference/multiprecision.hpp"

namespace ropecheck::reference {

// Thrown when a discrete decision (floor, a comparison, a division by an interval containing
// zero) cannot be made at the current working precision; the caller retries with more bits.
class NeedMorePrecision : public std::runtime_error {
 public:
  NeedMorePrecision() : std::runtime_error("interval too wide for a discrete decision") {}
};

// [lo, hi] at a fixed working precision; every operation below returns an interval that
// contains the exact result for every choice of real arguments inside its operands.
class Interval {
 public:
  explicit Interval(mpfr_prec_t prec) : lo_(make_mp(prec)), hi_(make_mp(prec)) {}

  // The exact point {v} (exact because prec >= 64 holds every double and int64).
  static Interval point(double v, mpfr_prec_t prec);
  static Interval integer(std::int64_t v, mpfr_prec_t prec);

  mpfr_srcptr lo() const { return raw(lo_); }
  mpfr_srcptr hi() const { return raw(hi_); }
  mpfr_ptr lo() { return raw(lo_); }
  mpfr_ptr hi() { return raw(hi_); }
  mpfr_prec_t prec() const { return mpfr_get_prec(raw(lo_)); }
  bool is_point() const { return mpfr_equal_p(raw(lo_), raw(hi_)) != 0; }

 private:
  Mp lo_, hi_;
};

Interval operator+(const Interval& a, const Interval& b);
Interval operator-(const Interval& a, const Interval& b);
Interval operator-(const Interval& a);
Interval operator*(const Interval& a, const Interval& b);
// Throws NeedMorePrecision if b contains 0.
Interval operator/(const Interval& a, const Interval& b);

Interval log(const Interval& a);  // a must be certainly positive (else NeedMorePrecision)
Interval exp(const Interval& a);
Interval sqrt(const Interval& a);  // a must be certainly non-negative
Interval pi_interval(mpfr_prec_t prec);

// Monotone, continuous maps: no decision needed, the image of [lo, hi] is [f(lo), f(hi)].
Interval max_with(const Interval& a, double c);
Interval min_with(const Interval& a, double c);
Interval clamp01(const Interval& a);

// floor/ceil of the real inside `a`: exact when floor(lo) == floor(hi), else NeedMorePrecision.
Interval floor_exact(const Interval& a);
Interval ceil_exact(const Interval& a);

// a < b for every choice (true), for none (false), or undecided (throws NeedMorePrecision).
bool certainly_less(const Interval& a, const Interval& b);

// The width hi - lo rounded up, as a number with `bits` of precision.
Mp width(const Interval& a, mpfr_prec_t bits);

}  // namespace ropecheck::reference
