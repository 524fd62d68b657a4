// The fast path's table of cos and sin at the 2^10 points 2 pi k / 2^10, as double-doubles.
#pragma once

namespace ropecheck::reference {

// cos and sin of one table angle, each as hi + lo with |exact - (hi + lo)| <= 2^-107.
struct TrigEntry {
  double cos_hi, cos_lo, sin_hi, sin_lo;
};

// log2 of the number of table points.
inline constexpr int kTrigTableBits = 10;

// The 2^10 entries for k = 0 .. 1023 (built once from MPFR, thread-safe static).
const TrigEntry* trig_table();

}  // namespace ropecheck::reference
