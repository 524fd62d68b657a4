#include "properties/harness.hpp"

#include <cmath>
#include <cstdlib>

#include "properties/error_model.hpp"

namespace ropecheck::properties {

Harness::Harness(const Subject& subject, const TestCase& c) : Harness(subject, c, c.config) {}

Harness::Harness(const Subject& subject, const TestCase& c, const RopeConfig& config)
    : config_(config),
      seq_len_(c.seq_len()),
      prepared_(subject.prepare(config, c.seq_len())),
      reference_(config, c.seq_len()),
      attention_(reference_.attention_factor()),
      domain_(position_domain(subject.bound_model())),
      pair_bounds_(subject.bound_model(), config_, seq_len_, reference_, subject.dtype()) {}

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
  for (int i = 0; i < config_.pairs(); ++i) {
    const auto [a, b] = pair_channels(config_.layout, config_.rotary_dim, i);
    out[a] = out[b] = pair_bounds_.bound(i, position, x[a], x[b]);
  }
  return out;
}

}  // namespace ropecheck::properties
