// The sinusoidal absolute encoding: shift-linear, yet not relative once added to embeddings.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "impl/sinusoidal.hpp"

namespace ropecheck {
namespace {

TEST(Sinusoidal, ShiftIsAFixedRotation) {
  // PE(p + k) = M_k PE(p) exactly in real arithmetic; in double both sides carry the angle error
  // of the larger position, about (p + k) * 2^-52 for frequencies <= 1, plus a few u.
  const int dim = 64;
  for (std::int64_t p : {0, 5, 1000, 123456}) {
    for (std::int64_t k : {1, 7, 4096}) {
      const auto shifted = sinusoidal_shift<double>(dim, k, sinusoidal_encoding<double>(dim, p));
      const auto direct = sinusoidal_encoding<double>(dim, p + k);
      const double bound = (static_cast<double>(p + k) * 4 + 8) * 0x1p-53;
      for (int j = 0; j < dim; ++j) EXPECT_NEAR(shifted[j], direct[j], bound) << p << " " << k;
    }
  }
}

TEST(Sinusoidal, AddedEncodingIsNotRelative) {
  // <e + PE(p), f + PE(q)> contains <e, PE(q)> + <PE(p), f>, which depend on p and q separately:
  // the same offset q - p gives different scores.
  const int dim = 16;
  std::vector<double> e(dim, 0.3), f(dim, -0.2);
  auto score = [&](std::int64_t p, std::int64_t q) {
    const auto pp = sinusoidal_encoding<double>(dim, p), pq = sinusoidal_encoding<double>(dim, q);
    double s = 0;
    for (int j = 0; j < dim; ++j) s += (e[j] + pp[j]) * (f[j] + pq[j]);
    return s;
  };
  EXPECT_GT(std::fabs(score(3, 10) - score(103, 110)), 1e-3);
  // Whereas <PE(p), PE(q)> alone depends only on q - p.
  auto pe_dot = [&](std::int64_t p, std::int64_t q) {
    const auto a = sinusoidal_encoding<double>(dim, p), b = sinusoidal_encoding<double>(dim, q);
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
  };
  EXPECT_NEAR(pe_dot(3, 10), pe_dot(103, 110), 1e-12);
}

}  // namespace
}  // namespace ropecheck
