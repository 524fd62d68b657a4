// Thin helpers over Boost.Multiprecision's mpfr_float: creation at a given bit precision and
// access to the raw mpfr_t, which the reference uses for every operation whose rounding
// direction matters (Boost's expression templates always round to nearest).
#pragma once

#include <mpfr.h>
#include <boost/multiprecision/mpfr.hpp>

namespace ropecheck::reference {

// A multiprecision number (Boost's variable-precision MPFR backend).
using Mp = boost::multiprecision::mpfr_float;

// A number with exactly `bits` of precision, holding NaN until assigned.
inline Mp make_mp(mpfr_prec_t bits) {
  Mp value;
  mpfr_set_prec(value.backend().data(), bits);
  return value;
}

// The raw MPFR handle of a number (for calls with explicit rounding modes).
inline mpfr_ptr raw(Mp& value) {
  return value.backend().data();
}
inline mpfr_srcptr raw(const Mp& value) {
  return value.backend().data();
}

}  // namespace ropecheck::reference
