#pragma once

#include <cstddef>
#include <span>

namespace cxagent {

//! A zero-filled array of doubles for tens of MB of values written once, such as every series of
//! the slice cube: its memory comes straight from the kernel (already zero) in transparent huge
//! pages where the kernel grants them, so that writing it takes a page fault per 2 MB rather than
//! per 4 KB page (at 1M orders the detection's 73 MB of series took about 18,000 faults, a
//! quarter of their loading's time). Without huge pages it is ordinary zeroed memory.
class ZeroedArray {
 public:
  ZeroedArray() = default;
  //! `count` doubles, all 0. Throws std::bad_alloc when the memory cannot be had.
  explicit ZeroedArray(size_t count);
  ~ZeroedArray();
  ZeroedArray(ZeroedArray&& other) noexcept;
  ZeroedArray& operator=(ZeroedArray&& other) noexcept;
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;

  double* Data() { return data_; }
  const double* Data() const { return data_; }
  size_t Size() const { return size_; }
  //! The doubles [begin, begin + count).
  std::span<double> Part(size_t begin, size_t count) { return {data_ + begin, count}; }

 private:
  void Release();

  double* data_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  // the whole mapping, which data_ lies in (aligned within it)
  size_t mapped_ = 0;
};

}  // namespace cxagent
