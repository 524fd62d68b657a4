// The messages between ropecheck and the worker process that runs a plugin's kernel. Both are
// plain structs sent whole over a SOCK_SEQPACKET socket pair (one message per send).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ropecheck::kernels {

enum class WorkerOp : std::uint32_t {
  apply = 1,     // init (if the configuration changed) then apply
  supports = 2,  // the kernel's optional supports() callback
};

// One request. Offsets are into the shared arena's data area (SharedArena::data()).
struct WorkerRequest {
  WorkerOp op = WorkerOp::apply;
  std::uint32_t dtype_bit = 0;
  std::uint64_t config_id = 0;  // a new id means "tear down the old state, init a new one"
  std::uint64_t config = 0, positions = 0, x = 0, y = 0, cos = 0, sin = 0;
  std::uint64_t inputs_end = 0;  // [0, inputs_end) is read-only while the kernel runs
  std::int64_t tokens = 0, heads = 0, head_dim = 0;
  std::uint32_t cos_sin_dtype_bit = 0;
  std::int32_t cos_sin_pairs = 0;
};

// Where a call stood when the worker answered.
enum class WorkerStage : std::uint32_t { init = 1, apply = 2, supports = 3 };

// Which part of the shared memory a faulting access hit.
enum class FaultRegion : std::int32_t {
  none = 0,
  leading_guard = 1,   // just before the inputs
  inputs = 2,          // the read-only inputs (x, positions, config, tables)
  trailing_guard = 3,  // just past the output zone after y
  elsewhere = 4,       // anywhere else (a plain crash)
};

enum class WorkerReply : std::uint32_t {
  done = 1,   // the call returned; `code` is its return value
  fault = 2,  // a signal is killing the worker; the fields below say where
};

// One answer.
struct WorkerResponse {
  WorkerReply reply = WorkerReply::done;
  WorkerStage stage = WorkerStage::apply;
  std::int32_t code = 0;  // init/apply return code, or supports() result
  std::int32_t signal = 0;
  FaultRegion region = FaultRegion::none;
  std::int32_t is_write = -1;        // 1 write, 0 read, -1 unknown (x86-64 Linux tells)
  std::int64_t fault_offset = 0;     // relative to the data area (negative: before it)
  std::uint64_t fault_address = 0;
  char message[1024] = {};           // the kernel's error message (NUL-terminated)
};

static_assert(sizeof(WorkerResponse) < 4096, "one atomic message");

}  // namespace ropecheck::kernels
