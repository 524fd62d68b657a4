// Each mutant of the catalogue must be caught: the battery must report a failing property with
// a shrunk counterexample, while the correct implementation it mutates passes the same battery.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <iostream>

#include "properties/battery.hpp"
#include "properties/mutants.hpp"

namespace ropecheck::properties {
namespace {

class MutantIsCaught : public ::testing::TestWithParam<MutantInfo> {};

TEST_P(MutantIsCaught, ByAProperty) {
  const auto mutant = make_mutant(GetParam().name);
  BatteryOptions options;
  options.cases_per_property = 100;
  const BatteryReport report = run_battery(*mutant, options);
  int caught = 0;
  for (const Finding& f : report.findings) {
    if (f.passed) continue;
    ++caught;
    std::cout << fmt::format("{} caught by {} (measured {:.3e} > bound {:.3e} at position {})\n  {}\n",
                             mutant->name(), f.property, f.measured, f.bound, f.position, f.detail);
  }
  EXPECT_GT(caught, 0) << mutant->name() << " (" << GetParam().bug_class << ") passed every property";
}

INSTANTIATE_TEST_SUITE_P(Catalogue, MutantIsCaught, ::testing::ValuesIn(mutant_catalogue()),
                         [](const ::testing::TestParamInfo<MutantInfo>& info) {
                           std::string name = info.param.name;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

TEST(MutantCatalogue, HasAtLeastTwelveBugClasses) { EXPECT_GE(mutant_catalogue().size(), 12u); }

}  // namespace
}  // namespace ropecheck::properties
