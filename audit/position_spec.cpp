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

namespace {

// One comma-separated item: the range lo..hi every `step`, or `count` log-spaced positions.
struct Item {
  std::int64_t lo = 0, hi = 0, step = 1, count = 0;  // count > 0: log-spaced
  std::size_t size() const {  // positions the item yields (before duplicates are removed)
    if (count > 0) return static_cast<std::size_t>(count) + 1;
    return static_cast<std::size_t>((hi - lo) / step) + 1;
  }
};

// Parses the items and their total size without expanding any of them, so that a spec too
// large to hold is refused before memory is spent on it.
std::vector<Item> parse_items(const std::string& spec) {
  if (trim(spec).empty()) bad("\"\"", "the spec is empty");
  std::vector<Item> items;
  std::size_t total = 0;
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
    Item parsed;
    if (dots == std::string::npos) {
      if (log_spaced) bad(item, "log: needs a range A..B:COUNT");
      parsed.lo = parsed.hi = parse_position_number(body, item);
    } else {
      parsed.lo = parse_position_number(body.substr(0, dots), item);
      const std::string tail = body.substr(dots + 2);
      const auto colon = tail.find(':');
      parsed.hi = parse_position_number(tail.substr(0, colon), item);
      if (parsed.hi < parsed.lo) bad(item, "the range ends before it starts");
      if (log_spaced) {
        if (colon == std::string::npos) bad(item, "log: needs a count (log:A..B:COUNT)");
        parsed.count = parse_plain(tail.substr(colon + 1), item);
        if (parsed.count < 2 || static_cast<std::size_t>(parsed.count) > kMaxCount)
          bad(item, "count out of range");
      } else if (colon != std::string::npos) {
        parsed.step = parse_plain(tail.substr(colon + 1), item);
        if (parsed.step <= 0) bad(item, "the step must be positive");
      }
    }
    // Each term is below 2^53 and there are fewer than 2^40 items: the sum cannot overflow.
    total += parsed.size();
    if (total > kMaxCount) bad(spec, fmt::format("more than {} positions (2^28)", kMaxCount));
    items.push_back(parsed);
  }
  return items;
}

}  // namespace

std::size_t count_positions(const std::string& spec) {
  std::size_t total = 0;
  for (const Item& item : parse_items(spec)) total += item.size();
  return total;
}

std::vector<std::int64_t> parse_positions(const std::string& spec) {
  const std::vector<Item> items = parse_items(spec);
  std::vector<std::int64_t> out;
  for (const Item& item : items) {
    if (item.count > 0) {
      // Evenly spaced in log(1 + m) so that A = 0 is allowed.
      const double a = std::log1p(static_cast<double>(item.lo));
      const double b = std::log1p(static_cast<double>(item.hi));
      for (std::int64_t i = 0; i < item.count; ++i) {
        const double t = a + (b - a) * static_cast<double>(i) / static_cast<double>(item.count - 1);
        out.push_back(std::clamp(static_cast<std::int64_t>(std::expm1(t)), item.lo, item.hi));
      }
      out.push_back(item.hi);
    } else {
      for (std::int64_t m = item.lo; m <= item.hi; m += item.step) out.push_back(m);
    }
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

std::vector<std::int64_t> parse_band_edges(const std::string& spec, const std::string& what) {
  std::vector<std::int64_t> edges;
  for (std::size_t start = 0; start <= spec.size();) {
    const auto comma = spec.find(',', start);
    const std::string item =
        spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    edges.push_back(parse_position_number(item, what + " " + spec));
    start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
  }
  if (edges.size() < 2 || !std::is_sorted(edges.begin(), edges.end()) ||
      std::adjacent_find(edges.begin(), edges.end()) != edges.end())
    throw ConfigError(what, "needs at least two increasing position edges, e.g. 0,2^16,2^31");
  return edges;
}

}  // namespace ropecheck::audit
