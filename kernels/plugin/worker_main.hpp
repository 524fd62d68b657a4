// The worker side of a plugin process: what the forked child runs until ropecheck closes it.
#pragma once

#include "kernels/abi/ropecheck_kernel.h"
#include "kernels/plugin/shared_arena.hpp"

namespace ropecheck::kernels {

// Serves requests on `socket` for `kernel` over `arena`; never returns (exits with _exit).
// Runs in a child of a possibly multithreaded process, so it uses only system calls, the
// kernel's own code and memory the parent set up: no iostreams, no exceptions, no allocation
// of its own.
[[noreturn]] void run_worker(const rc_kernel* kernel, const SharedArena& arena, int socket);

}  // namespace ropecheck::kernels
