#include "kernels/plugin/kernel_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernels/plugin/worker_main.hpp"

namespace ropecheck::kernels {
namespace {

// Closes every descriptor >= 3 except `keep` in the child, so that no other worker's socket
// stays open in it (the parent detects a dead worker by end-of-file on its socket).
void close_other_descriptors(int keep) {
#ifdef SYS_close_range
  if (keep > 3) syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
  if (syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0) return;
#endif
  const long max_fd = sysconf(_SC_OPEN_MAX);
  for (long fd = 3; fd < (max_fd > 0 ? max_fd : 1024); ++fd)
    if (fd != keep) close(static_cast<int>(fd));
}

const char* stage_name(WorkerStage stage) {
  switch (stage) {
    case WorkerStage::init: return "init";
    case WorkerStage::apply: return "apply";
    case WorkerStage::supports: return "supports";
  }
  return "apply";
}

}  // namespace

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    default: return fmt::format("signal {}", sig);
  }
}

KernelProcess::KernelProcess(std::shared_ptr<PluginLibrary> library, const rc_kernel* kernel,
                             std::chrono::milliseconds timeout)
    : library_(std::move(library)), kernel_(kernel), timeout_(timeout) {}

KernelProcess::~KernelProcess() { stop(); }

SharedArena& KernelProcess::arena(std::size_t data_bytes) {
  if (!arena_ || arena_->capacity() < data_bytes) {
    stop();  // the worker maps the arena at fork time; a new arena needs a new worker
    const std::size_t grown = arena_ ? std::max(data_bytes, 2 * arena_->capacity()) : data_bytes;
    arena_ = std::make_unique<SharedArena>(grown);
  }
  return *arena_;
}

void KernelProcess::start() {
  if (!arena_) throw std::logic_error("KernelProcess::start before arena()");
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0)
    throw std::runtime_error(fmt::format("socketpair failed: {}", std::strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) {
    close(sockets[0]);
    close(sockets[1]);
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    close(sockets[0]);
    close_other_descriptors(sockets[1]);
    run_worker(kernel_, *arena_, sockets[1]);
  }
  close(sockets[1]);
  pid_ = pid;
  socket_ = sockets[0];
}

void KernelProcess::stop() {
  if (pid_ <= 0) return;
  close(socket_);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  socket_ = -1;
}

CallResult KernelProcess::fail_from_exit(const WorkerResponse* fault, bool have_fault) {
  int status = 0;
  waitpid(pid_, &status, 0);
  close(socket_);
  pid_ = -1;
  socket_ = -1;
  CallResult result;
  const char* stage = have_fault ? stage_name(fault->stage) : "the kernel";
  if (have_fault && fault->region == FaultRegion::inputs) {
    result.failure = CallFailure::input_write;
    result.what = fmt::format("wrote into its read-only input ({} at offset {} of the inputs) "
                              "in {}", signal_name(fault->signal), fault->fault_offset, stage);
  } else if (have_fault && (fault->region == FaultRegion::trailing_guard ||
                            fault->region == FaultRegion::leading_guard)) {
    result.failure = CallFailure::out_of_bounds;
    const char* access = fault->is_write == 1 ? "write" : fault->is_write == 0 ? "read" : "access";
    result.what = fault->region == FaultRegion::trailing_guard
                      ? fmt::format("out-of-bounds {} past the end of its output y ({} in the "
                                    "guard page) in {}", access, signal_name(fault->signal), stage)
                      : fmt::format("out-of-bounds {} before its inputs ({} in the guard page) "
                                    "in {}", access, signal_name(fault->signal), stage);
  } else if (WIFSIGNALED(status)) {
    result.failure = CallFailure::crash;
    result.what = have_fault && (fault->signal == SIGSEGV || fault->signal == SIGBUS)
                      ? fmt::format("crash ({}) in {} at address 0x{:x}",
                                    signal_name(WTERMSIG(status)), stage, fault->fault_address)
                      : fmt::format("crash ({}) in {}", signal_name(WTERMSIG(status)), stage);
  } else {
    result.failure = CallFailure::crash;
    result.what = fmt::format("crash (the kernel process exited with status {}) in {}",
                              WIFEXITED(status) ? WEXITSTATUS(status) : -1, stage);
  }
  return result;
}

CallResult KernelProcess::call(const WorkerRequest& request) {
  if (pid_ <= 0) start();
  if (send(socket_, &request, sizeof request, MSG_NOSIGNAL) != sizeof request)
    return fail_from_exit(nullptr, false);

  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  WorkerResponse response;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      close(socket_);
      pid_ = -1;
      socket_ = -1;
          CallResult result;
      result.failure = CallFailure::hang;
      result.what = fmt::format("hang: no answer within {} ms (killed)", timeout_.count());
      return result;
    }
    pollfd fd{socket_, POLLIN, 0};
    // Wake at least every 100 ms to notice a worker that died without closing its socket.
    const int ready = poll(&fd, 1, static_cast<int>(std::min<long>(left.count(), 100)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        // Reaped already: report from the status we just took.
        close(socket_);
        pid_ = -1;
        socket_ = -1;
              CallResult result;
        result.failure = CallFailure::crash;
        result.what = WIFSIGNALED(status)
                          ? fmt::format("crash ({}) in the kernel", signal_name(WTERMSIG(status)))
                          : fmt::format("crash (the kernel process exited with status {})",
                                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return result;
      }
      continue;
    }
    const ssize_t got = recv(socket_, &response, sizeof response, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == static_cast<ssize_t>(sizeof response) && response.reply == WorkerReply::done) {
      CallResult result;
      result.response = response;
      return result;
    }
    if (got == static_cast<ssize_t>(sizeof response) && response.reply == WorkerReply::fault)
      return fail_from_exit(&response, true);
    return fail_from_exit(nullptr, false);
  }
}

}  // namespace ropecheck::kernels
