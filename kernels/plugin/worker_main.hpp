// ropecheck-kernel-worker: the only process that loads a plugin. It is started by
// KernelProcess with posix_spawn, loads the library, sends its table, then serves calls of its
// kernels over the shared arena until ropecheck closes the channel.
#pragma once

namespace ropecheck::kernels {

// The worker's main: argv = {worker, LIBRARY, MEMORY_LIMIT_BYTES, CPU_LIMIT_SECONDS}; the
// channel and the arena are descriptors kWorkerChannelFd and kWorkerArenaFd.
int worker_main(int argc, char** argv);

}  // namespace ropecheck::kernels
