// Thin helpers over Boost.Multiprecision's mpfr_float: creation at a given bit precision and
// access to the raw mpfr_t, which the reference uses for every operation whose rounding
// direction matters (Boost's expression templates always round to nearest).
#pragma once

#include <mpfr.h>
#include <boost/multiprecision/mpfr.hpp>

namespace ropecheck::reference {

// A multiprecision number (Boost's variable-precision MPFR backend).
using Mp = boost::multiprecision::mpfr_float;

// MPFR keeps per-thread caches (pi, log 2, ...) that only mpfr_free_cache2 releases. Every
// thread that creates an MPFR number frees its own on exit, so threads that come and go (the
// audit's workers, the tests' threads) leak nothing (LeakSanitizer in ci/sanitize.sh checks).
inline void release_mpfr_caches_at_thread_exit() {
  struct Releaser {
    ~Releaser() { mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE); }
  };
  thread_local Releaser releaser;
  (void)releaser;
}

// A number with exactly `bits` of precision, holding NaN until assigned.
inline Mp make_mp(mpfr_prec_t bits) {
  release_mpfr_caches_at_thread_exit();
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
