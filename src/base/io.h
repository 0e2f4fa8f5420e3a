// Byte sources and small file helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace ipfskit {

// A sequential source of bytes (a file, a pipe, an HTTP body, memory).
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Reads up to `n` bytes into `buf`. Returns 0 only at the end of the input.
  virtual Result<size_t> read(uint8_t* buf, size_t n) = 0;

  // Reads until `n` bytes or the end of the input; returns the count read.
  Result<size_t> read_full(uint8_t* buf, size_t n);
};

// Reads from a file descriptor it does not own.
class FdReader : public ByteReader {
 public:
  // `name` appears in error messages.
  FdReader(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<size_t> read(uint8_t* buf, size_t n) override;

 private:
  int fd_;
  std::string name_;
};

// Reads from memory it does not own.
class MemoryReader : public ByteReader {
 public:
  explicit MemoryReader(ByteView data) : data_(data) {}
  Result<size_t> read(uint8_t* buf, size_t n) override;

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// An open file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

Result<UniqueFd> open_file(const std::string& path, int flags, int mode = 0644);

// Writes all of `data`, retrying short writes and EINTR.
Status write_all(int fd, ByteView data, std::string_view name);

// Reads a whole (small) file.
Result<Bytes> read_file(const std::string& path);

// Writes `data` to `path` atomically: a temporary file in the same directory,
// fsync, rename over `path`, fsync of the directory. Readers see the old or
// the new content, never a mix, even across a crash. A file that is replaced
// keeps its permission bits; a new one is created 0644 (less the umask).
Status write_file_atomic(const std::string& path, ByteView data);

}  // namespace ipfskit
