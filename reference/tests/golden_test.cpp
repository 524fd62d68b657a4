// Known values from an independent oracle: golden/golden.json, written by golden/make_golden.py
// (mpmath, its own frequencies, rotation and rounding). Both reference paths must reproduce
// every output bit for bit.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "reference/reference.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

using nlohmann::json;
using testing::same_bits;

double hex(const json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();
  return std::strtod(s.c_str(), nullptr);  // C99 hex floats, "inf", "-inf", "nan"
}

std::optional<double> opt_number(const json& v) {
  if (v.is_null()) return std::nullopt;
  return hex(v);
}

RopeConfig parse_config(const json& j) {
  RopeConfig c;
  c.head_dim = j.at("head_dim").get<int>();
  c.rotary_dim = j.at("rotary_dim").get<int>();
  c.base = hex(j.at("base"));
  c.layout =
      j.at("layout").get<std::string>() == "interleaved" ? Layout::interleaved : Layout::half;
  if (!j.at("max_position_embeddings").is_null())
    c.max_position_embeddings = j.at("max_position_embeddings").get<std::int64_t>();
  const json& s = j.at("scaling");
  RopeScaling& r = c.scaling;
  r.type = *parse_rope_type(s.at("type").get<std::string>());
  r.factor = hex(s.at("factor"));
  r.factor_given = s.at("factor_given").get<bool>();
  if (!j.at("original_max_position_embeddings").is_null())
    r.original_max_position_embeddings =
        j.at("original_max_position_embeddings").get<std::int64_t>();
  r.beta_fast = hex(s.at("beta_fast"));
  r.beta_slow = hex(s.at("beta_slow"));
  r.truncate = s.at("truncate").get<bool>();
  r.mscale = opt_number(s.at("mscale"));
  r.mscale_all_dim = opt_number(s.at("mscale_all_dim"));
  r.attention_factor = opt_number(s.at("attention_factor"));
  r.low_freq_factor = hex(s.at("low_freq_factor"));
  r.high_freq_factor = hex(s.at("high_freq_factor"));
  for (const json& v : s.at("short_factor")) r.short_factor.push_back(hex(v));
  for (const json& v : s.at("long_factor")) r.long_factor.push_back(hex(v));
  r.rotated_fraction = hex(s.at("rotated_fraction"));
  return c;
}

json load_golden() {
  std::ifstream in(ROPECHECK_GOLDEN_FILE);
  if (!in) throw std::runtime_error("cannot open " ROPECHECK_GOLDEN_FILE);
  return json::parse(in);
}

TEST(Golden, BothPathsReproduceTheIndependentOracleBitForBit) {
  const json golden = load_golden();
  const json& cases = golden.at("cases");
  ASSERT_GE(cases.size(), 300u);
  std::size_t outputs = 0;
  for (const json& t : cases) {
    const std::string name = t.at("name").get<std::string>();
    const Reference ref(parse_config(t.at("config")), t.at("seq_len").get<std::int64_t>());
    const Dtype dtype = *parse_dtype(t.at("dtype").get<std::string>());
    const auto m = t.at("position").get<std::int64_t>();
    std::vector<double> x, expected;
    for (const json& v : t.at("x")) x.push_back(hex(v));
    for (const json& v : t.at("y")) expected.push_back(hex(v));
    std::vector<double> fast(x.size()), mpfr(x.size());
    ref.apply(m, x, dtype, fast);
    ref.apply_mpfr(m, x, dtype, mpfr);
    for (std::size_t j = 0; j < x.size(); ++j) {
      ++outputs;
      EXPECT_TRUE(same_bits(fast[j], expected[j]))
          << name << " channel " << j << ": apply " << std::hexfloat << fast[j] << " golden "
          << expected[j];
      EXPECT_TRUE(same_bits(mpfr[j], expected[j]))
          << name << " channel " << j << ": apply_mpfr " << std::hexfloat << mpfr[j] << " golden "
          << expected[j];
    }
  }
  std::printf("golden: %zu cases, %zu outputs compared\n", cases.size(), outputs);
}

}  // namespace
}  // namespace ropecheck::reference
