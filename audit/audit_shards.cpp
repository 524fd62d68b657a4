#include "audit/audit_shards.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <optional>

#include "audit/audit_engine.hpp"
#include "audit/audit_json.hpp"
#include "core/config_error.hpp"
#include "core/json_input.hpp"
#include "impl/implementation.hpp"

namespace ropecheck::audit {
namespace {

using nlohmann::json;

const char* const kWhat = "shard files";

// Reads one shard file (through the limited JSON reader) and checks its outer schema: version 1,
// exactly the keys of a sampled or an exhaustive shard, of the right types.
json read_shard(const std::string& path) {
  const json shard = read_json_file(path, kWhat);
  if (!shard.is_object() || shard.value("ropecheck_audit_shard", json()) != json(1))
    throw ConfigError(kWhat, path + " is not a ropecheck audit shard (version 1)");
  const char* const payload = shard.contains("part") ? "part" : "blocks";
  for (const char* key : {"shard", "options", payload})
    if (!shard.contains(key)) throw ConfigError(kWhat, fmt::format("{} lacks \"{}\"", path, key));
  for (const auto& [key, value] : shard.items())
    if (key != "ropecheck_audit_shard" && key != "shard" && key != "options" && key != payload)
      throw ConfigError(kWhat, fmt::format("{} has the unknown key \"{}\"", path, key));
  if (!shard["options"].is_object())
    throw ConfigError(kWhat, path + ": \"options\" must be an object");
  if (std::string(payload) == "blocks" && !shard["blocks"].is_array())
    throw ConfigError(kWhat, path + ": \"blocks\" must be a list");
  return shard;
}

// The options a sampled shard carries are held to the same ranges as the command line's.
void check_options(const AuditOptions& o) {
  if (o.heads < 1 || o.heads > 64) throw ConfigError(kWhat, "has heads outside 1..64");
  if (o.impls.empty()) throw ConfigError(kWhat, "names no implementation");
  for (const std::string& name : o.impls) find_implementation(name);
  if (o.band_edges.size() < 2 || !std::is_sorted(o.band_edges.begin(), o.band_edges.end()) ||
      std::adjacent_find(o.band_edges.begin(), o.band_edges.end()) != o.band_edges.end())
    throw ConfigError(kWhat, "has band edges that are not at least two increasing positions");
  for (double t : o.thresholds)
    if (!(t > 0) || !std::isfinite(t)) throw ConfigError(kWhat, "has a threshold that is not positive");
  if (o.seq_len < 1) throw ConfigError(kWhat, "has a seq_len below 1");
}

// Runs `read` on one shard file; any error inside (a wrong type or missing key deep in the
// shard, or a value out of range) becomes a ConfigError naming the file.
template <typename Read>
auto with_file_named(const std::string& path, Read read) {
  try {
    return read();
  } catch (const ConfigError& error) {
    const std::string what = error.what();
    if (what.find(path) != std::string::npos) throw;
    throw ConfigError(kWhat, fmt::format("{}: {}", path, what));
  } catch (const json::exception& error) {
    throw ConfigError(kWhat, fmt::format("{} does not match the shard format: {}", path,
                                         error.what()));
  }
}

}  // namespace

std::string shard_file_name(const AuditOptions& o) {
  return fmt::format("shard-{}-of-{}.json", o.shard_index, o.shard_count);
}

json shard_document(const AuditOptions& o, const std::vector<BlockResult>& blocks) {
  return {{"ropecheck_audit_shard", 1},
          {"shard", {o.shard_index, o.shard_count}},
          {"options", options_fingerprint(o)},
          {"blocks", blocks_to_json(blocks)}};
}

std::vector<std::string> find_shard_files(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code error;
    if (std::filesystem::is_directory(input, error)) {
      for (const auto& entry : std::filesystem::directory_iterator(input, error)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("shard-") && name.ends_with(".json"))
          files.push_back(entry.path().string());
      }
      if (error) throw ConfigError(kWhat, fmt::format("cannot list {}: {}", input, error.message()));
    } else {
      files.push_back(input);
    }
  }
  if (files.empty()) throw ConfigError(kWhat, "no shard-*.json files found in the inputs");
  std::sort(files.begin(), files.end());
  return files;
}

MergedAudit merge_shard_files(const std::vector<std::string>& paths) {
  std::optional<AuditOptions> options;
  json fingerprint;
  std::vector<BlockResult> blocks;
  for (const std::string& path : paths) {
    auto more = with_file_named(path, [&] {
      const json shard = read_shard(path);
      if (!options) {
        fingerprint = shard.at("options");
        if (fingerprint.value("mode", "") == "exhaustive")
          throw ConfigError(kWhat, path + " is a shard of an exhaustive audit");
        options = options_from_fingerprint(fingerprint);
        check_options(*options);
      } else if (shard.at("options") != fingerprint) {
        throw ConfigError(kWhat, path + " was made with different audit options");
      }
      return blocks_from_json(shard.at("blocks"), *options);
    });
    std::move(more.begin(), more.end(), std::back_inserter(blocks));
  }
  if (!options) throw ConfigError(kWhat, "no shard files given");
  AuditResult result = reduce_blocks(*options, std::move(blocks));
  return {std::move(*options), std::move(result)};
}

bool shards_are_exhaustive(const std::vector<std::string>& paths) {
  if (paths.empty()) throw ConfigError(kWhat, "no shard files given");
  return with_file_named(paths.front(), [&] {
    const json shard = read_shard(paths.front());
    return shard.at("options").value("mode", "") == "exhaustive";
  });
}

json exhaustive_shard_document(const ExhaustiveOptions& o, const ExhaustivePart& part) {
  return {{"ropecheck_audit_shard", 1},
          {"shard", {o.shard_index, o.shard_count}},
          {"options", exhaustive_fingerprint(o)},
          {"part", part_to_json(part)}};
}

MergedExhaustive merge_exhaustive_shard_files(const std::vector<std::string>& paths) {
  std::optional<ExhaustiveOptions> options;
  json fingerprint;
  std::vector<ExhaustivePart> parts;
  for (const std::string& path : paths) {
    parts.push_back(with_file_named(path, [&] {
      const json shard = read_shard(path);
      if (!options) {
        fingerprint = shard.at("options");
        options = exhaustive_options_from_fingerprint(fingerprint);
      } else if (shard.at("options") != fingerprint) {
        throw ConfigError(kWhat, path + " was made with different audit options");
      }
      return part_from_json(shard.at("part"), *options);
    }));
  }
  if (!options) throw ConfigError(kWhat, "no shard files given");
  ExhaustivePart all = merge_parts(*options, std::move(parts));
  return {std::move(*options), std::move(all)};
}

}  // namespace ropecheck::audit
