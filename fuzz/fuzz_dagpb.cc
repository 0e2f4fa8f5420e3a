// dag-pb decoding: never crash; a decoded canonical node re-encodes to itself.
#include <cstdlib>

#include "codec/dagpb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipfskit::ByteView in(data, size);
  auto node = ipfskit::dagpb::decode(in);
  if (!node) return 0;
  ipfskit::Bytes again = ipfskit::dagpb::encode(*node);
  auto back = ipfskit::dagpb::decode(again);
  if (!back || back->links.size() != node->links.size()) std::abort();
  if (ipfskit::dagpb::encode(*back) != again) std::abort();
  return 0;
}
