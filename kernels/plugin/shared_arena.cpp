#include "kernels/plugin/shared_arena.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace ropecheck::kernels {
namespace {

std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }
std::size_t align_down(std::size_t v, std::size_t a) { return v / a * a; }

// A position-dependent byte, never 0x00 or 0xFF, so a kernel that writes a constant (zeros,
// all-ones, a copy of its input) over the canaries is caught as surely as one that writes garbage.
unsigned char canary_byte(std::size_t offset) {
  const auto b = static_cast<unsigned char>(0xA5u ^ ((offset * 131u) >> 3));
  return b == 0x00 || b == 0xFF ? 0x5A : b;
}

}  // namespace

SharedArena::SharedArena(std::size_t data_bytes) {
  page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  capacity_ = align_up(std::max<std::size_t>(data_bytes, page_), page_);
  region_bytes_ = capacity_ + 2 * page_;
  void* p = mmap(nullptr, region_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error("cannot map " + std::to_string(region_bytes_) +
                             " bytes of shared memory for a kernel call");
  region_ = static_cast<unsigned char*>(p);
  data_ = region_ + page_;
  if (mprotect(region_, page_, PROT_NONE) != 0 ||
      mprotect(data_ + capacity_, page_, PROT_NONE) != 0) {
    munmap(region_, region_bytes_);
    throw std::runtime_error("cannot protect the guard pages of a kernel call's shared memory");
  }
}

SharedArena::~SharedArena() {
  if (region_ != nullptr) munmap(region_, region_bytes_);
}

void SharedArena::fill_canaries(std::size_t from) {
  for (std::size_t i = from; i < capacity_; ++i) data_[i] = canary_byte(i);
}

std::size_t SharedArena::first_changed(std::size_t from, std::size_t to) const {
  for (std::size_t i = from; i < to; ++i)
    if (data_[i] != canary_byte(i)) return i;
  return to;
}

std::size_t SharedArena::changed_count(std::size_t from, std::size_t to) const {
  std::size_t n = 0;
  for (std::size_t i = from; i < to; ++i) n += data_[i] != canary_byte(i);
  return n;
}

BatchLayout BatchLayout::plan(const Sizes& s, std::size_t page, std::size_t capacity) {
  BatchLayout l;
  std::size_t at = 0;
  auto place = [&](std::size_t bytes) {
    if (bytes == 0) return std::size_t{0};
    const std::size_t offset = align_up(at, SharedArena::kAlign);
    at = offset + bytes;
    return offset;
  };
  l.config = place(s.config);
  l.short_factor = place(s.short_factor);
  l.long_factor = place(s.long_factor);
  l.positions = place(s.positions);
  l.x = place(s.x);
  l.cos = place(s.cos);
  l.sin = place(s.sin);
  l.inputs_end = align_up(at, page);
  l.y_bytes = s.y;
  // y ends at most kAlign - 1 bytes plus one canary before the guard page.
  l.required = align_up(l.inputs_end + 2 * SharedArena::kCanaryBytes + s.y + SharedArena::kAlign,
                        page);
  const std::size_t cap = capacity == 0 ? l.required : capacity;
  l.y = align_down(cap - SharedArena::kCanaryBytes - s.y, SharedArena::kAlign);
  return l;
}

}  // namespace ropecheck::kernels
