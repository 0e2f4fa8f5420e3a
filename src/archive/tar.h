// A streaming writer of POSIX tar archives (ustar, with PAX extended headers
// for names and link targets that do not fit), as Kubo's `get` returns them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace ipfskit::archive {

class TarWriter {
 public:
  using Sink = std::function<Status(ByteView)>;
  explicit TarWriter(Sink out) : out_(std::move(out)) {}

  Status directory(std::string_view path, uint32_t mode = 0755);
  Status symlink(std::string_view path, std::string_view target);
  // A regular file's header; exactly `size` bytes of content follow through
  // content(), then the next entry (or finish()) pads the record.
  Status file(std::string_view path, uint64_t size, uint32_t mode = 0644);
  Status content(ByteView data);
  // Writes the end-of-archive marker.
  Status finish();

 private:
  Status header(std::string_view path, char type, uint64_t size, uint32_t mode, std::string_view link);
  Status pad();

  Sink out_;
  uint64_t remaining_ = 0;  // content bytes still expected
  uint64_t written_ = 0;    // content bytes of the current entry
};

}  // namespace ipfskit::archive
