// A byte string that keeps up to N bytes inline and only allocates beyond.
//
// CIDs and multihashes are copied everywhere (links, directory entries, pin
// lists) and are almost always short (a sha2-256 CIDv1 is 36 bytes), so
// keeping them inline saves two heap allocations per copy.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

#include "base/bytes.h"

namespace ipfskit {

template <size_t N>
class SmallBytes {
 public:
  SmallBytes() = default;
  explicit SmallBytes(ByteView v) { assign(v); }
  SmallBytes(const SmallBytes& o) { assign(o.view()); }
  SmallBytes(SmallBytes&& o) noexcept { *this = std::move(o); }
  SmallBytes& operator=(const SmallBytes& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  SmallBytes& operator=(SmallBytes&& o) noexcept {
    if (this != &o) {
      size_ = o.size_;
      heap_ = std::move(o.heap_);
      if (!heap_) std::memcpy(inline_, o.inline_, size_);
      o.size_ = 0;
    }
    return *this;
  }

  void assign(ByteView v) {
    size_ = v.size();
    if (size_ <= N) {
      heap_.reset();
      if (size_ > 0) std::memcpy(inline_, v.data(), size_);
    } else {
      heap_.reset(new uint8_t[size_]);
      std::memcpy(heap_.get(), v.data(), size_);
    }
  }
  // Appends `v` (used while building a value).
  void append(ByteView v) {
    Bytes joined(view().begin(), view().end());
    joined.insert(joined.end(), v.begin(), v.end());
    assign(joined);
  }

  const uint8_t* data() const { return heap_ ? heap_.get() : inline_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return ByteView(data(), size_); }
  operator ByteView() const { return view(); }

  friend bool operator==(const SmallBytes& a, const SmallBytes& b) {
    return a.size_ == b.size_ && std::memcmp(a.data(), b.data(), a.size_) == 0;
  }
  friend bool operator!=(const SmallBytes& a, const SmallBytes& b) { return !(a == b); }
  friend bool operator<(const SmallBytes& a, const SmallBytes& b) {
    return std::lexicographical_compare(a.data(), a.data() + a.size_, b.data(), b.data() + b.size_);
  }

 private:
  size_t size_ = 0;
  std::unique_ptr<uint8_t[]> heap_;
  uint8_t inline_[N];
};

}  // namespace ipfskit
