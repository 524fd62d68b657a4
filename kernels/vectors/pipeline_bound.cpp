#include "kernels/vectors/pipeline_bound.hpp"

#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "core/config_error.hpp"
#include "impl/pipeline.hpp"
#include "properties/error_model.hpp"
#include "properties/pair_bound.hpp"
#include "reference/reference.hpp"

namespace ropecheck::vectors {

namespace {

// The prefix of a cos/sin-cache bound: "cache:f32" is a kernel handed the correctly rounded
// cos/sin tables in the set's dtype (`ropecheck vectors --cos-sin`) that rotates in f32.
constexpr std::string_view kCachePrefix = "cache:";

// The cos/sin-cache model named `name` ("cache:" and an arithmetic), or nullopt for a name
// without the prefix; throws ConfigError("--bound") for an unknown arithmetic.
std::optional<properties::CacheRotation> cache_model(const VectorSet& set,
                                                     const std::string& name) {
  if (!name.starts_with(kCachePrefix)) return std::nullopt;
  const std::string_view arithmetic = std::string_view(name).substr(kCachePrefix.size());
  for (Precision p : {Precision::f64, Precision::f32, Precision::bf16, Precision::f16})
    if (precision_name(p) == arithmetic)
      return properties::CacheRotation{storage_precision(set.dtype), p};
  throw ConfigError("--bound", fmt::format("unknown rotation arithmetic \"{}\" in \"{}\"; "
                                           "accepted: cache:f64, cache:f32, cache:bf16, "
                                           "cache:f16", arithmetic, name));
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
  return out + ", cache:f64, cache:f32, cache:bf16, cache:f16 (a kernel fed the correctly rounded "
               "cos/sin cache, rotating in that arithmetic) (or --max-ulp N)";
}

GradeBound pipeline_bound(const VectorSet& set, const std::string& pipeline) {
  if (const auto cache = cache_model(set, pipeline)) {
    const reference::Reference oracle(set.config, set.seq_len);
    auto bounds = std::make_shared<const properties::PairBounds>(*cache, set.config, set.seq_len,
                                                                 oracle, set.dtype);
    return within_pair_bounds(bounds, "cos/sin cache, rotation in " +
                                          pipeline.substr(kCachePrefix.size()));
  }
  if (!properties::has_error_model(pipeline))
    throw ConfigError("--bound", fmt::format("unknown bound \"{}\"; accepted for these {} "
                                             "vectors: {}", pipeline, dtype_name(set.dtype),
                                             accepted_bounds(set.dtype)));
  const PipelineDescription& info = find_pipeline(pipeline);
  if (info.dtype != set.dtype)
    throw ConfigError("--bound", fmt::format("pipeline {} stores {} but the vectors are {}; "
                                             "accepted: {}", pipeline, dtype_name(info.dtype),
                                             dtype_name(set.dtype), accepted_bounds(set.dtype)));
  const reference::Reference oracle(set.config, set.seq_len);
  auto bounds = std::make_shared<const properties::PairBounds>(pipeline, set.config, set.seq_len,
                                                               oracle, set.dtype);
  return within_pair_bounds(bounds, "pipeline " + pipeline);
}

}  // namespace ropecheck::vectors
