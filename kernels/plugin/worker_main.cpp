#include "kernels/plugin/worker_main.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <thread>

#include "kernels/abi/ropecheck_kernel.h"
#include "kernels/plugin/worker_protocol.hpp"

namespace ropecheck::kernels {
namespace {

// A table longer than this is a wrong count, not a plugin (no library offers thousands).
constexpr std::uint32_t kMaxKernels = 1024;

// What the fault handler needs.
struct WorkerGlobals {
  unsigned char* data = nullptr;  // the arena's data area in this process
  std::size_t capacity = 0;
  std::size_t page = 4096;
  volatile WorkerStage stage = WorkerStage::start;
};
WorkerGlobals g;

// The handler runs on its own stack so a kernel that overflows its stack is still reported.
alignas(64) unsigned char g_signal_stack[64 * 1024];

void send_all(const WorkerResponse& r) {
  while (send(kWorkerChannelFd, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void on_fatal_signal(int sig, siginfo_t* info, void* context) {
  // Static: the handler may run on a small stack, and the message is 3 KiB.
  static WorkerResponse r;
  r.reply = WorkerReply::fault;
  r.stage = g.stage;
  r.signal = sig;
  if (sig == SIGSEGV || sig == SIGBUS) {
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    const auto data = reinterpret_cast<std::uintptr_t>(g.data);
    r.fault_address = address;
    r.fault_offset = static_cast<std::int64_t>(address - data);
    r.in_arena = g.data != nullptr && address >= data && address < data + g.capacity + g.page;
#if defined(__x86_64__) && defined(REG_ERR)
    // Bit 1 of the page-fault error code is set for a write access.
    const auto* uc = static_cast<const ucontext_t*>(context);
    if (sig == SIGSEGV) r.is_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0 ? 1 : 0;
#endif
  }
  (void)context;
  send(kWorkerChannelFd, &r, sizeof r, MSG_NOSIGNAL);
  // Die of the same signal, so ropecheck's waitpid sees it.
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_fault_handlers() {
  stack_t stack{};
  stack.ss_sp = g_signal_stack;
  stack.ss_size = sizeof g_signal_stack;
  sigaltstack(&stack, nullptr);
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
    sigaction(sig, &action, nullptr);
}

void enter(WorkerStage stage, bool announce) {
  g.stage = stage;
  if (!announce) return;
  WorkerResponse r;
  r.reply = WorkerReply::stage;
  r.stage = stage;
  send_all(r);
}

[[noreturn]] void load_error(const char* message) {
  WorkerResponse r;
  r.reply = WorkerReply::load_error;
  r.stage = g.stage;
  std::snprintf(r.message, sizeof r.message, "%s", message);
  send_all(r);
  _exit(0);
}

// Reads plugin memory without trusting it: the bytes go through a pipe, and the kernel answers
// EFAULT instead of this process faulting when a pointer is wild (a wrong `count`, a garbage
// string pointer).
class SafeReader {
 public:
  SafeReader() {
    if (pipe2(fds_, O_CLOEXEC) != 0) load_error("cannot create a pipe to read the kernel table");
  }
  // Copies n <= 4096 bytes; false if any of them is unreadable.
  bool copy(void* dst, const void* src, std::size_t n) {
    if (n == 0) return true;
    const ssize_t wrote = write(fds_[1], src, n);
    if (wrote < 0) return false;
    std::size_t got = 0;
    while (got < static_cast<std::size_t>(wrote)) {
      const ssize_t r =
          read(fds_[0], static_cast<char*>(dst) + got, static_cast<std::size_t>(wrote) - got);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return got == n;
  }
  // Copies a NUL-terminated string into out[size]; false if unreadable. `cut` is set when the
  // string is longer than size - 1 bytes.
  bool string(const char* src, char* out, std::size_t size, std::uint8_t& cut) {
    std::size_t have = 0;
    cut = 0;
    while (have < size - 1) {
      const auto at = reinterpret_cast<std::uintptr_t>(src + have);
      const std::size_t to_page = g.page - at % g.page;
      const std::size_t chunk = to_page < size - 1 - have ? to_page : size - 1 - have;
      if (!copy(out + have, src + have, chunk)) return false;
      if (std::memchr(out + have, '\0', chunk) != nullptr) return true;
      have += chunk;
    }
    out[size - 1] = '\0';
    cut = 1;
    return true;
  }

 private:
  int fds_[2] = {-1, -1};
};

const rc_kernel_table* load_table(const char* library) {
  enter(WorkerStage::dlopen, true);
  // RTLD_NOW: every symbol is resolved here, where a failure is a clear load error.
  void* handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    char message[900];
    std::snprintf(message, sizeof message, "cannot load plugin %s: %s", library,
                  why ? why : "unknown dlopen error");
    load_error(message);
  }
  dlerror();
  void* symbol = dlsym(handle, RC_KERNEL_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    char message[900];
    std::snprintf(message, sizeof message,
                  "plugin %s does not export the symbol %s (declare it with C linkage and "
                  "default visibility; see spec/kernel-abi.md)",
                  library, RC_KERNEL_ENTRY_SYMBOL);
    load_error(message);
  }
  enter(WorkerStage::entry, true);
  const auto entry = reinterpret_cast<rc_kernels_fn>(symbol);
  const rc_kernel_table* table = entry(RC_KERNEL_ABI_VERSION);
  enter(WorkerStage::table, true);
  return table;
}

// Sends the table, one record per descriptor, checking nothing but readability (ropecheck
// validates the contents). Returns the kernels, which stay valid while the library is loaded.
const rc_kernel* send_table(const char* library, const rc_kernel_table* table) {
  SafeReader reader;
  char message[900];
  rc_kernel_table copy{};
  if (table == nullptr) {
    std::snprintf(
        message, sizeof message,
        "plugin %s: %s(%u) returned NULL: the plugin does not serve kernel ABI version %u", library,
        RC_KERNEL_ENTRY_SYMBOL, RC_KERNEL_ABI_VERSION, RC_KERNEL_ABI_VERSION);
    load_error(message);
  }
  if (!reader.copy(&copy, table, sizeof copy)) {
    std::snprintf(message, sizeof message,
                  "plugin %s: %s() returned a pointer to unreadable memory (%p)", library,
                  RC_KERNEL_ENTRY_SYMBOL, static_cast<const void*>(table));
    load_error(message);
  }
  if (copy.abi_version != RC_KERNEL_ABI_VERSION) {
    std::snprintf(message, sizeof message,
                  "plugin %s was built for kernel ABI version %u, this ropecheck speaks version "
                  "%u (RC_KERNEL_ABI_VERSION in kernels/abi/ropecheck_kernel.h)",
                  library, copy.abi_version, RC_KERNEL_ABI_VERSION);
    load_error(message);
  }
  if (copy.count == 0 || copy.kernels == nullptr) {
    std::snprintf(message, sizeof message, "plugin %s lists no kernels (count %u, kernels %p)",
                  library, copy.count, static_cast<const void*>(copy.kernels));
    load_error(message);
  }
  if (copy.count > kMaxKernels) {
    std::snprintf(message, sizeof message,
                  "plugin %s: the table's count is %u, more than the %u kernels a table may hold "
                  "(is it sizeof of the array instead of its number of elements?)",
                  library, copy.count, kMaxKernels);
    load_error(message);
  }
  for (std::uint32_t i = 0; i < copy.count; ++i) {
    rc_kernel k{};
    if (!reader.copy(&k, copy.kernels + i, sizeof k)) {
      std::snprintf(message, sizeof message,
                    "plugin %s: descriptor %u of the %u the table's count promises is unreadable "
                    "memory (is count sizeof of the array instead of its number of elements?)",
                    library, i, copy.count);
      load_error(message);
    }
    WorkerResponse r;
    r.reply = WorkerReply::kernel;
    r.code = static_cast<std::int32_t>(i);
    WorkerKernelRecord& rec = r.record;
    rec.has_name =
        k.name != nullptr && reader.string(k.name, rec.name, sizeof rec.name, rec.name_cut);
    rec.has_description =
        k.description != nullptr &&
        reader.string(k.description, rec.description, sizeof rec.description, rec.description_cut);
    rec.has_bound =
        k.bound != nullptr && reader.string(k.bound, rec.bound, sizeof rec.bound, rec.bound_cut);
    // A pointer the reader could not follow is reported as present but unreadable.
    if (k.name != nullptr && !rec.has_name) rec.name_cut = 2;
    if (k.description != nullptr && !rec.has_description) rec.description_cut = 2;
    if (k.bound != nullptr && !rec.has_bound) rec.bound_cut = 2;
    rec.has_init = k.init != nullptr;
    rec.has_teardown = k.teardown != nullptr;
    rec.has_supports = k.supports != nullptr;
    rec.has_apply = k.apply != nullptr;
    rec.dtypes = k.dtypes;
    rec.layouts = k.layouts;
    rec.rope_types = k.rope_types;
    rec.angle_mode = k.angle_mode;
    rec.cos_sin_dtype = k.cos_sin_dtype;
    rec.max_position = k.max_position;
    send_all(r);
  }
  WorkerResponse end;
  end.reply = WorkerReply::table_end;
  end.code = static_cast<std::int32_t>(copy.count);
  end.arena_address = reinterpret_cast<std::uintptr_t>(g.data);
  send_all(end);
  return copy.kernels;
}

// The arena as this process sees it: a reservation of capacity + one page, the memory file
// mapped over its start, the page after it never accessible.
void map_arena(int fd, std::size_t capacity) {
  if (g.data != nullptr) munmap(g.data, g.capacity + g.page);
  g.data = nullptr;
  void* reserve = mmap(nullptr, capacity + g.page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (reserve == MAP_FAILED) _exit(71);
  void* data = mmap(reserve, capacity, PROT_NONE, MAP_SHARED | MAP_FIXED, fd, 0);
  if (data == MAP_FAILED) _exit(71);
  close(fd);
  g.data = static_cast<unsigned char*>(data);
  g.capacity = capacity;
  // Page 0 holds the stage word ropecheck reads when a call hangs; it is never protected.
  mprotect(g.data, g.page, PROT_READ | PROT_WRITE);
}

void set_stage_word(WorkerStage stage) {
  g.stage = stage;
  if (g.data != nullptr)
    *reinterpret_cast<volatile std::uint32_t*>(g.data) = static_cast<std::uint32_t>(stage);
}

std::size_t page_floor(std::size_t v) {
  return v / g.page * g.page;
}
std::size_t page_ceil(std::size_t v) {
  return (v + g.page - 1) / g.page * g.page;
}

// Opens exactly the pages of this call's arrays: inputs read-only, y read-write; every other
// page of the data area (the guards) stays PROT_NONE. The previous call's pages are closed first.
struct OpenRuns {
  std::size_t begin[kBufferCount] = {}, end[kBufferCount] = {};
};
OpenRuns g_open;

bool open_buffers(const WorkerRequest& req) {
  // The battery sends many calls of one shape in a row: the same pages stay open.
  static WorkerBuffer last[kBufferCount] = {};
  static std::size_t last_capacity = 0;
  if (last_capacity == g.capacity && std::memcmp(last, req.buffers, sizeof last) == 0) return true;
  for (std::uint32_t i = 0; i < kBufferCount; ++i) {
    if (g_open.end[i] > g_open.begin[i])
      mprotect(g.data + g_open.begin[i], g_open.end[i] - g_open.begin[i], PROT_NONE);
    g_open.begin[i] = g_open.end[i] = 0;
  }
  last_capacity = 0;
  for (std::uint32_t i = 0; i < kBufferCount; ++i) {
    const WorkerBuffer& b = req.buffers[i];
    if (b.size == 0) continue;
    if (b.offset < 2 * g.page || b.offset + b.size > g.capacity || b.offset + b.size < b.offset)
      return false;
    g_open.begin[i] = page_floor(b.offset);
    g_open.end[i] = page_ceil(b.offset + b.size);
    const int prot = i == kYBuffer ? PROT_READ | PROT_WRITE : PROT_READ;
    if (mprotect(g.data + g_open.begin[i], g_open.end[i] - g_open.begin[i], prot) != 0)
      return false;
  }
  if (req.buffers[kConfigBuffer].size < sizeof(rc_rope_config)) return false;
  std::memcpy(last, req.buffers, sizeof last);
  last_capacity = g.capacity;
  return true;
}

const void* at(const WorkerBuffer& b) {
  return b.size ? g.data + b.offset : nullptr;
}

// Receives one request, and the descriptor a map request carries.
bool receive(WorkerRequest& req, int& fd) {
  fd = -1;
  for (;;) {
    iovec io{&req, sizeof req};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t got = recvmsg(kWorkerChannelFd, &msg, MSG_CMSG_CLOEXEC);
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(sizeof req)) return false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return true;
  }
}

[[noreturn]] void serve(const rc_kernel* kernels, std::uint32_t count) {
  std::uint64_t current_config = 0;
  std::uint32_t current_kernel = 0;
  void* state = nullptr;
  for (;;) {
    set_stage_word(WorkerStage::idle);
    WorkerRequest req;
    int fd = -1;
    // Closed or garbled: ropecheck is done with this worker. No teardown or static destructors
    // run: they are the plugin's code, and nothing waits for them.
    if (!receive(req, fd)) _exit(0);
    WorkerResponse r;
    if (req.op == WorkerOp::map) {
      if (fd < 0) _exit(72);
      map_arena(fd, req.arena_bytes);
      r.reply = WorkerReply::done;
      r.arena_address = reinterpret_cast<std::uintptr_t>(g.data);
      send_all(r);
      continue;
    }
    if (fd >= 0) close(fd);
    if (req.kernel >= count || g.data == nullptr || !open_buffers(req)) _exit(73);
    const rc_kernel& kernel = kernels[req.kernel];
    const auto* config = static_cast<const rc_rope_config*>(at(req.buffers[kConfigBuffer]));
    if (req.op == WorkerOp::supports) {
      set_stage_word(r.stage = WorkerStage::supports);
      r.code = kernel.supports ? kernel.supports(config, req.dtype_bit) : 1;
      send_all(r);
      continue;
    }
    if (req.config_id != current_config || req.kernel != current_kernel) {
      if (current_config != 0 && kernels[current_kernel].teardown) {
        set_stage_word(WorkerStage::teardown);
        kernels[current_kernel].teardown(state);
      }
      current_config = 0;
      state = nullptr;
      if (kernel.init) {
        set_stage_word(r.stage = WorkerStage::init);
        r.code = kernel.init(config, req.dtype_bit, &state, r.message, sizeof r.message);
        if (r.code != RC_OK) {
          r.message[sizeof r.message - 1] = '\0';
          send_all(r);
          continue;
        }
      }
      current_config = req.config_id;
      current_kernel = req.kernel;
    }
    rc_kernel_args args{};
    args.struct_size = sizeof args;
    args.dtype = req.dtype_bit;
    args.config = config;
    args.state = state;
    args.tokens = req.tokens;
    args.heads = req.heads;
    args.head_dim = req.head_dim;
    args.positions = static_cast<const std::int64_t*>(at(req.buffers[kPositionsBuffer]));
    args.x = at(req.buffers[kXBuffer]);
    args.y = const_cast<void*>(at(req.buffers[kYBuffer]));
    args.cos_sin_dtype = req.cos_sin_dtype_bit;
    args.cos_sin_pairs = req.cos_sin_pairs;
    args.cos = at(req.buffers[kCosBuffer]);
    args.sin = at(req.buffers[kSinBuffer]);
    args.error = r.message;
    args.error_size = sizeof r.message;
    set_stage_word(r.stage = WorkerStage::apply);
    r.code = kernel.apply(&args);
    r.message[sizeof r.message - 1] = '\0';
    send_all(r);
  }
}

}  // namespace

int worker_main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "%s is started by ropecheck, not by hand\n",
                 argc > 0 ? argv[0] : "worker");
    return 2;
  }
  // Die with ropecheck (argv[4] is its process id); if it is already gone, there is nobody to
  // answer. Not PR_SET_PDEATHSIG: that fires when the *thread* that started the worker ends, and
  // ropecheck starts workers from pool threads that may end before the worker's last call (an
  // exhaustive scan lost its worker that way between two calls). A watchdog thread watches the
  // parent process instead, started before the limits so that a small RLIMIT_AS cannot refuse
  // its stack; it sleeps, so it costs no CPU time against RLIMIT_CPU to speak of.
  const auto parent = static_cast<pid_t>(std::strtol(argv[4], nullptr, 10));
  if (getppid() != parent) return 0;
  std::thread([parent] {
    while (getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    _exit(0);
  }).detach();
  g.page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const unsigned long long memory = std::strtoull(argv[2], nullptr, 10);
  const unsigned long long cpu = std::strtoull(argv[3], nullptr, 10);
  // The limits come first, before any plugin code runs: the library's constructors are bound
  // by them too. CPU: SIGXCPU at the soft limit, SIGKILL one second later.
  if (memory > 0) {
    const rlimit as{memory, memory};
    setrlimit(RLIMIT_AS, &as);
  }
  if (cpu > 0) {
    const rlimit limit{cpu, cpu + 1};
    setrlimit(RLIMIT_CPU, &limit);
  }
  install_fault_handlers();
  map_arena(kWorkerArenaFd, static_cast<std::size_t>(lseek(kWorkerArenaFd, 0, SEEK_END)));
  const rc_kernel_table* table = load_table(argv[1]);
  const rc_kernel* kernels = send_table(argv[1], table);
  rc_kernel_table copy{};
  std::memcpy(&copy, table, sizeof copy);  // readable: send_table checked it
  serve(kernels, copy.count);
}

}  // namespace ropecheck::kernels
