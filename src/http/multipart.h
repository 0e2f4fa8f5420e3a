// A streaming reader of multipart/form-data bodies (RFC 7578), as Kubo's RPC
// receives files for `add`, `block/put`, `dag/put` and `dag/import`.
//
// Parts are read one after another straight from the request body: a part's
// content is never buffered whole, so a 10 GiB upload costs a fixed buffer.
// Malformed input (a missing boundary, a header line over the limit, a body
// that ends before the closing delimiter) is an InvalidArgument error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "base/io.h"

namespace ipfskit::http {

// The boundary parameter of a multipart Content-Type header value.
Result<std::string> multipart_boundary(std::string_view content_type);

// Parses a header value with parameters, as in
// `form-data; name="file"; filename="a%20b"`: the leading token (lower case)
// and the parameters (names in lower case, quoted values unescaped).
struct HeaderValue {
  std::string value;
  std::map<std::string, std::string> params;
};
HeaderValue parse_header_value(std::string_view text);

struct Part {
  std::map<std::string, std::string> headers;  // names in lower case
  std::string name;          // Content-Disposition name
  std::string filename;      // Content-Disposition filename, as sent (not decoded)
  std::string content_type;  // lower case, without parameters; "" when absent
};

class MultipartReader : private ByteReader {
 public:
  struct Limits {
    size_t max_header_bytes = 16 * 1024;  // all header lines of one part
    size_t max_parts = 1'000'000;
  };
  MultipartReader(ByteReader& body, std::string boundary) : MultipartReader(body, std::move(boundary), Limits{}) {}
  MultipartReader(ByteReader& body, std::string boundary, Limits limits);

  // Moves to the next part, skipping what is left of the current one.
  // nullopt after the closing delimiter.
  Result<std::optional<Part>> next();

  // The current part's content, up to its delimiter.
  ByteReader& content() { return *this; }

 private:
  Result<size_t> read(uint8_t* buf, size_t n) override;
  // Makes at least `want` bytes available (fewer only at the end of input).
  Status fill(size_t want);
  Result<bool> read_delimiter_tail();  // after a delimiter: true when it closed the body
  Result<Part> read_headers();

  ByteReader& in_;
  std::string delimiter_;  // "\r\n--" + boundary
  Limits limits_;
  Bytes buf_;
  size_t begin_ = 0, end_ = 0;
  size_t known_clear_ = 0;  // bytes after begin_ known to hold no delimiter
  bool eof_ = false;
  bool started_ = false;  // the first delimiter was seen
  bool in_part_ = false;  // content() reads the current part
  bool finished_ = false;
  size_t parts_ = 0;
};

}  // namespace ipfskit::http
