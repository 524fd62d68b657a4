#include "core/rope_config.hpp"

#include <algorithm>

namespace ropecheck {
namespace {

struct RopeTypeName {
  RopeType type;
  std::string_view name;
};
constexpr RopeTypeName kRopeTypeNames[] = {
    {RopeType::standard, "default"}, {RopeType::linear, "linear"},
    {RopeType::ntk, "ntk"},          {RopeType::dynamic, "dynamic"},
    {RopeType::yarn, "yarn"},        {RopeType::llama3, "llama3"},
    {RopeType::longrope, "longrope"}, {RopeType::proportional, "proportional"},
};

}  // namespace

std::string_view rope_type_name(RopeType type) {
  for (const auto& entry : kRopeTypeNames)
    if (entry.type == type) return entry.name;
  return "default";
}

std::optional<RopeType> parse_rope_type(std::string_view text) {
  for (const auto& entry : kRopeTypeNames)
    if (entry.name == text) return entry.type;
  if (text == "su") return RopeType::longrope;  // Phi-3's first configs named LongRoPE "su"
  return std::nullopt;
}

std::string accepted_rope_types() {
  std::string out;
  for (const auto& entry : kRopeTypeNames) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out + " (and legacy \"su\" for longrope)";
}

std::string_view layout_name(Layout layout) {
  return layout == Layout::half ? "half" : "interleaved";
}

std::optional<Layout> parse_layout(std::string_view text) {
  if (text == "half" || text == "neox" || text == "half-split") return Layout::half;
  if (text == "interleaved" || text == "gptj" || text == "normal") return Layout::interleaved;
  return std::nullopt;
}

std::int64_t RopeConfig::original_context() const {
  if (scaling.original_max_position_embeddings) return *scaling.original_max_position_embeddings;
  return max_position_embeddings.value_or(0);
}

std::int64_t effective_seq_len(std::int64_t max_position, std::optional<std::int64_t> seq_len) {
  if (seq_len) return *seq_len;
  return std::max<std::int64_t>(max_position, 0) + 1;
}

}  // namespace ropecheck
