#include "kernels/vectors/pipeline_bound.hpp"

#include <fmt/format.h>
#include <memory>

#include "core/config_error.hpp"
#include "impl/pipeline.hpp"
#include "properties/error_model.hpp"
#include "properties/pair_bound.hpp"
#include "reference/reference.hpp"

namespace ropecheck::vectors {

std::string accepted_bounds(Dtype dtype) {
  std::string out = "exact";
  for (const PipelineDescription& p : all_pipelines())
    if (p.dtype == dtype) out += ", " + std::string(p.name);
  return out + " (or --max-ulp N)";
}

GradeBound pipeline_bound(const VectorSet& set, const std::string& pipeline) {
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
  return GradeBound::within(
      [bounds](const OutputSite& site) {
        if (site.pair < 0) return 0.0;  // a pass-through channel must equal its input
        return bounds->bound(site.pair, site.position, site.x_a, site.x_b);
      },
      "pipeline " + pipeline);
}

}  // namespace ropecheck::vectors
