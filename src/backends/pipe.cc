#include "backends/pipe.h"

#include <algorithm>

namespace ipfskit::backends {

Status BytePipe::write(ByteView data) {
  size_t done = 0;
  std::unique_lock lock(mu_);
  while (done < data.size()) {
    cv_.wait(lock, [&] { return reader_gone_ || buffered_ < capacity_; });
    if (reader_gone_) return tl::unexpected(*reader_gone_);
    const size_t n = std::min(capacity_ - buffered_, data.size() - done);
    chunks_.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(done), data.begin() + static_cast<std::ptrdiff_t>(done + n));
    buffered_ += n;
    done += n;
    cv_.notify_all();
  }
  return {};
}

void BytePipe::close(std::optional<Error> error) {
  std::lock_guard lock(mu_);
  closed_ = true;
  error_ = std::move(error);
  cv_.notify_all();
}

Result<size_t> BytePipe::read(uint8_t* out, size_t n) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return buffered_ > 0 || closed_ || reader_gone_; });
  if (reader_gone_) return tl::unexpected(*reader_gone_);
  if (buffered_ == 0) {
    if (error_) return tl::unexpected(*error_);
    return size_t{0};
  }
  size_t k = 0;
  while (k < n && !chunks_.empty()) {
    const Bytes& front = chunks_.front();
    const size_t take = std::min(n - k, front.size() - front_offset_);
    std::copy_n(front.begin() + static_cast<std::ptrdiff_t>(front_offset_), take, out + k);
    k += take;
    front_offset_ += take;
    if (front_offset_ == front.size()) {
      chunks_.pop_front();
      front_offset_ = 0;
    }
  }
  buffered_ -= k;
  cv_.notify_all();
  return k;
}

void BytePipe::close_reader(const Error& why) {
  std::lock_guard lock(mu_);
  if (!reader_gone_) reader_gone_ = why;
  cv_.notify_all();
}

}  // namespace ipfskit::backends
