// An implementation under test (a form x a precision pipeline) and the registry of all of them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"
#include "impl/form.hpp"

namespace ropecheck {

// A precision pipeline: the type each quantity is computed and stored in (brief §4).
struct PipelineInfo {
  std::string_view name;        // e.g. "bf16-hf"
  Dtype dtype;                  // storage type of q/k inputs and outputs
  std::string_view arithmetic;  // type the rotation is computed in
  std::string_view summary;     // one line: how theta, position, angle, sin/cos are formed
};

// One implementation prepared for a configuration and sequence length: apply() may be called
// from several threads at once.
class PreparedRope {
 public:
  virtual ~PreparedRope() = default;
  // Rotates one head (head_dim values, each exactly representable in the implementation's
  // dtype, widened to double) at integer `position`; writes head_dim values to y.
  virtual void apply(std::int64_t position, std::span<const double> x,
                     std::span<double> y) const = 0;
  // Rotates rows of x (positions.size() heads of head_dim values, row-major) into y. The
  // default loops over apply(); an out-of-process kernel overrides it to pay one round trip.
  virtual void apply_batch(std::span<const std::int64_t> positions, std::span<const double> x,
                           std::span<double> y) const;
  // The factor a multiplying cos and sin, as this implementation uses it.
  virtual double attention_factor() const = 0;
};

// A registered implementation "form:pipeline".
struct Implementation {
  Form form;
  const PipelineInfo* pipeline;

  std::string name() const;
  Dtype dtype() const { return pipeline->dtype; }
  // Frequencies are computed once here; `seq_len` feeds dynamic NTK and LongRoPE's switch.
  std::unique_ptr<PreparedRope> prepare(const RopeConfig& config, std::int64_t seq_len) const;
};

// Every pipeline, in listing order.
const std::vector<PipelineInfo>& all_pipelines();

// Every implementation: each form with each pipeline whose arithmetic it supports.
const std::vector<Implementation>& all_implementations();

// The implementation called `name` ("elementwise:f32"); throws ConfigError listing names.
const Implementation& find_implementation(std::string_view name);

// Applies `impl` to rows of x (positions.size() rows of head_dim values, row-major).
std::vector<double> apply_rows(const Implementation& impl, const RopeConfig& config,
                               std::span<const std::int64_t> positions, std::span<const double> x,
                               std::int64_t seq_len);

}  // namespace ropecheck
