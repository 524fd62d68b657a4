#include "audit/position_spec.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "core/config_error.hpp"

namespace ropecheck::audit {
namespace {

constexpr std::int64_t kMaxPosition = (std::int64_t{1} << 53) - 1;
constexpr std::size_t kMaxCount = std::size_t{1} << 28;  // a bound that keeps memory sane

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

[[noreturn]] void bad(const std::string& what, const std::string& message) {
  throw ConfigError("positions", fmt::format("{}: {}; accepted items: N, 2^K, 2^K-C, A..B, "
                                             "A..B:STEP, log:A..B:COUNT", what, message));
}

std::int64_t parse_plain(const std::string& text, const std::string& what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 16)
    bad(what, fmt::format("\"{}\" is not a non-negative integer", text));
  return std::stoll(text);
}

}  // namespace

std::int64_t parse_position_number(const std::string& raw, const std::string& what) {
  const std::string text = trim(raw);
  std::int64_t value = 0;
  const auto caret = text.find('^');
  if (caret == std::string::npos) {
    value = parse_plain(text, what);
  } else {
    if (text.substr(0, caret) != "2") bad(what, "only powers of two (2^K) are accepted");
    const std::string rest = text.substr(caret + 1);
    const auto sign = rest.find_first_of("+-");
    const std::int64_t k = parse_plain(rest.substr(0, sign), what);
    if (k > 53) bad(what, "positions must stay below 2^53");
    value = std::int64_t{1} << k;
    if (sign != std::string::npos) {
      const std::int64_t c = parse_plain(rest.substr(sign + 1), what);
      value = rest[sign] == '+' ? value + c : value - c;
    }
  }
  if (value < 0 || value > kMaxPosition) bad(what, "positions must lie in [0, 2^53)");
  return value;
}

std::vector<std::int64_t> parse_positions(const std::string& spec) {
  std::vector<std::int64_t> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const auto comma = spec.find(',', start);
    const std::string item = trim(spec.substr(start, comma == std::string::npos ? std::string::npos
                                                                                : comma - start));
    start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    if (item.empty()) bad(spec, "empty item");

    const bool log_spaced = item.rfind("log:", 0) == 0;
    const std::string body = log_spaced ? item.substr(4) : item;
    const auto dots = body.find("..");
    if (dots == std::string::npos) {
      if (log_spaced) bad(item, "log: needs a range A..B:COUNT");
      out.push_back(parse_position_number(body, item));
      continue;
    }
    const std::int64_t lo = parse_position_number(body.substr(0, dots), item);
    const std::string tail = body.substr(dots + 2);
    const auto colon = tail.find(':');
    const std::int64_t hi = parse_position_number(tail.substr(0, colon), item);
    if (hi < lo) bad(item, "the range ends before it starts");
    if (log_spaced) {
      if (colon == std::string::npos) bad(item, "log: needs a count (log:A..B:COUNT)");
      const std::int64_t count = parse_plain(tail.substr(colon + 1), item);
      if (count < 2 || static_cast<std::size_t>(count) > kMaxCount) bad(item, "count out of range");
      // Evenly spaced in log(1 + m) so that A = 0 is allowed.
      const double a = std::log1p(static_cast<double>(lo)), b = std::log1p(static_cast<double>(hi));
      for (std::int64_t i = 0; i < count; ++i) {
        const double t = a + (b - a) * static_cast<double>(i) / static_cast<double>(count - 1);
        out.push_back(std::clamp(static_cast<std::int64_t>(std::expm1(t)), lo, hi));
      }
      out.push_back(hi);
    } else {
      const std::int64_t step =
          colon == std::string::npos ? 1 : parse_plain(tail.substr(colon + 1), item);
      if (step <= 0) bad(item, "the step must be positive");
      if (static_cast<std::size_t>((hi - lo) / step) >= kMaxCount)
        bad(item, fmt::format("more than {} positions", kMaxCount));
      for (std::int64_t m = lo; m <= hi; m += step) out.push_back(m);
    }
    if (out.size() > kMaxCount) bad(spec, fmt::format("more than {} positions", kMaxCount));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::pair<std::int64_t, std::int64_t> parse_position_range(const std::string& spec) {
  const std::string body = trim(spec);
  const auto dots = body.find("..");
  if (dots == std::string::npos || body.find_first_of(",:") != std::string::npos)
    bad(spec, "the exhaustive audit takes one dense range A..B");
  const std::int64_t lo = parse_position_number(body.substr(0, dots), spec);
  const std::int64_t hi = parse_position_number(body.substr(dots + 2), spec);
  if (hi < lo) bad(spec, "the range ends before it starts");
  return {lo, hi};
}

std::string default_positions_spec() {
  return "0..63,2^11-1,2^11,2^11+1,2^24-1,2^24,2^24+1,log:64..2^31-1:4096";
}

}  // namespace ropecheck::audit
