// Pin records read back from a bucket or a directory others can write to.
#include <string_view>

#include "backends/pin_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = ipfskit::backends::parse_pin_record(std::string_view(reinterpret_cast<const char*>(data), size));
  if (p && !p->cid.defined()) __builtin_trap();
  return 0;
}
