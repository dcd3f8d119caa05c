#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cxagent {

//! A 128-bit digest of bytes (two lanes of multiply-fold mixing, as wyhash's): a row group whose
//! digest is unchanged is taken to hold the same rows (storage/source_units.hpp), a file copy
//! whose digest matches is taken to be whole (storage/cube_copy.hpp). Fast enough to read every
//! byte of the data (several GB/s). Bytes are taken in the pieces they are added in (a piece's
//! tail is padded): adding the same bytes in other pieces gives another digest.
class Digest {
 public:
  void Add(const char* data, size_t size) {
    size_ += size;
    while (size >= 16) {
      uint64_t x = 0;
      uint64_t y = 0;
      std::memcpy(&x, data, 8);
      std::memcpy(&y, data + 8, 8);
      Mix(x, y);
      data += 16;
      size -= 16;
    }
    if (size > 0) {
      char tail[16] = {};
      std::memcpy(tail, data, size);
      uint64_t x = 0;
      uint64_t y = 0;
      std::memcpy(&x, tail, 8);
      std::memcpy(&y, tail + 8, 8);
      Mix(x ^ size, y);
    }
  }
  void Add(std::string_view text) {
    Add(text.data(), text.size());
    Add("\x1f", 1);  // a separator, so that "ab"+"c" and "a"+"bc" differ
  }
  //! The two 64-bit halves of the digest.
  uint64_t Low() const { return Fold(a_ ^ size_, 0xe7037ed1a0b428dbULL); }
  uint64_t High() const { return Fold(b_ ^ size_, 0x8ebc6af09c88c6e3ULL); }
  std::string Hex() const { return fmt::format("{:016x}{:016x}", Low(), High()); }

 private:
  __extension__ typedef unsigned __int128 Wide;

  static uint64_t Fold(uint64_t x, uint64_t y) {
    const Wide product = static_cast<Wide>(x) * y;
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
  }
  void Mix(uint64_t x, uint64_t y) {
    a_ = Fold(a_ ^ x ^ 0xa0761d6478bd642fULL, y ^ 0xe7037ed1a0b428dbULL);
    b_ = Fold(b_ ^ y ^ 0x8ebc6af09c88c6e3ULL, x ^ 0x589965cc75374cc3ULL);
  }

  uint64_t a_ = 0x243f6a8885a308d3ULL;
  uint64_t b_ = 0x13198a2e03707344ULL;
  uint64_t size_ = 0;
};

}  // namespace cxagent
