#include "kernels/vectors/pipeline_bound.hpp"

#include <cmath>
#include <fmt/format.h>
#include <memory>
#include <vector>

#include "core/config_error.hpp"
#include "impl/implementation.hpp"
#include "properties/error_model.hpp"
#include "reference/reference.hpp"

namespace ropecheck::vectors {
namespace {

// What the bound of every output of one set depends on, computed once.
struct BoundContext {
  std::string pipeline;
  RopeConfig config;
  std::int64_t seq_len = 1;
  double attention = 1;
  std::vector<double> theta;  // exact theta_i, correctly rounded to double
};

}  // namespace

std::string accepted_bounds(Dtype dtype) {
  std::string out = "exact";
  for (const PipelineInfo& info : all_pipelines())
    if (info.dtype == dtype && properties::has_error_model(info.name))
      out += ", " + std::string(info.name);
  return out + " (or --max-ulp N)";
}

GradeBound pipeline_bound(const VectorSet& set, const std::string& pipeline) {
  const PipelineInfo* info = nullptr;
  for (const PipelineInfo& candidate : all_pipelines())
    if (candidate.name == pipeline) info = &candidate;
  if (!info || !properties::has_error_model(pipeline))
    throw ConfigError("--bound", fmt::format("unknown bound \"{}\"; accepted for these {} "
                                             "vectors: {}", pipeline, dtype_name(set.dtype),
                                             accepted_bounds(set.dtype)));
  if (info->dtype != set.dtype)
    throw ConfigError("--bound", fmt::format("pipeline {} stores {} but the vectors are {}; "
                                             "accepted: {}", pipeline, dtype_name(info->dtype),
                                             dtype_name(set.dtype), accepted_bounds(set.dtype)));
  auto context = std::make_shared<BoundContext>();
  context->pipeline = pipeline;
  context->config = set.config;
  context->seq_len = set.seq_len;
  const reference::Reference oracle(set.config, set.seq_len);
  context->attention = oracle.attention_factor();
  for (int pair = 0; pair < set.config.pairs(); ++pair) context->theta.push_back(oracle.theta(pair));
  return GradeBound::within(
      [context](const OutputSite& site) {
        if (site.pair < 0) return 0.0;  // a pass-through channel must equal its input
        properties::PairBoundInput in;
        in.config = &context->config;
        in.seq_len = context->seq_len;
        in.pair = site.pair;
        in.theta = context->theta[static_cast<std::size_t>(site.pair)];
        in.attention = context->attention;
        in.position = site.position;
        in.input_sum = std::fabs(site.x_a) + std::fabs(site.x_b);
        // |y_a|, |y_b| <= a * hypot(x_a, x_b): the rotation preserves the pair's norm.
        in.output_abs = context->attention * std::hypot(site.x_a, site.x_b);
        return properties::output_error_bound(context->pipeline, in);
      },
      "pipeline " + pipeline);
}

}  // namespace ropecheck::vectors
