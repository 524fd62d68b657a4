// The --positions language of `ropecheck audit` (documented in spec/audit.md):
//   items separated by commas; an item is
//     N                 one position; N is an integer, 2^K, or 2^K+C / 2^K-C (e.g. 2^31-1)
//     A..B              every position from A to B inclusive (a dense band)
//     A..B:S            every S-th position from A (A, A+S, ... <= B)
//     log:A..B:N        N positions spaced evenly in log(1 + m) from A to B, rounded down
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ropecheck::audit {

// Positions of a spec, sorted ascending without duplicates; throws ConfigError("positions")
// for an empty or malformed spec, or one of more than 2^28 positions (refused before expanding).
std::vector<std::int64_t> parse_positions(const std::string& spec);

// How many positions the spec's items yield before duplicates are removed (an upper bound on
// parse_positions(spec).size()), computed without expanding them; throws like parse_positions.
std::size_t count_positions(const std::string& spec);

// One integer of the spec language ("2^31-1"); throws ConfigError naming `what`.
std::int64_t parse_position_number(const std::string& text, const std::string& what);

// One dense range "A..B" (the exhaustive audit's positions, never expanded into a list);
// throws ConfigError("positions").
std::pair<std::int64_t, std::int64_t> parse_position_range(const std::string& spec);

// The audit's position bands (table columns): edges of [edge_k, edge_k+1), the last closed.
inline constexpr const char* kDefaultBandEdges = "0,2^10,2^16,2^20,2^24,2^28,2^31";

// Band edges "A,B,..." (numbers as in the spec language): at least two, strictly increasing;
// throws ConfigError(`what`) otherwise.
std::vector<std::int64_t> parse_band_edges(const std::string& spec, const std::string& what);

// The default audit positions: every position below 64, then 4096 log-spaced up to 2^31-1,
// plus the edges where float formats lose integers (2^11 +- 1, 2^24 +- 1).
std::string default_positions_spec();

}  // namespace ropecheck::audit
