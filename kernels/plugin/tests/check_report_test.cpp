// The renderings of a check run: JUnit XML (escaped, one testcase per property x config),
// JSON, and the terminal summary naming every failed finding.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/plugin/check_report.hpp"

namespace ropecheck::kernels {
namespace {

CheckReport sample() {
  CheckReport report;
  report.library = "lib<x>.so";
  SubjectOutcome s;
  s.subject = "k:f32";
  s.kernel = "k";
  s.dtype = "f32";
  s.bound = "f32";
  ConfigOutcome ok;
  ok.config = "llama-2-7b";
  ok.findings.push_back({"reference_agreement", "llama-2-7b", true, 1e-7, 1e-6, 5, ""});
  ok.findings.push_back({kNoCrash, "llama-2-7b", false, 2, 0, 70000, "crash (SIGSEGV) & \"more\""});
  ok.findings.push_back({kPositionSweep, "llama-2-7b", false, 5e-2, 2.5e-2, 1 << 20,
                         "within the f32 bound up to position 1024, outside it from 2^20"});
  // A sweep that crosses 1e-3 at 1024 and both 1e-2 and its bound at 2^20.
  ok.sweep = {{0, 0, 0}, {1, 1e-7, 0.1}, {1024, 2e-3, 0.5}, {1 << 20, 5e-2, 2.0}};
  ok.stats.nan_outputs = 3;
  ok.stats.rows = 10;
  ConfigOutcome skipped;
  skipped.config = "phi-3-mini-128k";
  skipped.skipped = "rope_type longrope not supported";
  s.configs = {ok, skipped};
  report.subjects.push_back(s);
  return report;
}

TEST(CheckReport, JUnitHasOneTestcasePerPropertyAndConfig) {
  const std::string xml = junit_xml(sample());
  EXPECT_NE(
      xml.find("<testsuite name=\"k:f32\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\">"),
      std::string::npos)
      << xml;
  // A passing testcase carries its margin: measured 1e-7 of a 1e-6 bound.
  EXPECT_NE(xml.find("<testcase classname=\"k:f32.llama-2-7b\" name=\"reference_agreement\">\n"
                     "      <properties>\n"
                     "        <property name=\"measured\" value=\"1e-07\"/>\n"
                     "        <property name=\"bound\" value=\"1e-06\"/>\n"
                     "        <property name=\"margin\" value=\"0.1\"/>\n"),
            std::string::npos)
      << xml;
  // The sweep's safe-up-to positions and its band table.
  EXPECT_NE(xml.find("<property name=\"safe_up_to_0.001\" value=\"1\"/>"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<property name=\"safe_up_to_0.01\" value=\"1024\"/>"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<property name=\"safe_up_to_bound\" value=\"1024\"/>"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<system-out>band"), std::string::npos) << xml;
  EXPECT_NE(xml.find("[2^20,2^24)  1"), std::string::npos) << xml;
  EXPECT_NE(xml.find("crash (SIGSEGV) &amp; &quot;more&quot;"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<skipped message=\"not applicable: rope_type longrope not supported\"/>"),
            std::string::npos);
  EXPECT_NE(xml.find("lib&lt;x&gt;.so"), std::string::npos);
}

TEST(CheckReport, SubjectThatRanNowhereFailsInJUnit) {
  CheckReport report = sample();
  report.subjects[0].configs.erase(report.subjects[0].configs.begin());
  EXPECT_FALSE(report.passed());
  EXPECT_NE(junit_xml(report).find("name=\"supported-configurations\""), std::string::npos);
}

TEST(CheckReport, JsonCarriesFindingsAndCounts) {
  const nlohmann::json j = check_json(sample());
  EXPECT_FALSE(j["passed"].get<bool>());
  const auto& config = j["subjects"][0]["configs"][0];
  EXPECT_EQ(config["nan_outputs"], 3);
  EXPECT_EQ(config["findings"][1]["property"], kNoCrash);
  EXPECT_EQ(config["findings"][1]["position"], 70000);
  EXPECT_EQ(j["subjects"][0]["configs"][1]["not_applicable"], "rope_type longrope not supported");
}

TEST(CheckReport, MarginIsMeasuredOverBound) {
  EXPECT_EQ(finding_margin({"p", "c", true, 1e-7, 1e-6, 5, ""}), 1e-7 / 1e-6);
  EXPECT_EQ(finding_margin({"p", "c", false, 3, 2, 5, ""}), 1.5);
  // A kernel-level property has no numeric bound: no margin while it holds, infinite when not.
  EXPECT_FALSE(finding_margin({kNoCrash, "c", true, 0, 0, 0, ""}));
  EXPECT_TRUE(std::isinf(*finding_margin({kNoCrash, "c", false, 2, 0, 0, ""})));
  properties::Finding not_applicable{"p", "c", true, 0, 0, 0, ""};
  not_applicable.not_applicable = true;
  EXPECT_FALSE(finding_margin(not_applicable));
}

TEST(CheckReport, SweepIsSummarisedWithTheAuditsBands) {
  const SweepSummary summary = summarise_sweep(sample().subjects[0].configs[0].sweep);
  ASSERT_EQ(summary.bands.size(), 3u);  // [0,2^10), [2^10,2^16), [2^20,2^24)
  EXPECT_EQ(summary.bands[0].positions, 2u);
  EXPECT_EQ(summary.bands[0].max_error, 1e-7);
  EXPECT_EQ(summary.bands[0].max_error_position, 1);
  EXPECT_EQ(summary.bands[1].lo, 1024);
  EXPECT_EQ(summary.bands[2].max_ratio, 2.0);
  ASSERT_EQ(summary.safe.size(), 2u);
  EXPECT_EQ(summary.safe[0].safe_up_to, 1);
  EXPECT_TRUE(summary.safe[0].exceeded);
  EXPECT_EQ(summary.safe[1].safe_up_to, 1024);
  EXPECT_EQ(summary.within_bound.safe_up_to, 1024);
  EXPECT_TRUE(summary.within_bound.exceeded);
  // Never over: safe up to the last position, not exceeded.
  const SweepSummary clean = summarise_sweep({{0, 0, 0}, {7, 1e-9, 0.01}});
  EXPECT_EQ(clean.within_bound.safe_up_to, 7);
  EXPECT_FALSE(clean.within_bound.exceeded);
}

TEST(CheckReport, SummaryNamesFailuresAndVerdict) {
  const std::string text = summary_table(sample());
  EXPECT_NE(text.find("no-crash"), std::string::npos) << text;
  EXPECT_NE(text.find("70000"), std::string::npos) << text;
  EXPECT_NE(text.find("3 NaN outputs for finite inputs"), std::string::npos) << text;
  EXPECT_NE(text.find("not applicable: phi-3-mini-128k"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL: some property does not hold"), std::string::npos) << text;
  // The margin table: the worst configuration of each property, measured / bound and cases.
  EXPECT_NE(text.find("bound margin per property"), std::string::npos) << text;
  EXPECT_NE(
      text.find("reference_agreement  1             0      0.1     1e-07     1e-06  llama-2-7b  5"),
      std::string::npos)
      << text;
  // The sweep's band table with safe-up-to columns.
  EXPECT_NE(text.find("safe<=0.001  safe<=0.01  safe<=bound"), std::string::npos) << text;
  EXPECT_NE(text.find("5.0e-02 @2^20 (2)  1            2^10        2^10"), std::string::npos)
      << text;
}

TEST(CheckReport, JsonCarriesMarginsAndSweepBands) {
  const nlohmann::json j = check_json(sample());
  const auto& subject = j["subjects"][0];
  EXPECT_EQ(subject["margins"][0]["property"], "reference_agreement");
  EXPECT_DOUBLE_EQ(subject["margins"][0]["margin"].get<double>(), 0.1);
  EXPECT_EQ(subject["configs"][0]["findings"][1]["margin"], "inf");  // no-crash failed
  const auto& sweep = subject["configs"][0]["position_sweep_report"];
  EXPECT_EQ(sweep["bands"].size(), 3u);
  EXPECT_EQ(sweep["safe_up_to"][1]["safe_up_to"], 1024);
  EXPECT_EQ(sweep["within_bound"]["safe_up_to"], 1024);
  EXPECT_TRUE(sweep["within_bound"]["exceeded"].get<bool>());
}

}  // namespace
}  // namespace ropecheck::kernels
