// Every validation error names the offending key and what is accepted.
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"

namespace ropecheck {
namespace {

using nlohmann::json;

// Parses `config` and returns the error message; fails the test if it parses.
std::string error_of(const json& config) {
  try {
    parse_hf_config(config);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "accepted: " << config.dump();
  return "";
}

json base_config() { return {{"head_dim", 128}, {"rope_theta", 10000.0},
                             {"max_position_embeddings", 8192}}; }

json with_scaling(json scaling) {
  json c = base_config();
  c["rope_scaling"] = std::move(scaling);
  return c;
}

TEST(ConfigErrors, OddHeadDim) {
  json c = base_config();
  c["head_dim"] = 127;
  EXPECT_NE(error_of(c).find("head_dim"), std::string::npos);
}

TEST(ConfigErrors, ZeroAndOddRotaryDim) {
  json c = base_config();
  c["partial_rotary_factor"] = 0.001;  // int(128 * 0.001) = 0
  EXPECT_NE(error_of(c).find("rotary_dim"), std::string::npos);
  c["partial_rotary_factor"] = 0.3;  // int(38.4) = 38: fine
  EXPECT_EQ(parse_hf_config(c).rotary_dim, 38);
  c["partial_rotary_factor"] = 0.29;  // int(37.12) = 37: odd
  EXPECT_NE(error_of(c).find("even"), std::string::npos);
}

TEST(ConfigErrors, BaseMustExceedOne) {
  json c = base_config();
  c["rope_theta"] = 1.0;
  EXPECT_NE(error_of(c).find("rope_theta"), std::string::npos);
  c["rope_theta"] = -5.0;
  EXPECT_NE(error_of(c).find("> 1"), std::string::npos);
}

TEST(ConfigErrors, FactorBelowOne) {
  const std::string message = error_of(with_scaling({{"rope_type", "linear"}, {"factor", 0.5}}));
  EXPECT_NE(message.find("rope_scaling.factor"), std::string::npos);
  EXPECT_NE(message.find(">= 1"), std::string::npos);
}

TEST(ConfigErrors, UnknownRopeTypeListsAccepted) {
  const std::string message = error_of(with_scaling({{"rope_type", "mystery"}, {"factor", 2}}));
  EXPECT_NE(message.find("rope_type"), std::string::npos);
  EXPECT_NE(message.find("llama3"), std::string::npos);
  EXPECT_NE(message.find("yarn"), std::string::npos);
}

TEST(ConfigErrors, MissingRequiredParameters) {
  EXPECT_NE(error_of(with_scaling({{"rope_type", "yarn"}})).find("rope_scaling.factor"),
            std::string::npos);
  // llama3 falls back to max_position_embeddings for L0 (HF standardize_rope_params); with
  // neither it must say what is missing.
  json llama3 = {{"head_dim", 128},
                 {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8}, {"low_freq_factor", 1},
                                   {"high_freq_factor", 4}}}};
  EXPECT_NE(error_of(llama3).find("original_max_position_embeddings"), std::string::npos);
  llama3["max_position_embeddings"] = 8192;
  EXPECT_EQ(parse_hf_config(llama3).original_context(), 8192);
  EXPECT_NE(error_of(with_scaling({{"rope_type", "longrope"}, {"short_factor", json::array()}}))
                .find("long_factor"),
            std::string::npos);
}

TEST(ConfigErrors, LongRopeListLength) {
  json list63 = json::array();
  json list64 = json::array();
  for (int i = 0; i < 63; ++i) list63.push_back(1.0);
  for (int i = 0; i < 64; ++i) list64.push_back(1.0);
  const std::string message = error_of(with_scaling(
      {{"rope_type", "longrope"}, {"short_factor", list63}, {"long_factor", list64}}));
  EXPECT_NE(message.find("short_factor"), std::string::npos);
  EXPECT_NE(message.find("64"), std::string::npos);
}

TEST(ConfigErrors, NonFiniteAndNonNumeric) {
  json c = base_config();
  c["rope_theta"] = std::numeric_limits<double>::infinity();
  EXPECT_NE(error_of(c).find("rope_theta"), std::string::npos);
  c["rope_theta"] = "10000";
  EXPECT_NE(error_of(c).find("must be a number"), std::string::npos);
  EXPECT_NE(error_of(with_scaling({{"rope_type", "linear"},
                                   {"factor", std::numeric_limits<double>::quiet_NaN()}}))
                .find("finite"),
            std::string::npos);
}

TEST(ConfigErrors, Llama3FactorsOrdered) {
  const std::string message = error_of(
      with_scaling({{"rope_type", "llama3"}, {"factor", 8}, {"low_freq_factor", 4},
                    {"high_freq_factor", 2}, {"original_max_position_embeddings", 8192}}));
  EXPECT_NE(message.find("high_freq_factor"), std::string::npos);
  // low == high is Llama 4 Scout's setting: an empty medium band, accepted.
  const RopeConfig scout = parse_hf_config(
      with_scaling({{"rope_type", "llama3"}, {"factor", 16}, {"low_freq_factor", 1},
                    {"high_freq_factor", 1}, {"original_max_position_embeddings", 8192}}));
  EXPECT_EQ(scout.scaling.low_freq_factor, scout.scaling.high_freq_factor);
}

TEST(ConfigErrors, BadLayoutAndMissingHeadDim) {
  json c = base_config();
  c["layout"] = "diagonal";
  EXPECT_NE(error_of(c).find("half, interleaved"), std::string::npos);
  EXPECT_NE(error_of(json{{"rope_theta", 10000.0}}).find("head_dim"), std::string::npos);
  EXPECT_NE(error_of(json::array()).find("JSON object"), std::string::npos);
}

}  // namespace
}  // namespace ropecheck
