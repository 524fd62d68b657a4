#include "reference/metrics.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>


namespace ropecheck::reference {
namespace {

struct DD {
  double hi, lo;
};

DD two_sum(double a, double b) {
  const double s = a + b;
  const double bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

DD two_prod(double a, double b) {
  const double p = a * b;
  return {p, std::fma(a, b, -p)};
}

double sum_squares(std::span<const double> v) {
  long double s = 0;
  for (double x : v) s += static_cast<long double>(x) * x;
  return static_cast<double>(s);
}

}  // namespace

double ulp_distance(double a, double b, Dtype dtype) {
  const std::uint64_t steps = ulp_steps(a, b, dtype);
  return steps == kInfiniteUlps ? std::numeric_limits<double>::infinity()
                                : static_cast<double>(steps);
}

double bits_of_error(double ulps) {
  return std::log2(1.0 + ulps);
}

double absolute_error(double y, double exact_hi, double exact_lo) {
  if (std::isnan(y) || std::isnan(exact_hi))
    return std::isnan(y) && std::isnan(exact_hi) ? 0.0 : std::numeric_limits<double>::infinity();
  if (std::isinf(y) || std::isinf(exact_hi))
    return y == exact_hi ? 0.0 : std::numeric_limits<double>::infinity();
  // (y - hi) is exact when y and hi are close (Sterbenz) and otherwise rounds far below the
  // difference itself; then subtract lo.
  const DD d = two_sum(y, -exact_hi);
  return std::fabs(d.hi + (d.lo - exact_lo));
}

double relative_error(double y, double exact_hi, double exact_lo) {
  const double err = absolute_error(y, exact_hi, exact_lo);
  const double mag = std::fabs(exact_hi + exact_lo);
  if (mag == 0.0) return err == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  return err / mag;
}

double norm_ulp_error(double y, double exact_hi, double exact_lo, double pair_norm, Dtype dtype) {
  return absolute_error(y, exact_hi, exact_lo) / format_ulp(pair_norm, dtype);
}

double nmse(std::span<const double> y, std::span<const double> exact) {
  if (y.size() != exact.size()) throw std::invalid_argument("nmse: sizes differ");
  long double num = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const long double d = static_cast<long double>(y[i]) - exact[i];
    num += d * d;
  }
  const double den = sum_squares(exact);
  if (den == 0.0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(num / den);
}

double score_error(std::span<const double> rq, std::span<const double> rk, double exact_score,
                   std::span<const double> q, std::span<const double> k) {
  if (rq.size() != rk.size() || q.size() != k.size())
    throw std::invalid_argument("score_error: sizes differ");
  // Dot2 (Ogita, Rump, Oishi 2005, Algorithm 5.3): as if computed in twice the precision.
  double s = 0, c = 0;
  for (std::size_t i = 0; i < rq.size(); ++i) {
    const DD p = two_prod(rq[i], rk[i]);
    const DD t = two_sum(s, p.hi);
    s = t.hi;
    c += t.lo + p.lo;
  }
  const DD dot = two_sum(s, c);
  const double err = std::fabs((dot.hi - exact_score) + dot.lo);
  const double norms = std::sqrt(sum_squares(q)) * std::sqrt(sum_squares(k));
  if (norms == 0.0) return err == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  return err / norms;
}

bool MaxTracker::exceeds(double error) const {
  if (count_ == 0) return true;
  if (std::isnan(max_)) return false;
  return std::isnan(error) || error > max_;
}

void MaxTracker::add(double error, std::int64_t position, std::span<const double> input,
                     std::string_view note) {
  if (exceeds(error)) {
    max_ = error;
    position_ = position;
    input_.assign(input.begin(), input.end());
    note_ = note;
  }
  ++count_;
}

void MaxTracker::merge(const MaxTracker& other) {
  if (other.count_ == 0) return;
  const std::uint64_t total = count_ + other.count_;
  if (exceeds(other.max_)) {
    max_ = other.max_;
    position_ = other.position_;
    input_ = other.input_;
    note_ = other.note_;
  }
  count_ = total;
}

std::string MaxTracker::describe() const {
  if (count_ == 0) return metric_ + ": no measurements";
  std::string out = fmt::format("{}: max {} at position {}", metric_, max_, position_);
  if (!note_.empty()) out += " (" + note_ + ")";
  out += ", x = [";
  for (std::size_t i = 0; i < input_.size(); ++i) {
    if (i) out += ", ";
    out += hex_float(input_[i]);
  }
  return out + "]";
}

}  // namespace ropecheck::reference
