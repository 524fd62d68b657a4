// Every property over every registered implementation, by property-based testing: rapidcheck
// generates configurations, positions and vectors, and shrinks any failure to a small,
// replayable counterexample (printed with a `ropecheck rotate` request).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <fmt/format.h>

#include "properties/generators.hpp"
#include "properties/property.hpp"
#include "properties/subject.hpp"

namespace ropecheck::properties {
namespace {

struct SuiteCase {
  const Property* property;
  const Implementation* impl;
};

std::vector<SuiteCase> suite_cases() {
  std::vector<SuiteCase> out;
  for (const Property& p : all_properties())
    for (const Implementation& impl : all_implementations()) out.push_back({&p, &impl});
  return out;
}

// Test names and failure messages show the property and the implementation, not raw bytes.
void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.property->name << " on " << c.impl->name(); }

class PropertySuite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(PropertySuite, Holds) {
  const Property& property = *GetParam().property;
  const auto subject = registry_subject(*GetParam().impl);
  const bool held = rc::check(fmt::format("{} on {}", property.name, subject->name()), [&] {
    const TestCase c = *gen_case(subject->dtype(), property.negative_positions);
    RC_PRE(property.applies(*subject, c.config));
    const CheckResult r = property.check(*subject, c);
    if (!r.passed)
      RC_FAIL(fmt::format("{} failed on {}: measured {:.3e} > bound {:.3e} at position {}\n  {}\n"
                       "  replay: ropecheck rotate <<< '{}'",
                       property.name, subject->name(), r.measured, r.bound, r.position, r.detail,
                       replay_request(c, subject->name())));
  });
  EXPECT_TRUE(held);
}

INSTANTIATE_TEST_SUITE_P(
    AllImplementations, PropertySuite, ::testing::ValuesIn(suite_cases()),
    [](const ::testing::TestParamInfo<SuiteCase>& info) {
      std::string name = info.param.property->name + "_" + info.param.impl->name();
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

}  // namespace
}  // namespace ropecheck::properties
