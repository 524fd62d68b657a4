#include "kernels/plugin/kernel_process.hpp"

#include "kernels/abi/ropecheck_kernel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ropecheck::kernels {
namespace {

constexpr const char* kWorkerName = "ropecheck-kernel-worker";

bool executable(const std::string& path) {
  return !path.empty() && access(path.c_str(), X_OK) == 0;
}

// A copy of `fd` numbered at least 10, so the spawn's dup2 onto 3 and 4 cannot clobber it.
int high_copy(int fd) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (copy < 0)
    throw std::runtime_error(fmt::format("fcntl(F_DUPFD) failed: {}", std::strerror(errno)));
  return copy;
}

}  // namespace

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    case SIGTRAP:
      return "SIGTRAP";
    case SIGSYS:
      return "SIGSYS";
    case SIGKILL:
      return "SIGKILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGXCPU:
      return "SIGXCPU: CPU time limit";
    case SIGXFSZ:
      return "SIGXFSZ";
    case SIGPIPE:
      return "SIGPIPE";
    default:
      return fmt::format("signal {}", sig);
  }
}

std::string stage_description(WorkerStage stage) {
  switch (stage) {
    case WorkerStage::start:
      return "the worker's start";
    case WorkerStage::dlopen:
      return "dlopen (the library's constructors)";
    case WorkerStage::entry:
      return "ropecheck_kernels()";
    case WorkerStage::table:
      return "reading the kernel table";
    case WorkerStage::idle:
      return "the worker between calls";
    case WorkerStage::supports:
      return "supports()";
    case WorkerStage::init:
      return "init()";
    case WorkerStage::apply:
      return "apply()";
    case WorkerStage::teardown:
      return "teardown()";
  }
  return "the kernel";
}

std::string worker_executable() {
  std::vector<std::string> tried;
  if (const char* env = std::getenv("ROPECHECK_KERNEL_WORKER"); env != nullptr && *env != '\0') {
    if (executable(env)) return env;
    throw std::runtime_error(
        fmt::format("ROPECHECK_KERNEL_WORKER={} is not an executable file", env));
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string beside = (self.parent_path() / kWorkerName).string();
    if (executable(beside)) return beside;
    tried.push_back(beside);
  }
#ifdef ROPECHECK_WORKER_INSTALLED
  if (executable(ROPECHECK_WORKER_INSTALLED)) return ROPECHECK_WORKER_INSTALLED;
  tried.push_back(ROPECHECK_WORKER_INSTALLED);
#endif
#ifdef ROPECHECK_WORKER_BUILT
  if (executable(ROPECHECK_WORKER_BUILT)) return ROPECHECK_WORKER_BUILT;
  tried.push_back(ROPECHECK_WORKER_BUILT);
#endif
  std::string list;
  for (const std::string& t : tried) list += (list.empty() ? "" : ", ") + t;
  throw std::runtime_error(
      fmt::format("cannot find {} (tried {}); set ROPECHECK_KERNEL_WORKER "
                  "to its path",
                  kWorkerName, list));
}

KernelProcess::KernelProcess(std::string library, WorkerLimits limits)
    : library_(std::move(library)), limits_(limits) {}

KernelProcess::~KernelProcess() {
  stop();
}

SharedArena& KernelProcess::arena(std::size_t data_bytes) {
  if (!arena_ || arena_->capacity() < data_bytes) {
    const std::size_t grown = arena_ ? std::max(data_bytes, 2 * arena_->capacity()) : data_bytes;
    arena_ = std::make_unique<SharedArena>(grown);
  }
  return *arena_;
}

