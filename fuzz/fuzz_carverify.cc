// A CAR sent back by a backend, verified against the root we asked for:
// never crash, never count a block that does not hash right.
#include "backends/backend.h"
#include "base/io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ipfskit::Cid root = *ipfskit::Cid::parse("bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  ipfskit::MemoryReader in(ipfskit::ByteView(data, size));
  auto r = ipfskit::backends::verify_car(in, root, nullptr);
  if (r && r->ok() && r->blocks == 0) __builtin_trap();
  // And against the CAR's own first root.
  ipfskit::MemoryReader again(ipfskit::ByteView(data, size));
  (void)ipfskit::backends::verify_car(again, *ipfskit::Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"), nullptr);
  return 0;
}
