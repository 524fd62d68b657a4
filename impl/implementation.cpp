// The registry of implementations: each form paired with each pipeline it can run.
#include "impl/implementation.hpp"

#include <fmt/format.h>

#include "core/config_error.hpp"

namespace ropecheck {

std::string Implementation::name() const {
  return fmt::format("{}:{}", form_name(form), pipeline->name);
}

std::unique_ptr<PreparedRope> Implementation::prepare(const RopeConfig& config,
                                                      std::int64_t seq_len) const {
  return prepare_pipeline(*pipeline, form, config, seq_len);
}

const std::vector<Implementation>& all_implementations() {
  static const std::vector<Implementation> impls = [] {
    std::vector<Implementation> out;
    for (Form form : {Form::elementwise, Form::complex, Form::matrix})
      for (const PipelineDescription& p : all_pipelines())
        if (form_supports(form, p)) out.push_back({form, &p});
    return out;
  }();
  return impls;
}

const Implementation& find_implementation(std::string_view name) {
  for (const auto& impl : all_implementations())
    if (impl.name() == name) return impl;
  std::string names;
  for (const auto& impl : all_implementations()) names += (names.empty() ? "" : ", ") + impl.name();
  throw ConfigError("impl", fmt::format("unknown implementation \"{}\"; accepted: {}", name, names));
}

std::vector<double> apply_rows(const Implementation& impl, const RopeConfig& config,
                               std::span<const std::int64_t> positions, std::span<const double> x,
                               std::int64_t seq_len) {
  const auto n = static_cast<std::size_t>(config.head_dim);
  if (x.size() != positions.size() * n)
    throw ConfigError("x", fmt::format("expected {} rows of {} values", positions.size(), n));
  auto prepared = impl.prepare(config, seq_len);
  std::vector<double> y(x.size());
  prepared->apply_batch(positions, x, y);
  return y;
}

}  // namespace ropecheck
