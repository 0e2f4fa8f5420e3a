// A bounded in-memory pipe between two threads: one writes bytes (a CAR
// being generated, a response being received), the other reads them as a
// ByteReader (an upload body, a CAR parser). The writer blocks while the
// pipe is full, so memory stays bounded whatever the sizes involved.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "base/bytes.h"
#include "base/error.h"
#include "base/io.h"

namespace ipfskit::backends {

class BytePipe : public ByteReader {
 public:
  explicit BytePipe(size_t capacity = 4 << 20) : capacity_(capacity) {}

  // Writer side. write() fails once the reader closed its end.
  Status write(ByteView data);
  // Ends the stream: readers see the end (or `error`) after the buffered bytes.
  void close(std::optional<Error> error = std::nullopt);

  // Reader side: returns 0 at the end, the writer's error if it failed.
  Result<size_t> read(uint8_t* buf, size_t n) override;
  // The reader gives up: pending and future writes fail with `why`.
  void close_reader(const Error& why);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Bytes> chunks_;  // written pieces, in order
  size_t front_offset_ = 0;    // bytes of chunks_.front() already read
  size_t buffered_ = 0;        // unread bytes
  size_t capacity_;
  bool closed_ = false;
  std::optional<Error> error_;
  std::optional<Error> reader_gone_;
};

}  // namespace ipfskit::backends
