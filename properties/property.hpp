// A property of RoPE as a reusable check: statement, measured quantity, derived bound, verdict.
// Statements and bounds are written out in spec/properties.md and spec/precision.md.
#pragma once

#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "properties/subject.hpp"
#include "properties/test_case.hpp"

namespace ropecheck::properties {

// The outcome of one property on one test case: the worst measured quantity against its bound.
struct CheckResult {
  bool passed = true;
  double measured = 0;
  double bound = 0;
  std::int64_t position = 0;
  std::string detail;  // what was compared where, with the values in hex

  // Keeps the case with the largest measured/bound ratio, failing if measured > bound. `what`
  // says what was compared, in hex: a string, or a function returning one, which is called only
  // for an observation that is kept (a check observing every channel keeps few of them, and
  // formatting each one's values was a twentieth of `ropecheck check`'s time).
  template <class What>
  void observe(double measured_value, double bound_value, std::int64_t at, What&& what) {
    if (keeps(measured_value, bound_value)) {
      measured = measured_value;
      bound = bound_value;
      position = at;
      if constexpr (std::is_invocable_v<What>)
        detail = what();
      else
        detail = std::forward<What>(what);
    }
    // NaN measured where a number is due is a failure however large the bound.
    passed = passed && measured_value <= bound_value;
  }

 private:
  // Whether an observation replaces the kept one: a first failure, a larger ratio of the same
  // verdict, or the first observation.
  bool keeps(double measured_value, double bound_value) const;
};

struct Property {
  std::string name;                 // e.g. "reference_agreement"
  std::string statement;            // one line
  bool negative_positions = false;  // whether cases may use negative positions (pure math)
  std::function<bool(const Subject&, const RopeConfig&)> applies;
  std::function<CheckResult(const Subject&, const TestCase&)> check;
};

// Every property that applies to a single subject (forms agreement, which compares subjects,
// and sinusoidal shift-linearity, which concerns impl/sinusoidal.hpp, live in the test suite).
const std::vector<Property>& all_properties();
const Property& find_property(const std::string& name);

}  // namespace ropecheck::properties
