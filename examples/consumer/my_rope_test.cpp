// The example project's conformance tests: ropecheck's battery on its kernel, as a C++ subject
// and as a C ABI plugin, one GoogleTest test per configuration.
#include "kernels/plugin/conformance.hpp"
#include "my_rope.hpp"

ROPECHECK_KERNEL_CONFORMANCE(MyRope, my_project::make_rope_subject);

ROPECHECK_KERNEL_CONFORMANCE(MyRopePlugin, [] {
  return ropecheck::plugin_subject(MY_ROPE_PLUGIN, "my_rope_f32", ropecheck::Dtype::f32);
});
