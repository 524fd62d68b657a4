// The example project's RoPE kernel: f32 storage, angles and rotation in double, default and
// linear RoPE in both layouts.
#pragma once

#include <memory>

#include "properties/subject.hpp"

namespace my_project {

// The kernel wrapped as a ropecheck subject, claiming the "f32" pipeline's bound.
std::unique_ptr<ropecheck::properties::Subject> make_rope_subject();

}  // namespace my_project
