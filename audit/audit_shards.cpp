#include "audit/audit_shards.hpp"

#include <fmt/format.h>
#include <filesystem>
#include <fstream>
#include <optional>

#include "audit/audit_engine.hpp"
#include "audit/audit_json.hpp"
#include "core/config_error.hpp"

namespace ropecheck::audit {
namespace {

using nlohmann::json;

const char* const kWhat = "shard files";

json read_shard(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw ConfigError(kWhat, "cannot read " + path);
  json shard;
  try {
    shard = json::parse(file);
  } catch (const json::parse_error& error) {
    throw ConfigError(kWhat, path + " is not valid JSON: " + error.what());
  }
  if (!shard.is_object() || !shard.contains("ropecheck_audit_shard"))
    throw ConfigError(kWhat, path + " is not a ropecheck audit shard");
  return shard;
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
    if (std::filesystem::is_directory(input)) {
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("shard-") && name.ends_with(".json"))
          files.push_back(entry.path().string());
      }
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
    const json shard = read_shard(path);
    if (!options) {
      fingerprint = shard.at("options");
      if (fingerprint.value("mode", "") == "exhaustive")
        throw ConfigError(kWhat, path + " is a shard of an exhaustive audit");
      options = options_from_fingerprint(fingerprint);
    } else if (shard.at("options") != fingerprint) {
      throw ConfigError(kWhat, path + " was made with different audit options");
    }
    auto more = blocks_from_json(shard.at("blocks"), *options);
    std::move(more.begin(), more.end(), std::back_inserter(blocks));
  }
  if (!options) throw ConfigError(kWhat, "no shard files given");
  AuditResult result = reduce_blocks(*options, std::move(blocks));
  return {std::move(*options), std::move(result)};
}

bool shards_are_exhaustive(const std::vector<std::string>& paths) {
  if (paths.empty()) throw ConfigError(kWhat, "no shard files given");
  const json shard = read_shard(paths.front());
  return shard.at("options").value("mode", "") == "exhaustive";
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
    const json shard = read_shard(path);
    if (!options) {
      fingerprint = shard.at("options");
      options = exhaustive_options_from_fingerprint(fingerprint);
    } else if (shard.at("options") != fingerprint) {
      throw ConfigError(kWhat, path + " was made with different audit options");
    }
    parts.push_back(part_from_json(shard.at("part"), *options));
  }
  if (!options) throw ConfigError(kWhat, "no shard files given");
  ExhaustivePart all = merge_parts(*options, std::move(parts));
  return {std::move(*options), std::move(all)};
}

}  // namespace ropecheck::audit
