#include "properties/pair_bound.hpp"

#include <cmath>
#include <stdexcept>

namespace ropecheck::properties {

PairBounds::PairBounds(std::string_view pipeline, const RopeConfig& config, std::int64_t seq_len,
                       const reference::Reference& oracle, Dtype storage)
    : cache_(cache_model_named(pipeline, storage_precision(storage))),
      config_(config),
      seq_len_(seq_len),
      attention_(oracle.attention_factor()),
      storage_(storage) {
  if (!cache_) pipeline_ = &find_pipeline(pipeline);
  for (int pair = 0; pair < config.pairs(); ++pair) theta_.push_back(oracle.theta(pair));
}

PairBounds::PairBounds(const CacheRotation& cache, const RopeConfig& config, std::int64_t seq_len,
                       const reference::Reference& oracle, Dtype storage)
    : cache_(cache),
      config_(config),
      seq_len_(seq_len),
      attention_(oracle.attention_factor()),
      storage_(storage) {
  for (int pair = 0; pair < config.pairs(); ++pair) theta_.push_back(oracle.theta(pair));
}

const PipelineDescription& PairBounds::pipeline() const {
  if (pipeline_ == nullptr)
    throw std::logic_error("PairBounds: a cos/sin-cache model has no pipeline");
  return *pipeline_;
}

PairBoundInput PairBounds::input(int pair, std::int64_t position, double x_a, double x_b) const {
  PairBoundInput in;
  in.config = &config_;
  in.seq_len = seq_len_;
  in.pair = pair;
  in.theta = theta_.at(static_cast<std::size_t>(pair));
  in.attention = attention_;
  in.position = position;
  in.input_sum = std::fabs(x_a) + std::fabs(x_b);
  // |y_a|, |y_b| <= a * hypot(x_a, x_b): the rotation preserves the pair's norm.
  in.output_abs = attention_ * std::hypot(x_a, x_b);
  in.storage = storage_;
  return in;
}

double PairBounds::bound(int pair, std::int64_t position, double x_a, double x_b) const {
  const PairBoundInput in = input(pair, position, x_a, x_b);
  return cache_ ? cache_output_error_bound(*cache_, in) : output_error_bound(*pipeline_, in);
}

}  // namespace ropecheck::properties
