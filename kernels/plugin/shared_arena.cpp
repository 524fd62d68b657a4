#include "kernels/plugin/shared_arena.hpp"

#include <algorithm>
#include <cerrno>
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

std::size_t SharedArena::page_size() { return static_cast<std::size_t>(sysconf(_SC_PAGESIZE)); }

SharedArena::SharedArena(std::size_t data_bytes) {
  const std::size_t page = page_size();
  capacity_ = align_up(std::max(data_bytes, page), page);
  fd_ = memfd_create("ropecheck-arena", MFD_CLOEXEC);
  if (fd_ < 0)
    throw std::runtime_error(std::string("cannot create shared memory for kernel calls: ") +
                             std::strerror(errno));
  if (ftruncate(fd_, static_cast<off_t>(capacity_)) != 0) {
    close(fd_);
    throw std::runtime_error("cannot size " + std::to_string(capacity_) +
                             " bytes of shared memory for kernel calls");
  }
  void* p = mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    close(fd_);
    throw std::runtime_error("cannot map " + std::to_string(capacity_) +
                             " bytes of shared memory for kernel calls");
  }
  data_ = static_cast<unsigned char*>(p);
}

SharedArena::~SharedArena() {
  if (data_ != nullptr) munmap(data_, capacity_);
  if (fd_ >= 0) close(fd_);
}

void SharedArena::fill_canaries(std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) data_[i] = canary_byte(i);
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

BatchLayout BatchLayout::plan(const std::size_t (&sizes)[kBufferCount], std::size_t page) {
  BatchLayout l;
  // Page 0 is the worker's stage word, page 1 guards the first array's start.
  std::size_t at = 2 * page;
  for (std::uint32_t i = 0; i < kBufferCount; ++i) {
    if (sizes[i] == 0) continue;
    const std::size_t run = align_up(sizes[i], page);
    l.buffers[i] = {at + run - sizes[i], sizes[i]};
    at += run + 2 * page;  // the guard after this array, and the one before the next
  }
  l.required = at;
  return l;
}

std::size_t BatchLayout::run_begin(std::uint32_t i, std::size_t page) const {
  return align_down(buffers[i].offset, page);
}

std::size_t BatchLayout::run_end(std::uint32_t i, std::size_t page) const {
  return align_up(buffers[i].offset + buffers[i].size, page);
}

const char* buffer_name(std::uint32_t index) {
  switch (index) {
    case kConfigBuffer: return "config";
    case kShortFactorBuffer: return "config->short_factor";
    case kLongFactorBuffer: return "config->long_factor";
    case kPositionsBuffer: return "positions";
    case kXBuffer: return "x";
    case kCosBuffer: return "cos";
    case kSinBuffer: return "sin";
    case kYBuffer: return "y";
    default: return "an array";
  }
}

}  // namespace ropecheck::kernels
