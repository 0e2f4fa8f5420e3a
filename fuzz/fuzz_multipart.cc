// The streaming multipart/form-data reader behind RPC uploads (add, block
// put, dag import): any body, delivered in pieces of any size, ends in parts
// or a clear error, never a crash or a read past the input. The first byte
// picks the read size, the next the boundary length.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "base/io.h"
#include "http/multipart.h"

namespace {

// Hands out the input a few bytes at a time, as a socket would.
class Trickle : public ipfskit::ByteReader {
 public:
  Trickle(ipfskit::ByteView data, size_t step) : data_(data), step_(step) {}
  ipfskit::Result<size_t> read(uint8_t* buf, size_t n) override {
    size_t k = std::min({n, step_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }

 private:
  ipfskit::ByteView data_;
  size_t step_, pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t step = 1 + data[0] % 97;
  const size_t boundary_len = 1 + data[1] % 8;
  if (size < 2 + boundary_len) return 0;
  std::string boundary(reinterpret_cast<const char*>(data + 2), boundary_len);
  ipfskit::ByteView body(data + 2 + boundary_len, size - 2 - boundary_len);
  Trickle in(body, step);
  ipfskit::http::MultipartReader::Limits limits;
  limits.max_parts = 1000;
  ipfskit::http::MultipartReader reader(in, boundary, limits);
  size_t total = 0;
  for (;;) {
    auto part = reader.next();
    if (!part || !*part) break;
    uint8_t buf[64];
    for (;;) {
      auto n = reader.content().read(buf, 1 + (total % sizeof buf));
      if (!n || *n == 0) break;
      total += *n;
      if (total > body.size()) std::abort();  // content is never invented
    }
  }
  return 0;
}
