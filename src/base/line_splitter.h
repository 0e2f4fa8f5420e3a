// Splits a streamed body into lines: the JSON lines of Kubo's RPC, IPFS
// Cluster's REST API and our own daemon. A line ends at '\n' (a '\r' before
// it is dropped); empty lines are skipped; the last line needs no '\n'.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace ipfskit {

class LineSplitter {
 public:
  // `on_line` sees each line; an error from it stops the stream. A line
  // longer than `max_line` bytes is an error (kResourceExhausted), so that a
  // peer sending no newline cannot make us buffer without bound.
  explicit LineSplitter(std::function<Status(std::string_view)> on_line, size_t max_line = 64u << 20)
      : on_line_(std::move(on_line)), max_line_(max_line) {}
  Status feed(ByteView data);
  // Hands over the last line when it had no '\n'.
  Status finish();

 private:
  std::function<Status(std::string_view)> on_line_;
  size_t max_line_;
  std::string pending_;
};

}  // namespace ipfskit
