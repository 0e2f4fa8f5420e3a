// CID parsing from text and from bytes: never crash; parsed CIDs round-trip.
#include <cstdlib>

#include "multiformats/cid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ipfskit::Cid;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto c = Cid::parse(text)) {
    auto back = Cid::parse(c->to_string());
    if (!back || *back != *c) std::abort();
  }
  if (auto c = Cid::from_bytes(ipfskit::ByteView(data, size))) {
    if (!ipfskit::equal(c->bytes(), ipfskit::ByteView(data, size))) std::abort();
    (void)c->to_v1();
    (void)c->to_v0();
  }
  return 0;
}
