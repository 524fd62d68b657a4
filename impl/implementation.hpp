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
#include "impl/pipeline.hpp"
#include "impl/prepared_rope.hpp"

namespace ropecheck {

// A registered implementation "form:pipeline".
struct Implementation {
  Form form;
  const PipelineDescription* pipeline;

  std::string name() const;
  Dtype dtype() const { return pipeline->dtype; }
  // Frequencies are computed once here; `seq_len` feeds dynamic NTK and LongRoPE's switch.
  std::unique_ptr<PreparedRope> prepare(const RopeConfig& config, std::int64_t seq_len) const;
};

// Every implementation: each form with each pipeline it supports (form_supports).
const std::vector<Implementation>& all_implementations();

// The implementation called `name` ("elementwise:f32"); throws ConfigError listing names.
const Implementation& find_implementation(std::string_view name);

// Applies `impl` to rows of x (positions.size() rows of head_dim values, row-major).
std::vector<double> apply_rows(const Implementation& impl, const RopeConfig& config,
                               std::span<const std::int64_t> positions, std::span<const double> x,
                               std::int64_t seq_len);

}  // namespace ropecheck
