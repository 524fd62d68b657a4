// The renderings of a check run: JUnit XML (escaped, one testcase per property x config),
// JSON, and the terminal summary naming every failed finding.
#include <gtest/gtest.h>

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
  EXPECT_NE(xml.find("<testsuite name=\"k:f32\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"),
            std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"k:f32.llama-2-7b\" name=\"reference_agreement\"/>"),
            std::string::npos) << xml;
  EXPECT_NE(xml.find("crash (SIGSEGV) &amp; &quot;more&quot;"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<skipped message=\"not applicable: rope_type longrope not supported\"/>"), std::string::npos);
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

TEST(CheckReport, SummaryNamesFailuresAndVerdict) {
  const std::string text = summary_table(sample());
  EXPECT_NE(text.find("no-crash"), std::string::npos) << text;
  EXPECT_NE(text.find("70000"), std::string::npos) << text;
  EXPECT_NE(text.find("3 NaN outputs for finite inputs"), std::string::npos) << text;
  EXPECT_NE(text.find("not applicable: phi-3-mini-128k"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL: some property does not hold"), std::string::npos) << text;
}

}  // namespace
}  // namespace ropecheck::kernels
