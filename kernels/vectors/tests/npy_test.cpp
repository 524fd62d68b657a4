// .npy round trips for every dtype and strict rejection of hostile files.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/vectors/npy.hpp"
#include "kernels/vectors/tests/hostile_bytes.hpp"

namespace ropecheck::vectors {
namespace {

using testing::expect_config_error;
using testing::le_bytes;

std::string npy_with_header(const std::string& header, const std::string& data,
                            int version = 1) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  out += le_bytes(header.size(), version == 1 ? 2 : 4);
  return out + header + data;
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  const std::vector<double> values = {0.0, -0.0, 1.0, -0.5, 0.25, 0x1p-14, 3.0, -2.0};
  for (Dtype dtype : all_dtypes()) {
    for (const std::vector<std::int64_t>& shape :
         {std::vector<std::int64_t>{8}, {2, 4}, {2, 2, 2}, {1, 8, 1}}) {
      const Tensor tensor = float_tensor(dtype, shape, values);
      const std::string bytes = write_npy(tensor);
      EXPECT_EQ(bytes.size() % 64, tensor.data.size() % 64);  // data starts on a 64-byte boundary
      const Tensor back = read_npy(bytes, "t.npy");
      EXPECT_EQ(back.dtype, tensor.dtype);
      EXPECT_EQ(back.shape, shape);
      const auto read_values = float_values(back);
      ASSERT_EQ(read_values.size(), values.size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(read_values[i], values[i]);
        EXPECT_EQ(std::signbit(read_values[i]), std::signbit(values[i]));
      }
    }
  }
  const std::vector<std::int64_t> ints = {0, -1, INT64_MAX, INT64_MIN};
  const Tensor back = read_npy(write_npy(int64_tensor({4}, ints)), "i.npy");
  EXPECT_EQ(int64_values(back), ints);
}

TEST(Npy, WritesTheHeaderNumPyWrites) {
  const std::string bytes = write_npy(float_tensor(Dtype::f32, {2, 3}, std::vector<double>(6)));
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),
            std::string::npos);
  EXPECT_EQ(bytes.size(), 128u + 24u);  // a 128-byte preamble and header, then 6 floats
  EXPECT_EQ(bytes[127], '\n');
  const std::string one_d = write_npy(int64_tensor({5}, std::vector<std::int64_t>(5)));
  EXPECT_NE(one_d.find("'shape': (5,)"), std::string::npos);
  const std::string bf16 = write_npy(float_tensor(Dtype::bf16, {1}, std::vector<double>{1.0}));
  EXPECT_NE(bf16.find("'descr': '<u2'"), std::string::npos);
}

TEST(Npy, ReadsVersion2AndScalarAndEmptyShapes) {
  const std::string header = "{'shape': (), 'fortran_order': False, 'descr': '<f8'}\n";
  const Tensor scalar = read_npy(npy_with_header(header, le_bytes(0x3FF0000000000000, 8), 2), "s");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(float_values(scalar), std::vector<double>{1.0});
  const Tensor empty = read_npy(
      npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", ""), "e");
  EXPECT_EQ(empty.shape, (std::vector<std::int64_t>{0, 3}));
}

TEST(Npy, RejectsHostileFiles) {
  const std::string good = write_npy(float_tensor(Dtype::f32, {2, 2}, std::vector<double>(4)));
  const auto rejects = [](const std::string& bytes, const std::string& fragment) {
    expect_config_error([&] { read_npy(bytes, "bad.npy"); }, "bad.npy", fragment);
  };
  rejects("", "truncated");
  rejects(good.substr(0, 9), "truncated");
  rejects(good.substr(0, 40), "runs past the end");
  rejects(good.substr(0, good.size() - 1), "needs 16");
  rejects(good + "x", "needs 16");
  rejects("PK\x03\x04 not numpy at all", "not a .npy file");
  std::string version = good;
  version[6] = 9;
  rejects(version, "version 9.0");
  rejects(npy_with_header(std::string(1, '{'), ""), "expected a quoted string");
  const auto header = [](const std::string& dict) {
    return npy_with_header(dict, std::string(16, '\0'));
  };
  rejects(header("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }"), "big-endian");
  rejects(header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }"), "'<c16'");
  rejects(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"), "Fortran");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}"),
          "unexpected or repeated");
  rejects(header("{'descr': '<f4', 'descr': '<f4', 'shape': (2, 2)}"), "unexpected or repeated");
  rejects(header("{'descr': '<f4', 'shape': (2, 2)}"), "lacks one of");
  rejects(header("{'descr': '<f4', 'fortran_order': Nope, 'shape': (2, 2)}"), "True or False");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2)}"), "non-negative");
  rejects(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)} trailing"),
          "after its closing");
  rejects(header("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2)}"), "malformed");
  // Absurd shapes: products that overflow, a dimension past int64, and one that needs more
  // data than there is (no allocation is attempted for any of them).
  rejects(header("{'descr': '<f8', 'fortran_order': False, "
                 "'shape': (4294967296, 4294967296, 4294967296)}"), "overflows");
  rejects(header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
          "absurdly large");
  rejects(header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,)}"),
          "needs 8000000000000");
  std::string many = "{'descr': '<f8', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 40; ++i) many += "1, ";
  rejects(header(many + ")}"), "more than 32 dimensions");
}

}  // namespace
}  // namespace ropecheck::vectors
