#include "my_rope.hpp"

#include <cmath>
#include <vector>

#include "core/config_error.hpp"

namespace my_project {
namespace {

using ropecheck::RopeConfig;

// The project's kernel for one configuration.
class PreparedMyRope final : public ropecheck::PreparedRope {
 public:
  PreparedMyRope(const RopeConfig& config, double attention) : config_(config), a_(attention) {
    const double scale = config.scaling.type == ropecheck::RopeType::linear ? 1 / config.scaling.factor : 1;
    for (int i = 0; i < config.pairs(); ++i)
      theta_.push_back(scale * std::pow(config.base, -2.0 * i / config.rotary_dim));
  }
  void apply(std::int64_t position, std::span<const double> x, std::span<double> y) const override {
    for (std::size_t j = 0; j < x.size(); ++j) y[j] = x[j];
    for (int i = 0; i < config_.pairs(); ++i) {
      const auto [a, b] = ropecheck::pair_channels(config_.layout, config_.rotary_dim, i);
      const double angle = static_cast<double>(position) * theta_[static_cast<std::size_t>(i)];
      const double c = a_ * std::cos(angle), s = a_ * std::sin(angle);
      // Stored as f32: one rounding of the double result.
      y[a] = static_cast<float>(x[a] * c - x[b] * s);
      y[b] = static_cast<float>(x[a] * s + x[b] * c);
    }
  }
  double attention_factor() const override { return a_; }

 private:
  RopeConfig config_;
  double a_;
  std::vector<double> theta_;
};

class MyRopeSubject final : public ropecheck::properties::Subject {
 public:
  std::string name() const override { return "my_rope"; }
  ropecheck::Dtype dtype() const override { return ropecheck::Dtype::f32; }
  std::string bound_model() const override { return "f32"; }
  bool supports(const RopeConfig& config) const override {
    return config.scaling.type == ropecheck::RopeType::standard ||
           config.scaling.type == ropecheck::RopeType::linear;
  }
  std::unique_ptr<ropecheck::PreparedRope> prepare(const RopeConfig& config,
                                                   std::int64_t) const override {
    if (!supports(config)) throw ropecheck::ConfigError("my_rope", "unsupported configuration");
    return std::make_unique<PreparedMyRope>(config, 1.0);  // default and linear: a = 1
  }
};

}  // namespace

std::unique_ptr<ropecheck::properties::Subject> make_rope_subject() {
  return std::make_unique<MyRopeSubject>();
}

}  // namespace my_project