void KernelProcess::drain_output() {
  if (output_ < 0) return;
  char buffer[65536];
  for (;;) {
    const ssize_t got = read(output_, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;  // EAGAIN (nothing more now) or EOF
    output_total_ += static_cast<std::uint64_t>(got);
    if (output_head_.size() < limits_.output_cap)
      output_head_.append(buffer, std::min(static_cast<std::size_t>(got),
                                           limits_.output_cap - output_head_.size()));
  }
}

bool KernelProcess::reap(int& status, struct rusage& usage, std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    const pid_t got = wait4(pid_, &status, WNOHANG, &usage);
    if (got == pid_) return true;
    if (got < 0 && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    drain_output();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void KernelProcess::stop() {
  if (pid_ <= 0) return;
  close(channel_);
  channel_ = -1;
  // The whole group: children the plugin started die with it.
  kill(-pid_, SIGKILL);
  int status = 0;
  struct rusage usage {};
  // A process stuck in the kernel may take a moment to die; beyond the grace it is left with
  // SIGKILL pending rather than waited for without end.
  if (!reaped_) reap(status, usage, std::chrono::milliseconds(5000));
  reaped_ = false;
  drain_output();
  close(output_);
  output_ = -1;
  pid_ = -1;
  mapped_bytes_ = 0;
}

StartResult KernelProcess::start() {
  stop();
  StartResult result;
  const std::string path = worker_executable();
  SharedArena& shared = arena(SharedArena::page_size() * 4);
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0)
    throw std::runtime_error(fmt::format("socketpair failed: {}", std::strerror(errno)));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    close(sockets[0]);
    close(sockets[1]);
    throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
  }
  const int child_channel = high_copy(sockets[1]);
  const int child_arena = high_copy(shared.fd());
  const int child_output = high_copy(pipe_fds[1]);
  close(sockets[1]);
  close(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, child_output, 1);
  posix_spawn_file_actions_adddup2(&actions, child_output, 2);
  posix_spawn_file_actions_adddup2(&actions, child_channel, kWorkerChannelFd);
  posix_spawn_file_actions_adddup2(&actions, child_arena, kWorkerArenaFd);
  // Nothing else of ropecheck's (or of a test binary's) descriptors reaches plugin code.
  posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerArenaFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);  // its own process group, killed as one
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string memory = std::to_string(limits_.memory_bytes);
  const std::string cpu = std::to_string(limits_.cpu_seconds);
  // The worker watches this process (not the calling thread) and ends when it is gone.
  const std::string self = std::to_string(getpid());
  std::vector<char*> argv{const_cast<char*>(path.c_str()),   const_cast<char*>(library_.c_str()),
                          const_cast<char*>(memory.c_str()), const_cast<char*>(cpu.c_str()),
                          const_cast<char*>(self.c_str()),   nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(child_channel);
  close(child_arena);
  close(child_output);
  if (spawned != 0) {
    close(sockets[0]);
    close(pipe_fds[0]);
    throw std::runtime_error(fmt::format("cannot start {}: {}", path, std::strerror(spawned)));
  }
  pid_ = pid;
  channel_ = sockets[0];
  output_ = pipe_fds[0];
  fcntl(output_, F_SETFL, fcntl(output_, F_GETFL) | O_NONBLOCK);
  mapped_bytes_ = shared.capacity();

  // Loading: stage announcements, then the table (or a load error), all within one timeout.
  const auto deadline = std::chrono::steady_clock::now() + limits_.timeout;
  WorkerStage stage = WorkerStage::start;
  for (;;) {
    WorkerResponse r;
    if (!receive(r, deadline, stage, result.failure, nullptr)) return result;
    switch (r.reply) {
      case WorkerReply::stage:
        stage = r.stage;
        break;
      case WorkerReply::load_error:
        r.message[sizeof r.message - 1] = '\0';
        result.load_error = r.message;
        stop();
        return result;
      case WorkerReply::kernel:
        result.records.push_back(r.record);
        break;
      case WorkerReply::table_end:
        worker_address_ = r.arena_address;
        if (static_cast<std::size_t>(r.code) != result.records.size()) {
          stop();
          result.failure.failure = CallFailure::crash;
          result.failure.what = "broken protocol: the worker sent an incomplete kernel table";
        }
        return result;
      default:
        stop();
        result.failure.failure = CallFailure::crash;
        result.failure.what = fmt::format(
            "broken protocol: unexpected message {} while loading "
            "the library",
            static_cast<unsigned>(r.reply));
        return result;
    }
  }
}

std::string KernelProcess::describe_exit(int status, const struct rusage& usage) const {
  std::string what = WIFSIGNALED(status)
                         ? fmt::format("crash ({})", signal_name(WTERMSIG(status)))
                         : fmt::format("the worker exited with status {}",
                                       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return what + memory_note(usage);
}

std::string KernelProcess::memory_note(const struct rusage& usage) const {
  // ru_maxrss is in KiB. Close to the address-space limit, the crash is probably a failed
  // allocation the plugin did not check.
  const double peak = static_cast<double>(usage.ru_maxrss) * 1024.0;
  if (limits_.memory_bytes == 0 || peak <= 0.5 * static_cast<double>(limits_.memory_bytes))
    return {};
  return fmt::format(" after using {:.0f} MiB, near the memory limit of {} MiB", peak / 1048576.0,
                     limits_.memory_bytes >> 20);
}

CallResult KernelProcess::fault_result(const WorkerResponse& fault, const WorkerRequest* request) {
  CallResult result;
  result.failure = CallFailure::crash;
  const std::string stage = stage_description(fault.stage);
  const char* access = fault.is_write == 1 ? "write" : fault.is_write == 0 ? "read" : "access";
  const std::size_t page = SharedArena::page_size();
  if ((fault.signal == SIGSEGV || fault.signal == SIGBUS) && fault.in_arena && request != nullptr &&
      fault.fault_offset >= 0) {
    const auto offset = static_cast<std::uint64_t>(fault.fault_offset);
    for (std::uint32_t i = 0; i < kBufferCount; ++i) {
      const WorkerBuffer& b = request->buffers[i];
      if (b.size == 0) continue;
      const std::uint64_t begin = b.offset / page * page;
      const std::uint64_t end = (b.offset + b.size + page - 1) / page * page;
      if (offset >= b.offset && offset < b.offset + b.size) {
        result.failure = CallFailure::input_write;
        result.what = fmt::format("wrote into its read-only input {} (byte {} of it) in {}",
                                  buffer_name(i), offset - b.offset, stage);
        return result;
      }
      if (offset >= begin && offset < b.offset) {
        result.failure = i == kYBuffer ? CallFailure::out_of_bounds : CallFailure::input_write;
        result.what = fmt::format("out-of-bounds {} {} bytes before the start of {} in {}", access,
                                  b.offset - offset, buffer_name(i), stage);
        return result;
      }
      if (offset >= end && offset < end + page) {
        result.failure = CallFailure::out_of_bounds;
        result.what = fmt::format(
            "out-of-bounds {} past the end of {} (byte {} after its last "
            "one, in the guard page) in {}",
            access, buffer_name(i), offset - (b.offset + b.size), stage);
        return result;
      }
      if (offset + page >= begin && offset < begin) {
        result.failure = CallFailure::out_of_bounds;
        result.what = fmt::format(
            "out-of-bounds {} before the start of {} (in the guard page) "
            "in {}",
            access, buffer_name(i), stage);
        return result;
      }
    }
    result.failure = CallFailure::out_of_bounds;
    result.what = fmt::format("out-of-bounds {} in the call's memory, outside every array, in {}",
                              access, stage);
    return result;
  }
  result.what = fault.signal == SIGSEGV || fault.signal == SIGBUS
                    ? fmt::format("crash ({}) in {} at address 0x{:x}", signal_name(fault.signal),
                                  stage, fault.fault_address)
                    : fmt::format("crash ({}) in {}", signal_name(fault.signal), stage);
  return result;
}

bool KernelProcess::receive(WorkerResponse& response,
                            std::chrono::steady_clock::time_point deadline, WorkerStage stage,
                            CallResult& failure, const WorkerRequest* request) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      // Where it hangs: loading stages are announced; calls keep the stage word in page 0.
      if (stage == WorkerStage::idle && arena_)
        stage =
            static_cast<WorkerStage>(*reinterpret_cast<volatile std::uint32_t*>(arena_->data()));
      stop();
      failure.failure = CallFailure::hang;
      failure.what = fmt::format("hang in {}: no answer within {} ms (killed)",
                                 stage_description(stage), limits_.timeout.count());
      return false;
    }
    pollfd fds[2] = {{channel_, POLLIN, 0}, {output_, POLLIN, 0}};
    const int ready =
        poll(fds, output_ >= 0 ? 2 : 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw std::runtime_error(fmt::format("poll failed: {}", std::strerror(errno)));
    if (fds[1].revents & POLLIN) drain_output();
    if (fds[1].revents & (POLLHUP | POLLERR) && !(fds[1].revents & POLLIN)) {
      close(output_);  // every writer is gone; nothing more will come
      output_ = -1;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t got = recv(channel_, &response, sizeof response, MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got == static_cast<ssize_t>(sizeof response) && response.reply == WorkerReply::fault) {
      failure = fault_result(response, request);
      int status = 0;
      struct rusage usage {};
      reaped_ = reap(status, usage, std::chrono::milliseconds(2000));
      if (reaped_) failure.what += memory_note(usage);
      stop();
      return false;
    }
    if (got == static_cast<ssize_t>(sizeof response)) return true;
    // End of file, or a message of the wrong size: the worker died, exited, or closed its end.
    int status = 0;
    struct rusage usage {};
    const bool exited = got == 0 && reap(status, usage, std::chrono::milliseconds(1000));
    if (stage == WorkerStage::idle && arena_)
      stage = static_cast<WorkerStage>(*reinterpret_cast<volatile std::uint32_t*>(arena_->data()));
    failure.failure = CallFailure::crash;
    if (got > 0)
      failure.what =
          fmt::format("broken protocol: a {}-byte message in {}", got, stage_description(stage));
    else if (exited)
      failure.what =
          fmt::format("{} in {}", describe_exit(status, usage), stage_description(stage));
    else
      failure.what = fmt::format(
          "closed ropecheck's channel (its file descriptors) without "
          "exiting in {} (killed)",
          stage_description(stage));
    reaped_ = exited;
    stop();
    return false;
  }
}

std::size_t KernelProcess::kill_strays() {
  if (pid_ <= 0) return 0;
  std::size_t found = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == pid_) continue;
    // getpgid needs no parsing of /proc/N/stat and fails for processes that are gone.
    if (getpgid(pid) != pid_) continue;
    kill(pid, SIGKILL);
    ++found;
  }
  return found;
}

