#include "kernels/vectors/input_draw.hpp"

#include <algorithm>
#include <cmath>


namespace ropecheck::vectors {

std::vector<double> special_values(Dtype dtype) {
  const FormatTraits t = format_traits(dtype);
  const double min_subnormal = std::ldexp(1.0, t.emin - t.precision + 1);
  const double min_normal = std::ldexp(1.0, t.emin);
  const double large = std::ldexp(1.5, t.emax / 2);
  return {0.0, -0.0, min_subnormal, -min_subnormal, min_normal - min_subnormal, min_normal,
          large, -large};
}

std::vector<double> draw_inputs(Dtype dtype, std::size_t count, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<double> values(count);
  for (double& value : values) {
    const double unit = std::ldexp(static_cast<double>(rng.next() >> 11), -53);  // [0, 1)
    value = round_to(2 * unit - 1, dtype);
  }
  // One special value in each of `slots` equal runs of the flat index, at a drawn offset:
  // every special value appears when count allows, spread over tokens and heads.
  const std::vector<double> specials = special_values(dtype);
  const std::size_t slots = std::min(count, std::max(specials.size(), count / 32));
  for (std::size_t k = 0; k < slots; ++k) {
    const std::size_t begin = k * count / slots;
    const std::size_t end = (k + 1) * count / slots;
    values[begin + rng.next() % (end - begin)] = specials[k % specials.size()];
  }
  return values;
}

}  // namespace ropecheck::vectors
