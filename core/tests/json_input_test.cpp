// The limits of the JSON reader and the strict integer parsers every command uses.
#include <gtest/gtest.h>

#include <string>

#include "core/config_error.hpp"
#include "core/json_input.hpp"
#include "core/parse_number.hpp"
#include "core/validation.hpp"

namespace ropecheck {
namespace {

std::string nested(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonInput, DepthLimitIsExact) {
  EXPECT_NO_THROW(parse_json_text(nested(kMaxJsonDepth), "doc"));
  EXPECT_THROW(parse_json_text(nested(kMaxJsonDepth + 1), "doc"), ConfigError);
  // 100 000 levels are refused before the parser or any recursive operation sees them.
  try {
    parse_json_text(nested(100000), "request");
    ADD_FAILURE() << "accepted 100000 levels";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.key(), "request");
    EXPECT_NE(std::string(error.what()).find("nests deeper than 64"), std::string::npos);
  }
}

TEST(JsonInput, BracketsInsideStringsDoNotCount) {
  const std::string text = "{\"a\": \"" + std::string(1000, '[') + "\\\"\"}";
  EXPECT_EQ(parse_json_text(text, "doc")["a"].get<std::string>().size(), 1001u);
}

TEST(JsonInput, OverflowingNumbersAndBadTextAreConfigErrors) {
  EXPECT_THROW(parse_json_text("[1e400]", "doc"), ConfigError);  // nlohmann: out_of_range 406
  EXPECT_THROW(parse_json_text("{\"a\": \"\xff\"}", "doc"), ConfigError);
  EXPECT_THROW(parse_json_text("", "doc"), ConfigError);
  EXPECT_THROW(parse_json_text(std::string(kMaxJsonBytes + 1, ' '), "doc"), ConfigError);
}

TEST(JsonInput, FilesThatAreNotDocuments) {
  EXPECT_THROW(read_text_file("/", "--input"), ConfigError);                   // a directory
  EXPECT_THROW(read_text_file("/dev/zero", "--input", 1 << 20), ConfigError);  // endless
  EXPECT_THROW(read_text_file("/no/such/file", "--input"), ConfigError);
}

TEST(JsonInput, DumpReplacesInvalidUtf8) {
  const nlohmann::json value = std::string("path-\xff.json");
  EXPECT_EQ(dump_json(value), "\"path-\xef\xbf\xbd.json\"");
}

TEST(ParseNumber, NothingWrapsOrSaturates) {
  EXPECT_EQ(parse_unsigned("18446744073709551615", "--seed", UINT64_MAX), UINT64_MAX);
  for (const char* bad : {"-1", "18446744073709551616", "", " 1", "1 ", "+1", "0x10", "1e3"})
    EXPECT_THROW(parse_unsigned(bad, "--seed", UINT64_MAX), ConfigError) << bad;
  EXPECT_EQ(parse_integer("-5", "--x", -10, 10), -5);
  for (const char* bad : {"-11", "11", "99999999999999999999", "2x", "1/2"})
    EXPECT_THROW(parse_integer(bad, "--x", -10, 10), ConfigError) << bad;
  EXPECT_EQ(parse_unsigned("4294967296", "--max-ulp", std::uint64_t{1} << 32), 4294967296u);
  EXPECT_THROW(parse_unsigned("4294967297", "--max-ulp", std::uint64_t{1} << 32), ConfigError);
}

TEST(ParseNumber, DecimalsAreFiniteAndInRange) {
  EXPECT_EQ(parse_decimal("0.25", "--x", 0, 10), 0.25);
  EXPECT_EQ(parse_decimal("1e-3", "--x", 0, 10), 1e-3);
  EXPECT_EQ(parse_decimal("10", "--x", 0, 10), 10.0);
  for (const char* bad :
       {"", " 1", "1 ", "+1", "-0.5", "10.5", "0x1p1", "inf", "nan", "1e999", "1,5", "soon"})
    EXPECT_THROW(parse_decimal(bad, "--x", 0, 10), ConfigError) << bad;
}

TEST(ParseNumber, JsonIntegers) {
  const auto parse = [](const char* text) {
    return json_integer(nlohmann::json::parse(text), "seq_len", 1, std::int64_t{1} << 53);
  };
  EXPECT_EQ(parse("7"), 7);
  EXPECT_EQ(parse("7.0"), 7);
  for (const char* bad : {"0", "-1", "2.5", "18446744073709551615", "9007199254740993", "1e300",
                          "\"7\"", "true", "null"})
    EXPECT_THROW(parse(bad), ConfigError) << bad;
}

TEST(Validation, DimensionsAreCheckedBeforeNarrowing) {
  EXPECT_EQ(checked_dimension("head_dim", 128), 128);
  EXPECT_EQ(checked_dimension("head_dim", kMaxHeadDim), 65536);
  EXPECT_THROW(checked_dimension("head_dim", 4294967300), ConfigError);  // would wrap to 4
  EXPECT_THROW(checked_dimension("head_dim", kMaxHeadDim + 2), ConfigError);
  EXPECT_THROW(checked_dimension("head_dim", -2), ConfigError);
}

}  // namespace
}  // namespace ropecheck
