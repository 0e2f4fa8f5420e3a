// dag-cbor: CAR header decoding (decoded headers re-encode and decode again)
// and the generic link walker used for DAG traversal. Never crash.
#include <cstdlib>

#include "codec/dagcbor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t links = 0;
  (void)ipfskit::dagcbor::for_each_link(ipfskit::ByteView(data, size), [&](const ipfskit::Cid&) -> ipfskit::Status {
    ++links;
    return {};
  });
  if (links > size) std::abort();  // every link takes at least one byte
  auto h = ipfskit::dagcbor::decode_car_header(ipfskit::ByteView(data, size));
  if (!h) return 0;
  auto again = ipfskit::dagcbor::encode_car_header(*h);
  auto back = ipfskit::dagcbor::decode_car_header(again);
  if (!back || back->roots.size() != h->roots.size() || back->version != h->version) std::abort();
  return 0;
}
