// The one "within bound B of the correctly rounded result" matcher, in the style of llvm-libc's
// MPFR matchers: feed it outputs with the exact value and the derived bound of each; it keeps
// the verdict, the counts and the worst case, and explains it with replayable hex floats.
#pragma once

#include <cstdint>
#include <string>

namespace ropecheck::properties {

// One output compared with the exact result.
struct MatchCase {
  std::int64_t position = 0;
  int channel = -1;
  double got = 0;
  double expected = 0;  // the exact result, correctly rounded to f64
  double error = 0;     // |got - expected|; +inf for NaN on one side only, 0 for NaN on both
  double bound = 0;
  // error / bound: +inf when the error is positive and the bound 0, 0 when both are 0.
  double ratio() const;
  bool within() const { return error <= bound; }
};

class WithinBound {
 public:
  // Compares one output; returns whether it is within its bound.
  bool expect(double got, double expected, double bound, std::int64_t position, int channel);

  bool passed() const { return misses_ == 0; }
  std::uint64_t count() const { return count_; }
  std::uint64_t misses() const { return misses_; }
  // The case that decides the verdict: the first of the largest error/bound ratio among the
  // outputs outside their bound, or among all outputs when every one is within. Throws
  // std::logic_error before any output was compared.
  const MatchCase& worst() const;
  // "channel 5 = 0x1.8p-3 (expected 0x1.80001p-3)": the worst case's values.
  std::string worst_values() const;
  // One line: the verdict, the worst case (position, channel, got, expected, error, bound,
  // ratio) and how many outputs were outside the bound.
  std::string explain() const;

 private:
  std::uint64_t count_ = 0;
  std::uint64_t misses_ = 0;
  MatchCase worst_;
};

}  // namespace ropecheck::properties
