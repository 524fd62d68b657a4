// The one builder of per-pair bound inputs (properties/error_model.hpp): what the bound of a
// rotated pair depends on, gathered the same way for properties, grading and the position sweep.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"
#include "impl/pipeline.hpp"
#include "properties/error_model.hpp"
#include "reference/reference.hpp"

namespace ropecheck::properties {

// The bounds of one subject on one configuration: exact theta_i and attention factor a (from the
// reference, computed once), the claimed pipeline, and the subject's storage format, whose
// final rounding the bound adds when it is coarser than the pipeline's own.
class PairBounds {
 public:
  // `pipeline` is a registered pipeline or a "cache:A" model (error_model.hpp), whose tables
  // are in `storage`. Throws ConfigError("pipeline") for any other name.
  PairBounds(std::string_view pipeline, const RopeConfig& config, std::int64_t seq_len,
             const reference::Reference& oracle, Dtype storage);
  // The bounds of a kernel handed correctly rounded cos/sin tables (cache_output_error_bound).
  PairBounds(const CacheRotation& cache, const RopeConfig& config, std::int64_t seq_len,
             const reference::Reference& oracle, Dtype storage);
  PairBounds(const PairBounds&) = delete;  // inputs point at config_
  PairBounds& operator=(const PairBounds&) = delete;

  // The input for pair `pair` with inputs (x_a, x_b) at `position`.
  PairBoundInput input(int pair, std::int64_t position, double x_a, double x_b) const;
  // The bound on |y_a - exact_a| and |y_b - exact_b| for that pair.
  double bound(int pair, std::int64_t position, double x_a, double x_b) const;

  // The claimed pipeline; throws std::logic_error for a cos/sin-cache model.
  const PipelineDescription& pipeline() const;
  double attention() const { return attention_; }

 private:
  const PipelineDescription* pipeline_ = nullptr;  // or
  std::optional<CacheRotation> cache_;
  RopeConfig config_;
  std::int64_t seq_len_;
  double attention_;
  std::vector<double> theta_;
  Dtype storage_;
};

}  // namespace ropecheck::properties
