#include "reference/trig_table.hpp"

#include <array>

#include "reference/multiprecision.hpp"

namespace ropecheck::reference {
namespace {

// hi = RN(v), lo = RN(v - hi): |v - hi - lo| <= ulp(lo)/2 <= 2^-107 for |v| <= 1, plus the
// 2^-256 of v itself. mpfr_cosu/mpfr_sinu take the exact argument 2 pi k / 2^10 (no rounded pi),
// so the quarter points give exact zeros.
void split(mpfr_srcptr v, double& hi, double& lo) {
  Mp rest = make_mp(512);
  hi = mpfr_get_d(v, MPFR_RNDN);
  mpfr_sub_d(raw(rest), v, hi, MPFR_RNDN);  // exact at 512 bits
  lo = mpfr_get_d(raw(rest), MPFR_RNDN);
}

std::array<TrigEntry, 1 << kTrigTableBits> build() {
  std::array<TrigEntry, 1 << kTrigTableBits> table{};
  Mp c = make_mp(256), s = make_mp(256), k = make_mp(64);
  for (unsigned i = 0; i < table.size(); ++i) {
    mpfr_set_ui(raw(k), i, MPFR_RNDN);
    mpfr_cosu(raw(c), raw(k), 1u << kTrigTableBits, MPFR_RNDN);
    mpfr_sinu(raw(s), raw(k), 1u << kTrigTableBits, MPFR_RNDN);
    split(raw(c), table[i].cos_hi, table[i].cos_lo);
    split(raw(s), table[i].sin_hi, table[i].sin_lo);
  }
  return table;
}

}  // namespace

const TrigEntry* trig_table() {
  static const std::array<TrigEntry, 1 << kTrigTableBits> table = build();
  return table.data();
}

}  // namespace ropecheck::reference
