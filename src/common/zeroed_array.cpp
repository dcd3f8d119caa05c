#include "common/zeroed_array.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <utility>

namespace cxagent {

namespace {

// The size of a transparent huge page on x86-64 and arm64 (with 4 KB base pages).
constexpr size_t HUGE_PAGE = size_t{2} << 20;

}  // namespace

ZeroedArray::ZeroedArray(size_t count) : size_(count) {
  if (count == 0) return;
  if (count > SIZE_MAX / sizeof(double) - HUGE_PAGE) throw std::bad_alloc();
  const size_t bytes = count * sizeof(double);
  // A huge page backs only a whole, aligned 2 MB of the mapping: one huge page more than needed
  // is mapped, and the array starts at the first 2 MB boundary inside it.
  mapped_ = bytes >= HUGE_PAGE ? bytes + HUGE_PAGE : bytes;
  mapping_ = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    throw std::bad_alloc();
  }
  auto address = reinterpret_cast<uintptr_t>(mapping_);
  if (bytes >= HUGE_PAGE) {
    address = (address + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
#ifdef MADV_HUGEPAGE
    // Advice only: without it (huge pages off, an older kernel) the memory is the same.
    (void)::madvise(reinterpret_cast<void*>(address), bytes, MADV_HUGEPAGE);
#endif
  }
  data_ = reinterpret_cast<double*>(address);
}

ZeroedArray::~ZeroedArray() {
  Release();
}

ZeroedArray::ZeroedArray(ZeroedArray&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)) {}

ZeroedArray& ZeroedArray::operator=(ZeroedArray&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

void ZeroedArray::Release() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_);
  mapping_ = nullptr;
  mapped_ = 0;
  data_ = nullptr;
  size_ = 0;
}

}  // namespace cxagent
