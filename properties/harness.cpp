#include "properties/harness.hpp"

#include <cmath>
#include <cstdlib>

#include "properties/error_model.hpp"

namespace ropecheck::properties {

Harness::Harness(const Subject& subject, const TestCase& c) : Harness(subject, c, c.config) {}

Harness::Harness(const Subject& subject, const TestCase& c, const RopeConfig& config)
    : subject_(subject),
      config_(config),
      seq_len_(c.seq_len()),
      prepared_(subject.prepare(config, c.seq_len())),
      reference_(config, c.seq_len()),
      attention_(reference_.attention_factor()),
      domain_(position_domain(subject.bound_model())) {}

std::int64_t Harness::in_domain(std::int64_t position) const {
  if (std::llabs(position) <= domain_) return position;
  return position % (domain_ + 1);
}

std::vector<double> Harness::rotate(std::int64_t position, const std::vector<double>& x) const {
  std::vector<double> y(x.size());
  prepared_->apply(position, x, y);
  return y;
}

std::vector<double> Harness::exact(std::int64_t position, const std::vector<double>& x) const {
  std::vector<double> y(x.size());
  reference_.apply(position, x, Dtype::f64, y);
  return y;
}

std::vector<double> Harness::bounds(std::int64_t position, const std::vector<double>& x) const {
  std::vector<double> out(x.size(), 0.0);
  const std::string model = subject_.bound_model();
  for (int i = 0; i < config_.pairs(); ++i) {
    const auto [a, b] = pair_channels(config_.layout, config_.rotary_dim, i);
    PairBoundInput in;
    in.config = &config_;
    in.seq_len = seq_len_;
    in.pair = i;
    in.theta = reference_.theta(i);
    in.attention = attention_;
    in.position = position;
    in.input_sum = std::fabs(x[a]) + std::fabs(x[b]);
    // |y_a|, |y_b| <= a * hypot(x_a, x_b): the rotation preserves the pair's norm.
    in.output_abs = attention_ * std::hypot(x[a], x[b]);
    in.storage = subject_.dtype();
    out[a] = out[b] = output_error_bound(model, in);
  }
  return out;
}

}  // namespace ropecheck::properties
