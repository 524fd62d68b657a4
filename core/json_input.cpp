#include "core/json_input.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/config_error.hpp"

namespace ropecheck {
namespace {

// The deepest nesting of `text`, counting brackets outside strings; stops early past the limit
// so that the parser (and every recursive operation on its result) never sees such a document.
bool nests_too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// Reads everything from `fd` up to max_bytes + 1 bytes (one more tells "too large").
std::string read_capped(int fd, std::size_t max_bytes, const std::string& what,
                        const std::string& source) {
  std::string out;
  char buffer[1 << 16];
  while (out.size() <= max_bytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return out;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ConfigError(what, fmt::format("{} cannot be read: {}", source, std::strerror(errno)));
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  throw ConfigError(what,
                    fmt::format("{} exceeds the {}-byte limit on input size", source, max_bytes));
}

// Parses with the limits; messages read "<what>: <source> is not valid JSON: ...".
nlohmann::json parse_limited(std::string_view text, const std::string& what,
                             const std::string& source,
                             const nlohmann::json::parser_callback_t& callback) {
  if (text.size() > kMaxJsonBytes)
    throw ConfigError(what, fmt::format("{}is {} bytes of JSON, over the {}-byte limit", source,
                                        text.size(), kMaxJsonBytes));
  if (nests_too_deep(text))
    throw ConfigError(what, fmt::format("{}nests deeper than {} levels of JSON arrays and objects",
                                        source, kMaxJsonDepth));
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const nlohmann::json::exception& error) {
    // parse_error for syntax and UTF-8, out_of_range 406 for numbers such as 1e400.
    throw ConfigError(what, fmt::format("{}is not valid JSON: {}", source, error.what()));
  }
}

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& what,
                               const nlohmann::json::parser_callback_t& callback) {
  return parse_limited(text, what, "", callback);
}

std::string read_text_file(const std::string& path, const std::string& what,
                           std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    throw ConfigError(what, fmt::format("{} cannot be opened: {}", path, std::strerror(errno)));
  struct stat info {};
  if (::fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    ::close(fd);
    throw ConfigError(what, fmt::format("{} is a directory; give a file", path));
  }
  // Blocking reads from here on (O_NONBLOCK only kept open() from waiting on a FIFO writer).
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  try {
    std::string text = read_capped(fd, max_bytes, what, path);
    ::close(fd);
    return text;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::string read_standard_input(const std::string& what, std::size_t max_bytes) {
  return read_capped(STDIN_FILENO, max_bytes, what, "standard input");
}

nlohmann::json read_json_file(const std::string& path, const std::string& what) {
  return parse_limited(read_text_file(path, what), what, path + " ", nullptr);
}

std::string dump_json(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ropecheck
