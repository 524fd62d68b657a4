// The messages between ropecheck and ropecheck-kernel-worker, the executable that alone loads a
// plugin. Plain structs sent whole over a SOCK_SEQPACKET socket pair (one message per send), so
// a short or odd-sized message is a broken protocol, never half a message.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ropecheck::kernels {

// The worker's descriptors, set up by the parent with posix_spawn file actions.
inline constexpr int kWorkerChannelFd = 3;  // the socket
inline constexpr int kWorkerArenaFd = 4;    // the shared memory (a memfd)

// Where the worker stood; reported with every answer and every failure.
enum class WorkerStage : std::uint32_t {
  start = 1,     // before loading: limits, descriptors
  dlopen = 2,    // loading the library: its constructors run here
  entry = 3,     // calling ropecheck_kernels()
  table = 4,     // reading the table and the descriptors it points to
  idle = 5,      // waiting for a request
  supports = 6,  // in the kernel's supports()
  init = 7,      // in the kernel's init()
  apply = 8,     // in the kernel's apply()
  teardown = 9,  // in the kernel's teardown()
};

enum class WorkerOp : std::uint32_t {
  apply = 1,     // init (if the configuration changed) then apply
  supports = 2,  // the kernel's optional supports() callback
  map = 3,       // map the arena sent with this message (SCM_RIGHTS) in place of the old one
};

// One array of a call: [offset, offset + size) of the arena's data area; size 0 passes NULL.
struct WorkerBuffer {
  std::uint64_t offset = 0, size = 0;
};

// The arrays of one call, in the order they are laid out.
enum BufferIndex : std::uint32_t {
  kConfigBuffer, kShortFactorBuffer, kLongFactorBuffer, kPositionsBuffer, kXBuffer, kCosBuffer,
  kSinBuffer, kYBuffer, kBufferCount
};

// One request.
struct WorkerRequest {
  WorkerOp op = WorkerOp::apply;
  std::uint32_t kernel = 0;  // index into the plugin's table
  std::uint32_t dtype_bit = 0;
  std::uint64_t config_id = 0;  // a new id means "tear down the old state, init a new one"
  WorkerBuffer buffers[kBufferCount] = {};
  std::uint64_t arena_bytes = 0;  // map: the data area's size
  std::int64_t tokens = 0, heads = 0, head_dim = 0;
  std::uint32_t cos_sin_dtype_bit = 0;
  std::int32_t cos_sin_pairs = 0;
};

enum class WorkerReply : std::uint32_t {
  stage = 1,       // progress: the worker is entering `stage` (loading only)
  load_error = 2,  // the library broke the ABI contract; `message` says how
  kernel = 3,      // one descriptor of the table (WorkerKernelRecord follows in `record`)
  table_end = 4,   // the table is complete; `code` is the number of kernels
  done = 5,        // a request returned; `code` is its return value
  fault = 6,       // a signal is killing the worker; the fields below say where
};

// One descriptor, copied out of the plugin's memory. Strings are NUL-terminated and cut at
// their array's size; `*_cut` says whether they were longer.
struct WorkerKernelRecord {
  char name[128] = {};
  char description[512] = {};
  char bound[128] = {};
  std::uint8_t name_cut = 0, description_cut = 0, bound_cut = 0;
  std::uint8_t has_name = 0, has_description = 0, has_bound = 0;
  std::uint8_t has_init = 0, has_teardown = 0, has_supports = 0, has_apply = 0;
  std::uint32_t dtypes = 0, layouts = 0, rope_types = 0, angle_mode = 0, cos_sin_dtype = 0;
  std::int64_t max_position = 0;
};

// One answer.
struct WorkerResponse {
  WorkerReply reply = WorkerReply::done;
  WorkerStage stage = WorkerStage::idle;
  std::int32_t code = 0;  // init/apply return code, supports() result, kernel count
  std::int32_t signal = 0;
  std::int32_t is_write = -1;     // 1 write, 0 read, -1 unknown (x86-64 Linux tells)
  std::int32_t in_arena = 0;      // 1 when the fault address lies in the arena's reservation
  std::int64_t fault_offset = 0;  // relative to the data area (negative: before it)
  std::uint64_t fault_address = 0;
  // table_end and the answer to map: where the arena's data area is in the worker, so that
  // ropecheck writes the config's list pointers as the kernel will read them.
  std::uint64_t arena_address = 0;
  char message[1024] = {};        // the kernel's or loader's message (NUL-terminated)
  WorkerKernelRecord record;      // reply == kernel
};

static_assert(sizeof(WorkerResponse) < 4096, "one atomic message");

}  // namespace ropecheck::kernels
