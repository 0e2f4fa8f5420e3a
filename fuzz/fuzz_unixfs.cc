// UnixFS Data decoding: never crash; decode(encode(x)) is stable.
#include <cstdlib>

#include "codec/unixfs_pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto d = ipfskit::unixfs::decode(ipfskit::ByteView(data, size));
  if (!d) return 0;
  ipfskit::Bytes again = ipfskit::unixfs::encode(*d);
  auto back = ipfskit::unixfs::decode(again);
  if (!back || ipfskit::unixfs::encode(*back) != again) std::abort();
  return 0;
}
