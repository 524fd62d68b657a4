// .safetensors round trips for every dtype and strict rejection of hostile files.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "kernels/vectors/safetensors.hpp"
#include "kernels/vectors/tests/hostile_bytes.hpp"

namespace ropecheck::vectors {
namespace {

using testing::expect_config_error;
using testing::le_bytes;

// A file from a header written by hand and a data buffer.
std::string file_with(const std::string& header, const std::string& data) {
  return le_bytes(header.size(), 8) + header + data;
}

void rejects(const std::string& bytes, const std::string& fragment) {
  expect_config_error([&] { read_safetensors(bytes, "bad.safetensors"); }, "bad.safetensors",
                      fragment);
}

void rejects_header(const std::string& header, std::size_t data_bytes, const std::string& fragment) {
  rejects(file_with(header, std::string(data_bytes, '\0')), fragment);
}

TEST(Safetensors, RoundTripsEveryDtypeWithMetadata) {
  const std::vector<double> values = {1.0, -0.0, 0.5, -2.0, 0x1p-14, 0.0};
  SafetensorsFile file;
  for (Dtype dtype : all_dtypes())
    file.tensors.push_back({std::string(dtype_name(dtype)), float_tensor(dtype, {2, 3}, values)});
  file.tensors.push_back({"ints", int64_tensor({3}, std::vector<std::int64_t>{-1, 0, 1LL << 40})});
  file.tensors.push_back({"empty", float_tensor(Dtype::f32, {0}, {})});
  file.metadata = {{"config", "{\"head_dim\": 4}"}, {"dtype", "f32"}};
  const std::string bytes = write_safetensors(file);
  EXPECT_EQ((8 + (bytes[0] & 0xFF)) % 8, 0) << "data must start 8-byte aligned";
  const SafetensorsFile back = read_safetensors(bytes, "t.safetensors");
  EXPECT_EQ(back.metadata, file.metadata);
  ASSERT_EQ(back.tensors.size(), file.tensors.size());
  for (const NamedTensor& entry : file.tensors) {
    const Tensor* read = back.find(entry.name);
    ASSERT_NE(read, nullptr) << entry.name;
    EXPECT_EQ(read->dtype, entry.tensor.dtype);
    EXPECT_EQ(read->shape, entry.tensor.shape);
    EXPECT_EQ(read->data, entry.tensor.data);
  }
  EXPECT_EQ(back.find("missing"), nullptr);
}

TEST(Safetensors, HeaderFollowsTheSpec) {
  SafetensorsFile file;
  file.tensors.push_back({"x", float_tensor(Dtype::bf16, {2}, std::vector<double>{1.0, 2.0})});
  file.metadata = {{"k", "v"}};
  const std::string bytes = write_safetensors(file);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["x"]["dtype"], "BF16");
  EXPECT_EQ(header["x"]["shape"], nlohmann::json::array({2}));
  EXPECT_EQ(header["x"]["data_offsets"], nlohmann::json::array({0, 4}));
  EXPECT_EQ(header["__metadata__"]["k"], "v");
  EXPECT_EQ(bytes.size(), 8 + n + 4);
  EXPECT_EQ(bytes.substr(8 + n), std::string("\x80\x3F\x00\x40", 4));
}

TEST(Safetensors, RejectsTruncatedAndOversizedHeaders) {
  rejects("", "truncated");
  rejects("\x10\x00\x00", "truncated");
  rejects(le_bytes(1000, 8) + "{}", "runs past the end");
  rejects(le_bytes(~0ULL, 8) + "{}", "runs past the end");
  rejects(le_bytes(kMaxSafetensorsHeader + 1, 8) + std::string(kMaxSafetensorsHeader + 1, ' '),
          "limit");
  SafetensorsFile file;
  file.tensors.push_back({"x", float_tensor(Dtype::f32, {4}, std::vector<double>(4))});
  const std::string good = write_safetensors(file);
  rejects(good.substr(0, good.size() - 1), "run past the data buffer");
  rejects(good + "junk", "belong to no tensor");
}

TEST(Safetensors, RejectsBadJson) {
  rejects_header("{\"x\": ", 0, "not valid JSON");
  rejects_header("[1, 2]", 0, "does not start with '{'");
  rejects_header("", 0, "does not start with '{'");
  rejects_header("{\"a\": 1} {", 0, "not valid JSON");
  rejects_header("{\"s\": \"\xff\xfe\"}", 0, "not valid JSON");  // ill-formed UTF-8
  rejects_header("{\"x\": 5}", 0, "not a JSON object");
  rejects_header(R"({"__metadata__": {"k": 1}})", 0, "__metadata__ value of 'k' is not a string");
  rejects_header(R"({"__metadata__": ["k"]})", 0, "__metadata__ must be an object");
}

TEST(Safetensors, RejectsWrongDtypesShapesAndKeys) {
  rejects_header(R"({"x": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", 1,
                 "dtype \"F8_E4M3\"");
  rejects_header(R"({"x": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}})", 4,
                 "not a string");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4,
                 "non-negative integer");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4,
                 "non-negative integer");
  rejects_header(R"({"x": {"dtype": "F32", "shape": 4, "data_offsets": [0, 16]}})", 16,
                 "shape is not an array");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0]}})", 16,
                 "[begin, end]");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [4]}})", 16, "lacks one of");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16], "z": 0}})", 16,
                 "unknown key 'z'");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}})", 16,
                 "end before they begin");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}})", 16,
                 "needs 12");
  rejects_header(R"({"x": {"dtype": "F64", "shape": [4294967296, 4294967296, 4294967296],
                  "data_offsets": [0, 8]}})", 8, "overflows");
  rejects_header(R"({"x": {"dtype": "F64", "shape": [18446744073709551615],
                  "data_offsets": [0, 8]}})", 8, "absurd shape");
  rejects_header(R"({"x": {"dtype": "I64", "shape": [100000000000],
                  "data_offsets": [0, 800000000000]}})", 8, "run past the data buffer");
  rejects_header(R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                     "x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8,
                 "repeats the key 'x'");
}

TEST(Safetensors, RejectsOverlapsAndHoles) {
  rejects_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12,
                 "overlap");
  rejects_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 8,
                 "overlap");
  rejects_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                     "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})", 12,
                 "bytes [4, 8)");
  rejects_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8,
                 "bytes [0, 4)");
}

}  // namespace
}  // namespace ropecheck::vectors
