// Reading JSON that comes from users (requests, configs, vector metadata, audit shards) with
// limits, so that no input can exhaust the stack or the memory: every such parse goes through here.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ropecheck {

// The deepest nesting accepted. Hugging Face configs nest four levels at most; nlohmann's
// recursive copy, comparison and destruction overflow the stack at around 10^4-10^5 levels.
inline constexpr int kMaxJsonDepth = 64;

// The largest JSON text accepted (64 MiB): far more than any config or request needs, and small
// enough that the parsed document (about 8x the text) fits in memory.
inline constexpr std::size_t kMaxJsonBytes = std::size_t{64} << 20;

// Parses `text` as JSON; throws ConfigError naming `what` (a key, option or file) when it is
// larger than kMaxJsonBytes, nests deeper than kMaxJsonDepth, is not valid JSON (UTF-8
// included) or holds a number that overflows a double (1e400). `callback` is nlohmann's parser
// callback (may be empty).
nlohmann::json parse_json_text(std::string_view text, const std::string& what,
                               const nlohmann::json::parser_callback_t& callback = nullptr);

// Reads at most `max_bytes` bytes of the file at `path` (any readable file that is not a
// directory: a pipe or /dev/stdin works; /dev/zero is refused as too large); throws ConfigError
// naming `what`: "<what>: <path> is a directory", "... cannot be read", "... exceeds N bytes".
std::string read_text_file(const std::string& path, const std::string& what,
                           std::size_t max_bytes = kMaxJsonBytes);

// Reads at most `max_bytes` bytes from standard input; throws ConfigError naming `what`.
std::string read_standard_input(const std::string& what, std::size_t max_bytes = kMaxJsonBytes);

// read_text_file then parse_json_text; errors name `what` and the path.
nlohmann::json read_json_file(const std::string& path, const std::string& what);

// Serializes JSON for output: text that is not valid UTF-8 (a path, a plugin's message) is
// written with U+FFFD in place of the bad bytes instead of failing.
std::string dump_json(const nlohmann::json& value, int indent = -1);

}  // namespace ropecheck
