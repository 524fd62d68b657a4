// Encoding rows into a kernel's format and back is exact, and the "unwritten" fill is counted.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/abi/ropecheck_kernel.h"
#include "kernels/plugin/dtype_codec.hpp"

namespace ropecheck::kernels {
namespace {

TEST(DtypeCodec, RoundTripsRepresentableValuesExactly) {
  const std::vector<double> values{0.0, -0.0, 1.0, -1.5, 0x1.fep-3, 61440.0, 0x1p-14, INFINITY};
  for (Dtype dtype : all_dtypes()) {
    std::vector<unsigned char> bytes(values.size() * dtype_size(dtype));
    std::vector<double> back(values.size());
    encode(dtype, values, bytes.data());
    decode(dtype, bytes.data(), back);
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(back[i], values[i]) << dtype_name(dtype) << " " << values[i];
      EXPECT_EQ(std::signbit(back[i]), std::signbit(values[i]));
    }
  }
}

TEST(DtypeCodec, UnwrittenFillIsNaNAndCounted) {
  for (Dtype dtype : all_dtypes()) {
    std::vector<unsigned char> bytes(5 * dtype_size(dtype));
    fill_unwritten(dtype, bytes.data(), 5);
    std::vector<double> back(5);
    decode(dtype, bytes.data(), back);
    for (double v : back) EXPECT_TRUE(std::isnan(v)) << dtype_name(dtype);
    const std::vector<double> one{2.0};
    encode(dtype, one, bytes.data() + 2 * dtype_size(dtype));
    EXPECT_EQ(count_unwritten(dtype, bytes.data(), 5), 4u) << dtype_name(dtype);
  }
}

TEST(DtypeCodec, AbiBitsMapBothWays) {
  for (Dtype dtype : all_dtypes()) EXPECT_EQ(dtype_of_abi_bit(abi_dtype_bit(dtype)), dtype);
  EXPECT_THROW(dtype_of_abi_bit(RC_DTYPE_F32 | RC_DTYPE_F64), std::invalid_argument);
}

}  // namespace
}  // namespace ropecheck::kernels
