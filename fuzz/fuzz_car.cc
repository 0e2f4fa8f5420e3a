// CAR reading (v1 and v2, with index): never crash, never loop, bounded memory.
#include "base/io.h"
#include "car/car.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipfskit::MemoryReader in(ipfskit::ByteView(data, size));
  auto r = ipfskit::car::Reader::open(in);
  if (!r) return 0;
  for (int i = 0; i < 100000; ++i) {
    auto b = (*r)->next();
    if (!b || !*b) break;
  }
  (void)(*r)->read_index();
  (void)ipfskit::car::decode_index(ipfskit::ByteView(data, size));
  return 0;
}
