// Test main for the rapidcheck suites: a fixed, printed seed unless RC_PARAMS says otherwise, and
// a deep mode (ROPECHECK_DEEP=1) with 100 times the cases.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  const char* given = std::getenv("RC_PARAMS");
  std::string params = given != nullptr ? given : "";
  if (params.find("seed=") == std::string::npos)
    params += std::string(params.empty() ? "" : " ") + "seed=20261123";
  const char* deep = std::getenv("ROPECHECK_DEEP");
  if (deep != nullptr && std::string(deep) == "1" && params.find("max_success=") == std::string::npos)
    params += " max_success=10000";
  // rapidcheck reads RC_PARAMS once, at its first use, which comes after this line.
  setenv("RC_PARAMS", params.c_str(), 1);
  std::printf("rapidcheck parameters: RC_PARAMS=\"%s\"\n", params.c_str());
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
