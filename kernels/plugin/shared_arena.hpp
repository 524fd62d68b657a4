// The memory a kernel call reads and writes: one memfd that ropecheck fills and the worker maps.
// Every array of a call sits alone in its own run of pages, its last byte against a page that
// the worker keeps PROT_NONE, so that reading or writing one element past any array (inputs
// included) faults and is reported.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/plugin/worker_protocol.hpp"

namespace ropecheck::kernels {

// ropecheck's side: a shared memory file mapped read-write, handed to workers by descriptor.
class SharedArena {
 public:
  // Creates a memory file whose data area holds at least `data_bytes` (rounded up to pages).
  explicit SharedArena(std::size_t data_bytes);
  ~SharedArena();
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;

  unsigned char* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }
  int fd() const { return fd_; }
  static std::size_t page_size();

  // Fills [from, to) with the canary pattern.
  void fill_canaries(std::size_t from, std::size_t to);
  // How many bytes in [from, to) differ from the canary pattern, and the first that does.
  std::size_t changed_count(std::size_t from, std::size_t to) const;
  std::size_t first_changed(std::size_t from, std::size_t to) const;

 private:
  unsigned char* data_ = nullptr;
  std::size_t capacity_ = 0;
  int fd_ = -1;
};

// Where each array of one call lives, as offsets into the data area. Page 0 holds the stage
// word the worker keeps up to date (read when a call hangs), page 1 is a guard; then
// for each array: its run of pages (the array flush against the run's end, so its start is
// aligned to its element size, and to 64 bytes when its size is a multiple of 64), a guard
// page after it and one before the next, so a fault names the array it overran or underran.
struct BatchLayout {
  WorkerBuffer buffers[kBufferCount] = {};
  std::size_t required = 0;  // data bytes the layout needs

  // Sizes in bytes of each array, in BufferIndex order; zero-sized ones are passed as NULL.
  static BatchLayout plan(const std::size_t (&sizes)[kBufferCount], std::size_t page);

  // The page-aligned run [begin, end) that holds buffer `i`.
  std::size_t run_begin(std::uint32_t i, std::size_t page) const;
  std::size_t run_end(std::uint32_t i, std::size_t page) const;
};

// The name of an array of a call, for messages ("x", "y", "positions", ...).
const char* buffer_name(std::uint32_t index);

}  // namespace ropecheck::kernels
