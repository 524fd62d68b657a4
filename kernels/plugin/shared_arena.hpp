// The memory a kernel call reads and writes: one MAP_SHARED region set up before the worker is
// forked (so parent and child see it at the same address), fenced by PROT_NONE guard pages.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ropecheck::kernels {

// Region layout: [guard page][data: inputs | output zone][guard page]. Inputs are placed from
// the start of the data area; the output y sits at the end of the output zone, with canary
// bytes on both sides, so a write just past y lands in canaries and one further in the guard.
class SharedArena {
 public:
  // Bytes of canary on each side of y (one page: wide enough to catch off-by-a-row writes).
  static constexpr std::size_t kCanaryBytes = 4096;
  // Alignment of every array handed to the kernel (a cache line, enough for AVX-512 loads).
  static constexpr std::size_t kAlign = 64;

  // Maps a region whose data area holds at least `data_bytes` (rounded up to pages).
  explicit SharedArena(std::size_t data_bytes);
  ~SharedArena();
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;

  unsigned char* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t page_size() const { return page_; }

  // Fills the output zone [from, capacity) with the canary pattern.
  void fill_canaries(std::size_t from);
  // The first offset in [from, to) whose byte differs from the canary pattern, or `to`.
  std::size_t first_changed(std::size_t from, std::size_t to) const;
  // How many bytes in [from, to) differ from the canary pattern.
  std::size_t changed_count(std::size_t from, std::size_t to) const;

 private:
  unsigned char* region_ = nullptr;
  unsigned char* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t page_ = 0;
  std::size_t region_bytes_ = 0;
};

// Where each array of one call lives, as offsets into the data area.
struct BatchLayout {
  std::size_t config = 0, short_factor = 0, long_factor = 0, positions = 0, x = 0, cos = 0,
              sin = 0;
  std::size_t inputs_end = 0;  // page aligned: [0, inputs_end) is made read-only during a call
  std::size_t y = 0, y_bytes = 0;
  std::size_t required = 0;  // data bytes the layout needs

  // Sizes in bytes of each array; zero-sized ones get offset 0 and are passed as NULL.
  struct Sizes {
    std::size_t config, short_factor, long_factor, positions, x, cos, sin, y;
  };
  // Places the arrays for an arena of `capacity` data bytes (capacity 0: just compute
  // `required`, placing y as if the arena were exactly that size).
  static BatchLayout plan(const Sizes& sizes, std::size_t page, std::size_t capacity);
};

}  // namespace ropecheck::kernels
