// ropecheck's side of plugin isolation: one ropecheck-kernel-worker process, started with
// posix_spawn in its own process group under memory and CPU limits, its output captured and
// capped, every wait bounded by a timeout. Plugin code never runs in ropecheck's process.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <vector>

#include "kernels/plugin/shared_arena.hpp"
#include "kernels/plugin/worker_protocol.hpp"

namespace ropecheck::kernels {

// The limits every worker runs under (spec/kernel-abi.md, "The process the kernel runs in").
struct WorkerLimits {
  // Loading the library, and each call; a worker that takes longer is a hang and is killed.
  std::chrono::milliseconds timeout{10000};
  // RLIMIT_AS of the worker: allocations past it fail in the plugin.
  std::uint64_t memory_bytes = std::uint64_t{4} << 30;
  // RLIMIT_CPU of the worker (all its calls together): SIGXCPU past it.
  std::uint64_t cpu_seconds = 600;
  // Bytes of the worker's stdout and stderr kept; more is a finding (bounded-output).
  std::size_t output_cap = std::size_t{1} << 20;
};

// How a call (or the start of a worker) ended when it did not return normally.
enum class CallFailure {
  none,
  crash,          // the worker died of a signal, exited, or closed its channel
  hang,           // no answer within the timeout; the worker was killed
  input_write,    // it wrote into its read-only inputs
  out_of_bounds,  // it touched a guard page around one of the call's arrays
};

struct CallResult {
  CallFailure failure = CallFailure::none;
  WorkerResponse response;  // valid when failure == none
  std::string what;         // one line when failure != none, e.g. "crash (SIGSEGV) in apply"
};

// What starting a worker gave: the table's descriptors, a broken ABI contract, or a failure.
struct StartResult {
  CallResult failure;                        // failure != none: crashed or hung while loading
  std::string load_error;                    // non-empty: the library broke the ABI contract
  std::vector<WorkerKernelRecord> records;   // the table, in order
};

// The worker executable: $ROPECHECK_KERNEL_WORKER, else ropecheck-kernel-worker beside the
// running executable, else the installed and the build-tree copies. Throws std::runtime_error
// naming the places tried when none exists.
std::string worker_executable();

class KernelProcess {
 public:
  KernelProcess(std::string library, WorkerLimits limits);
  ~KernelProcess();
  KernelProcess(const KernelProcess&) = delete;
  KernelProcess& operator=(const KernelProcess&) = delete;

  // Starts a fresh worker (stopping any running one) and reads the library's table.
  StartResult start();
  // Stops the worker: closes its channel and kills its whole process group.
  void stop();

  // The arena, grown (and handed to a running worker) if it holds fewer than `data_bytes`.
  SharedArena& arena(std::size_t data_bytes);
  // Sends one request and waits for its answer; starts a worker first when none runs (and
  // hands it the current arena). Before sending, the config's list pointers are set to the
  // worker's addresses of the lists. After a failure the worker is gone; the next call starts
  // a fresh one.
  CallResult call(const WorkerRequest& request);

  // Kills the processes of the worker's group other than the worker (children a plugin left
  // running) and returns how many there were.
  std::size_t kill_strays();

  // Bytes the workers of this process wrote to stdout/stderr so far, and the first of them.
  std::uint64_t output_bytes() const { return output_total_; }
  const std::string& output_head() const { return output_head_; }
  const WorkerLimits& limits() const { return limits_; }

 private:
  bool send_request(const WorkerRequest& request, int fd);
  // Waits for one message until `deadline`; on failure fills `failure` and stops the worker.
  bool receive(WorkerResponse& response, std::chrono::steady_clock::time_point deadline,
               WorkerStage stage, CallResult& failure, const WorkerRequest* request);
  void drain_output();
  std::string describe_exit(int status, const struct rusage& usage) const;
  // " after using N MiB, near the memory limit of M MiB" when the peak says so, else "".
  std::string memory_note(const struct rusage& usage) const;
  // Reaps the worker (after killing its group), waiting at most a bounded time.
  bool reap(int& status, struct rusage& usage, std::chrono::milliseconds grace);
  CallResult fault_result(const WorkerResponse& fault, const WorkerRequest* request);

  std::string library_;
  WorkerLimits limits_;
  std::unique_ptr<SharedArena> arena_;
  std::size_t mapped_bytes_ = 0;  // the arena size the running worker has mapped
  std::uint64_t worker_address_ = 0;  // where the running worker mapped the data area
  pid_t pid_ = -1;
  bool reaped_ = false;  // the worker's exit status was already taken
  int channel_ = -1;
  int output_ = -1;
  std::uint64_t output_total_ = 0;
  std::string output_head_;
};

// "SIGSEGV" for SIGSEGV, "signal 42" for an unnamed one.
std::string signal_name(int sig);
// "dlopen (the library's constructors)", "apply", ... for messages.
std::string stage_description(WorkerStage stage);

}  // namespace ropecheck::kernels
