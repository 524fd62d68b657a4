#include "reference/coefficient_scan.hpp"

#include <stdexcept>

#include "reference/trig_table.hpp"

namespace ropecheck::reference {
namespace {

// The nearest integer to x, ties to even, for |x| < 2^51: adding 1.5 * 2^52 leaves no fraction
// bits, so the addition itself rounds (branch-free, so the loops below vectorize).
inline double nearest(double x) {
  return (x + 0x1.8p52) - 0x1.8p52;
}

// 2 pi rounded to double (|2 pi - kTwoPi| <= 2^-51; the bound in precision.md counts it).
constexpr double kTwoPi = 0x1.921fb54442d18p+2;

// One step of every pair and the coefficients at the position before it, structure of arrays so
// that the compiler vectorizes across pairs (the avx2 clone gathers the table four entries at a
// time). Each operation and its error is in spec/precision.md, "Coefficients at consecutive
// positions"; -ffp-contract=off keeps both clones' arithmetic identical.
__attribute__((target_clones("avx2", "default"))) void scan_step(
    int n, const TrigEntry* __restrict table, const double* __restrict t_hi,
    const double* __restrict t_rest, double* __restrict r_hi, double* __restrict r_lo, double a,
    double* __restrict c, double* __restrict s) {
  for (int i = 0; i < n; ++i) {
    const double rh = r_hi[i], rl = r_lo[i];
    // E1: table point k/1024 nearest to the turn count, delta = r - k/1024 (one rounding).
    const double kd = nearest(rh * 1024.0);
    const double delta = (rh - kd * 0x1p-10) + rl;
    const int k = static_cast<int>(kd) & ((1 << kTrigTableBits) - 1);
    // E2: u = 2 pi delta, |u| <= 2^-8.35; cos u - 1 and sin u - u by short Taylor sums.
    const double u = kTwoPi * delta;
    const double q = u * u;
    const double cm = q * (-0.5 + q * (1.0 / 24 + q * (-1.0 / 720)));
    const double sm = (u * q) * (-1.0 / 6 + q * (1.0 / 120));
    // E3: cos(A + u) = Ca (1 + cm) - Sa (u + sm), sin(A + u) = Sa (1 + cm) + Ca (u + sm), the
    // table's leading parts added last.
    const double ch = table[k].cos_hi, cl = table[k].cos_lo;
    const double sh = table[k].sin_hi, sl = table[k].sin_lo;
    const double cv = ch + ((cl + ch * cm) - (sh * u + (sh * sm + sl * u)));
    const double sv = sh + ((sl + sh * cm) + (ch * u + (ch * sm + cl * u)));
    // Times a (exact when a = 1: no branch in the loop).
    c[i] = cv * a;
    s[i] = sv * a;
    // I: r + t modulo one; TwoSum of the leading parts is exact, the small parts round twice.
    const double sum = rh + t_hi[i];
    const double bb = sum - rh;
    const double err = (rh - (sum - bb)) + (t_hi[i] - bb);
    const double whole = sum - nearest(sum);  // exact: |sum| < 2^11, the fraction is a double
    const double small = (err + rl) + t_rest[i];
    const double nh = whole + small;
    const double nb = nh - whole;
    r_hi[i] = nh;
    r_lo[i] = (whole - (nh - nb)) + (small - nb);
  }
}

}  // namespace

bool CoefficientScan::usable(const FastPathData& data) {
  for (PairKind k : data.kind)
    if (k != PairKind::rotates) return false;
  return data.pairs > 0 && data.a_hi > 0x1p-900 && data.a_hi < 0x1p900;
}

CoefficientScan::CoefficientScan(const FastPathData& data)
    : data_(&data), a_(data.a_hi), a_is_one_(data.a_is_one) {
  if (!usable(data))
    throw std::invalid_argument("coefficient scan: a pair does not rotate on the fast path");
  const auto n = static_cast<std::size_t>(data.pairs);
  t_hi_.assign(data.t_hi.begin(), data.t_hi.end());
  t_rest_.resize(n);
  for (std::size_t i = 0; i < n; ++i) t_rest_[i] = data.t_mid[i] + data.t_lo[i];
  r_hi_.assign(n, 0.0);
  r_lo_.assign(n, 0.0);
  // Derived: cos/sin within 2^-52.97 (E1-E3), times a with one more rounding and a_hi's own
  // 2^-53: 3.1 * 2^-53 a; used with a factor 1.3 of margin.
  bound_ = 0x1p-51 * (a_is_one_ ? 1.0 : a_ * (1 + 0x1p-40));
}

void CoefficientScan::start(std::int64_t m) {
  if (m < 0 || m >= (std::int64_t{1} << 53) - kResync)
    throw std::out_of_range("coefficient scan: position outside [0, 2^53 - 4096)");
  position_ = m;
  for (int i = 0; i < pairs(); ++i) {
    const Turns t = fast_turns(*data_, i, m);
    r_hi_[static_cast<std::size_t>(i)] = t.hi;
    r_lo_[static_cast<std::size_t>(i)] = t.lo;
  }
  since_sync_ = 0;
}

void CoefficientScan::next(double* c, double* s) {
  if (since_sync_ == kResync) start(position_);
  scan_step(pairs(), trig_table(), t_hi_.data(), t_rest_.data(), r_hi_.data(), r_lo_.data(),
            a_is_one_ ? 1.0 : a_, c, s);
  ++position_;
  ++since_sync_;
}

}  // namespace ropecheck::reference
