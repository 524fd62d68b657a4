#include "kernels/plugin/worker_main.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include "kernels/plugin/worker_protocol.hpp"

namespace ropecheck::kernels {
namespace {

// What the fault handler needs; set once in the child before the first request.
struct FaultContext {
  const unsigned char* data = nullptr;
  std::size_t capacity = 0;
  std::size_t page = 0;
  std::size_t inputs_end = 0;
  int socket = -1;
  WorkerStage stage = WorkerStage::apply;
};
FaultContext g_fault;

// The handler runs on its own stack so a kernel that overflows its stack is still reported.
alignas(64) unsigned char g_signal_stack[64 * 1024];

FaultRegion classify(std::uintptr_t address) {
  const auto data = reinterpret_cast<std::uintptr_t>(g_fault.data);
  if (address >= data - g_fault.page && address < data) return FaultRegion::leading_guard;
  if (address >= data && address < data + g_fault.inputs_end) return FaultRegion::inputs;
  if (address >= data + g_fault.capacity && address < data + g_fault.capacity + g_fault.page)
    return FaultRegion::trailing_guard;
  return FaultRegion::elsewhere;
}

void on_fatal_signal(int sig, siginfo_t* info, void* context) {
  WorkerResponse r;
  r.reply = WorkerReply::fault;
  r.stage = g_fault.stage;
  r.signal = sig;
  if (sig == SIGSEGV || sig == SIGBUS) {
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    r.fault_address = address;
    r.fault_offset = static_cast<std::int64_t>(address) -
                     static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(g_fault.data));
    r.region = classify(address);
#if defined(__x86_64__) && defined(REG_ERR)
    // Bit 1 of the page-fault error code is set for a write access.
    const auto* uc = static_cast<const ucontext_t*>(context);
    if (sig == SIGSEGV) r.is_write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0 ? 1 : 0;
#endif
  }
  (void)context;
  send(g_fault.socket, &r, sizeof r, MSG_NOSIGNAL);
  // Die of the same signal, so the parent's waitpid sees it.
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

void protect_inputs(bool read_only) {
  if (g_fault.inputs_end == 0) return;
  mprotect(const_cast<unsigned char*>(g_fault.data), g_fault.inputs_end,
           read_only ? PROT_READ : PROT_READ | PROT_WRITE);
}

void reply(int socket, const WorkerResponse& response) {
  while (send(socket, &response, sizeof response, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

}  // namespace

void run_worker(const rc_kernel* kernel, const SharedArena& arena, int socket) {
  // Die with the parent, and keep a chatty kernel's prints off ropecheck's stdout.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(STDERR_FILENO, STDOUT_FILENO);
  g_fault.data = arena.data();
  g_fault.capacity = arena.capacity();
  g_fault.page = arena.page_size();
  g_fault.socket = socket;
  install_fault_handlers();

  std::uint64_t current_config = 0;
  void* state = nullptr;
  unsigned char* data = arena.data();
  for (;;) {
    WorkerRequest request;
    const ssize_t got = recv(socket, &request, sizeof request, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(sizeof request)) _exit(0);  // closed: the parent is done

    WorkerResponse response;
    const auto* config = reinterpret_cast<const rc_rope_config*>(data + request.config);
    g_fault.inputs_end = request.inputs_end;
    if (request.op == WorkerOp::supports) {
      g_fault.stage = response.stage = WorkerStage::supports;
      protect_inputs(true);
      response.code = kernel->supports ? kernel->supports(config, request.dtype_bit) : 1;
      protect_inputs(false);
      reply(socket, response);
      continue;
    }

    if (request.config_id != current_config) {
      if (current_config != 0 && kernel->teardown) kernel->teardown(state);
      current_config = 0;
      state = nullptr;
      if (kernel->init) {
        g_fault.stage = response.stage = WorkerStage::init;
        protect_inputs(true);
        response.code = kernel->init(config, request.dtype_bit, &state, response.message,
                                     sizeof response.message);
        protect_inputs(false);
        if (response.code != RC_OK) {
          response.message[sizeof response.message - 1] = '\0';
          reply(socket, response);
          continue;
        }
      }
      current_config = request.config_id;
    }

    rc_kernel_args args{};
    args.struct_size = sizeof args;
    args.dtype = request.dtype_bit;
    args.config = config;
    args.state = state;
    args.tokens = request.tokens;
    args.heads = request.heads;
    args.head_dim = request.head_dim;
    args.positions = reinterpret_cast<const std::int64_t*>(data + request.positions);
    args.x = data + request.x;
    args.y = data + request.y;
    args.cos_sin_dtype = request.cos_sin_dtype_bit;
    args.cos_sin_pairs = request.cos_sin_pairs;
    args.cos = request.cos_sin_dtype_bit ? data + request.cos : nullptr;
    args.sin = request.cos_sin_dtype_bit ? data + request.sin : nullptr;
    args.error = response.message;
    args.error_size = sizeof response.message;
    g_fault.stage = response.stage = WorkerStage::apply;
    protect_inputs(true);
    response.code = kernel->apply(&args);
    protect_inputs(false);
    response.message[sizeof response.message - 1] = '\0';
    reply(socket, response);
  }
}

}  // namespace ropecheck::kernels
