// The mutant catalogue: deliberately wrong RoPE implementations, each a bug class seen in public
// trackers. Each claims the bound of the pipeline it breaks; the suite must catch every one.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "properties/subject.hpp"

namespace ropecheck::properties {

struct MutantInfo {
  std::string name;       // e.g. "rotation-direction-flipped"
  std::string bug_class;  // what real bug it models, with the public issue where one exists
};

const std::vector<MutantInfo>& mutant_catalogue();

// For GoogleTest's parameter printing.
inline void PrintTo(const MutantInfo& m, std::ostream* os) { *os << m.name; }

// The mutant called `name` as a subject (throws std::invalid_argument if unknown).
std::unique_ptr<Subject> make_mutant(const std::string& name);

}  // namespace ropecheck::properties
