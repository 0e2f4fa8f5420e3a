// Byte containers used across the code base.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipfskit {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view as_chars(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline Bytes to_bytes(std::string_view s) {
  auto v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}
inline Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }

inline void append(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }

inline bool equal(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A growable byte buffer that is never zero-filled: for reads that overwrite
// it at once (a block read from a pack). Reused across reads it keeps its
// pages, so a stream of blocks costs neither page faults nor a memset each.
// Not thread safe; the bytes stay put while the buffer lives (moving the
// buffer object does not move them) and until the next reserve() grows it.
class ScratchBuffer {
 public:
  // At least `n` writable bytes. Growing discards the old contents.
  uint8_t* reserve(size_t n) {
    if (n > capacity_) {
      data_ = std::make_unique_for_overwrite<uint8_t[]>(n);
      capacity_ = n;
    }
    return data_.get();
  }
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t capacity_ = 0;
};

// Lower-case hexadecimal.
std::string to_hex(ByteView data);
// Accepts upper or lower case; fails on odd length or a non-hex character.
bool from_hex(std::string_view text, Bytes& out);

}  // namespace ipfskit
