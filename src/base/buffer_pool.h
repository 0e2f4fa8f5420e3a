// A bounded pool of equally sized byte buffers.
//
// Reusing buffers keeps large imports from paying for fresh pages (malloc of
// a 256 KiB buffer is an mmap and 64 page faults every time), and the bound
// is what keeps memory flat whatever the input size: acquire() blocks while
// every buffer is in use, so a fast reader waits for slower hashers.
//
// Thread safety: acquire() and the handles' destructors may run on any thread.
// The pool must outlive every handle it gave out.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace ipfskit {

class BufferPool;

// Owns one pooled buffer; returns it to the pool when destroyed.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(PooledBuffer&& other) noexcept { *this = std::move(other); }
  PooledBuffer& operator=(PooledBuffer&& other) noexcept;
  ~PooledBuffer() { reset(); }

  uint8_t* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  explicit operator bool() const { return data_ != nullptr; }
  void reset();

 private:
  friend class BufferPool;
  PooledBuffer(BufferPool* pool, uint8_t* data, size_t capacity)
      : pool_(pool), data_(data), capacity_(capacity) {}
  BufferPool* pool_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
};

class BufferPool {
 public:
  BufferPool(size_t buffer_size, size_t max_buffers);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Blocks until a buffer is free.
  PooledBuffer acquire();

  size_t buffer_size() const { return buffer_size_; }
  size_t max_buffers() const { return max_buffers_; }

 private:
  friend class PooledBuffer;
  void release(uint8_t* data);

  const size_t buffer_size_;
  const size_t max_buffers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<uint8_t*> free_;
  size_t allocated_ = 0;
};

}  // namespace ipfskit
