// Reading a whole input file into memory with a clear error instead of a crash or a huge
// allocation.
#pragma once

#include <cstdint>
#include <string>

namespace ropecheck::vectors {

// The largest file read (1 GiB): more than any vector set (kMaxVectorValues) needs.
inline constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{1} << 30;

// The bytes of the regular file `path`; throws ConfigError(path, why) when it is missing, not a
// regular file, larger than kMaxFileBytes or unreadable.
std::string read_file_bytes(const std::string& path);

}  // namespace ropecheck::vectors
