#include "kernels/plugin/cos_sin_tables.hpp"

#include <vector>

#include "kernels/plugin/dtype_codec.hpp"

namespace ropecheck::kernels {

void fill_cos_sin(const reference::Reference& oracle, std::span<const std::int64_t> positions,
                  Dtype dtype, void* cos, void* sin) {
  const RopeConfig& config = oracle.config();
  const auto pairs = static_cast<std::size_t>(config.pairs());
  const auto head_dim = static_cast<std::size_t>(config.head_dim);
  std::vector<double> unit(head_dim, 0.0), image(head_dim), c(pairs), s(pairs);
  for (std::size_t i = 0; i < pairs; ++i)
    unit[static_cast<std::size_t>(
        pair_channels(config.layout, config.rotary_dim, static_cast<int>(i)).a)] = 1.0;
  const std::size_t row_bytes = pairs * dtype_size(dtype);
  for (std::size_t t = 0; t < positions.size(); ++t) {
    oracle.apply(positions[t], unit, dtype, image);
    for (std::size_t i = 0; i < pairs; ++i) {
      const PairChannels ch = pair_channels(config.layout, config.rotary_dim, static_cast<int>(i));
      c[i] = image[static_cast<std::size_t>(ch.a)];
      s[i] = image[static_cast<std::size_t>(ch.b)];
    }
    encode(dtype, c, static_cast<unsigned char*>(cos) + t * row_bytes);
    encode(dtype, s, static_cast<unsigned char*>(sin) + t * row_bytes);
  }
}

}  // namespace ropecheck::kernels
