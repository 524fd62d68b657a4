// The parent side of crash isolation: one long-lived worker process per kernel, forked with the
// shared arena mapped, answering requests until it crashes, hangs or is closed.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <sys/types.h>

#include "kernels/plugin/plugin_library.hpp"
#include "kernels/plugin/shared_arena.hpp"
#include "kernels/plugin/worker_protocol.hpp"

namespace ropecheck::kernels {

// How a call ended when it did not return normally.
enum class CallFailure {
  none,
  crash,         // the worker died of a signal or exited
  hang,          // no answer within the timeout; the worker was killed
  input_write,   // it wrote into its read-only inputs (caught by the fault handler)
  out_of_bounds, // it touched the guard page after its output (or before its inputs)
};

// The outcome of one request.
struct CallResult {
  CallFailure failure = CallFailure::none;
  WorkerResponse response;  // valid when failure == none
  std::string what;         // one line when failure != none, e.g. "crash (SIGSEGV) in apply"
};

class KernelProcess {
 public:
  // The worker is started lazily, on the first call (forking costs milliseconds).
  KernelProcess(std::shared_ptr<PluginLibrary> library, const rc_kernel* kernel,
                std::chrono::milliseconds timeout);
  ~KernelProcess();
  KernelProcess(const KernelProcess&) = delete;
  KernelProcess& operator=(const KernelProcess&) = delete;

  // The arena, grown (and the worker restarted) if it holds fewer than `data_bytes`.
  SharedArena& arena(std::size_t data_bytes);
  // Sends one request and waits for its answer; after a crash or hang the worker is gone and
  // the next call starts a fresh one (which re-runs init for its configuration).
  CallResult call(const WorkerRequest& request);

 private:
  void start();
  void stop();
  CallResult fail_from_exit(const WorkerResponse* fault, bool have_fault);

  std::shared_ptr<PluginLibrary> library_;
  const rc_kernel* kernel_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<SharedArena> arena_;
  pid_t pid_ = -1;
  int socket_ = -1;
};

// "SIGSEGV" for SIGSEGV, "signal 42" for an unnamed one.
std::string signal_name(int sig);

}  // namespace ropecheck::kernels
