#include "base/buffer_pool.h"

#include <cstdlib>

namespace ipfskit {

PooledBuffer& PooledBuffer::operator=(PooledBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = other.pool_;
    data_ = other.data_;
    capacity_ = other.capacity_;
    other.pool_ = nullptr;
    other.data_ = nullptr;
    other.capacity_ = 0;
  }
  return *this;
}

void PooledBuffer::reset() {
  if (data_ != nullptr && pool_ != nullptr) pool_->release(data_);
  pool_ = nullptr;
  data_ = nullptr;
  capacity_ = 0;
}

BufferPool::BufferPool(size_t buffer_size, size_t max_buffers)
    : buffer_size_(buffer_size), max_buffers_(max_buffers == 0 ? 1 : max_buffers) {}

BufferPool::~BufferPool() {
  for (uint8_t* p : free_) std::free(p);
}

PooledBuffer BufferPool::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !free_.empty() || allocated_ < max_buffers_; });
  uint8_t* data;
  if (!free_.empty()) {
    data = free_.back();
    free_.pop_back();
  } else {
    // 64-byte alignment keeps hashing loads aligned.
    size_t size = (buffer_size_ + 63) / 64 * 64;
    data = static_cast<uint8_t*>(std::aligned_alloc(64, size));
    if (data == nullptr) std::abort();  // out of memory is not recoverable here
    ++allocated_;
  }
  return PooledBuffer(this, data, buffer_size_);
}

void BufferPool::release(uint8_t* data) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(data);
  }
  cv_.notify_one();
}

}  // namespace ipfskit