bool KernelProcess::send_request(const WorkerRequest& request, int fd) {
  iovec io{const_cast<WorkerRequest*>(&request), sizeof request};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &io;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  for (;;) {
    const ssize_t sent = sendmsg(channel_, &msg, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    return sent == static_cast<ssize_t>(sizeof request);
  }
}

CallResult KernelProcess::call(const WorkerRequest& request) {
  CallResult result;
  if (pid_ <= 0) {
    StartResult started = start();
    if (started.failure.failure != CallFailure::none) return started.failure;
    if (!started.load_error.empty()) {
      result.failure = CallFailure::crash;
      result.what = "the library failed to load again in a new worker: " + started.load_error;
      return result;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + limits_.timeout;
  if (arena_ && arena_->capacity() != mapped_bytes_) {
    WorkerRequest map;
    map.op = WorkerOp::map;
    map.arena_bytes = arena_->capacity();
    WorkerResponse ack;
    if (!send_request(map, arena_->fd()) ||
        !receive(ack, deadline, WorkerStage::idle, result, nullptr)) {
      if (result.failure == CallFailure::none) {
        stop();
        result.failure = CallFailure::crash;
        result.what = "the worker closed its channel";
      }
      return result;
    }
    mapped_bytes_ = arena_->capacity();
    worker_address_ = ack.arena_address;
  }
  // The config's pointers to its factor lists, as the worker sees them.
  if (request.buffers[kConfigBuffer].size >= sizeof(rc_rope_config)) {
    auto* config =
        reinterpret_cast<rc_rope_config*>(arena_->data() + request.buffers[kConfigBuffer].offset);
    const auto list = [&](std::uint32_t i) {
      const WorkerBuffer& b = request.buffers[i];
      return b.size ? reinterpret_cast<const double*>(worker_address_ + b.offset) : nullptr;
    };
    config->short_factor = list(kShortFactorBuffer);
    config->long_factor = list(kLongFactorBuffer);
  }
  if (!send_request(request, -1)) {
    WorkerResponse ignored;
    if (receive(ignored, deadline, WorkerStage::idle, result, &request)) {
      stop();
      result.failure = CallFailure::crash;
      result.what = "broken protocol: the worker stopped reading requests";
    }
    return result;
  }
  if (!receive(result.response, deadline, WorkerStage::idle, result, &request)) return result;
  if (result.response.reply != WorkerReply::done) {
    stop();
    result.failure = CallFailure::crash;
    result.what = fmt::format("broken protocol: unexpected message {} in answer to a call",
                              static_cast<unsigned>(result.response.reply));
  }
  return result;
}

}  // namespace ropecheck::kernels
