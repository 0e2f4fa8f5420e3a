// S3 XML from any server (listings and errors): never crash, bounded memory,
// no entity expansion.
#include <string_view>

#include "backends/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto page = ipfskit::backends::s3xml::parse_list(xml);
  if (page) {
    for (const auto& o : page->objects)
      if (o.key.empty()) __builtin_trap();  // an object without a key must be refused
  }
  (void)ipfskit::backends::s3xml::parse_error(xml);
  return 0;
}
