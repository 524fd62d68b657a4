#include "kernels/vectors/pipeline_bound.hpp"

#include <fmt/format.h>
#include <memory>
#include <optional>
#include <utility>

#include "core/config_error.hpp"
#include "impl/pipeline.hpp"
#include "properties/error_model.hpp"
#include "properties/pair_bound.hpp"
#include "reference/reference.hpp"

namespace ropecheck::vectors {

namespace {

// The cos/sin-cache model named `name` ("cache:A", properties/error_model.hpp) for tables in
// the set's dtype, or nullopt; an unknown arithmetic is reported against the option.
std::optional<properties::CacheRotation> cache_model(const VectorSet& set,
                                                     const std::string& name) {
  try {
    return properties::cache_model_named(name, storage_precision(set.dtype));
  } catch (const ConfigError& error) {
    throw ConfigError("--bound", error.what() + error.key().size() + 2);  // without "bound: "
  }
}

// Rotated channels within `bounds`; a pass-through channel must equal its input.
GradeBound within_pair_bounds(std::shared_ptr<const properties::PairBounds> bounds,
                              std::string label) {
  return GradeBound::within(
      [bounds](const OutputSite& site) {
        if (site.pair < 0) return 0.0;
        return bounds->bound(site.pair, site.position, site.x_a, site.x_b);
      },
      std::move(label));
}

}  // namespace

std::string accepted_bounds(Dtype dtype) {
  std::string out = "exact";
  for (const PipelineDescription& p : all_pipelines())
    if (p.dtype == dtype) out += ", " + std::string(p.name);
  return out +
         ", cache:f64, cache:f32, cache:bf16, cache:f16 (a kernel fed the correctly rounded "
         "cos/sin cache, rotating in that arithmetic) (or --max-ulp N)";
}

GradeBound pipeline_bound(const VectorSet& set, const std::string& pipeline) {
  if (const auto cache = cache_model(set, pipeline)) {
    const reference::Reference oracle(set.config, set.seq_len);
    auto bounds = std::make_shared<const properties::PairBounds>(*cache, set.config, set.seq_len,
                                                                 oracle, set.dtype);
    return within_pair_bounds(
        bounds, "cos/sin cache, rotation in " + std::string(precision_name(cache->rotation)));
  }
  if (!properties::has_error_model(pipeline))
    throw ConfigError("--bound",
                      fmt::format("unknown bound \"{}\"; accepted for these {} "
                                  "vectors: {}",
                                  pipeline, dtype_name(set.dtype), accepted_bounds(set.dtype)));
  const PipelineDescription& info = find_pipeline(pipeline);
  if (info.dtype != set.dtype)
    throw ConfigError("--bound", fmt::format("pipeline {} stores {} but the vectors are {}; "
                                             "accepted: {}",
                                             pipeline, dtype_name(info.dtype),
                                             dtype_name(set.dtype), accepted_bounds(set.dtype)));
  const reference::Reference oracle(set.config, set.seq_len);
  auto bounds = std::make_shared<const properties::PairBounds>(pipeline, set.config, set.seq_len,
                                                               oracle, set.dtype);
  return within_pair_bounds(bounds, "pipeline " + pipeline);
}

}  // namespace ropecheck::vectors
