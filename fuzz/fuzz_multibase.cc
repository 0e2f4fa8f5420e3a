// Multibase decoding: never crash; whatever decodes must re-encode to the same text.
#include <cstdlib>
#include <string_view>

#include "multiformats/multibase.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = ipfskit::multibase::decode(text);
  if (!d) return 0;
  std::string again = ipfskit::multibase::encode(d->base, d->bytes);
  // Base16 accepts either case; everything else has one spelling.
  if (d->base != ipfskit::multibase::Base::kBase16 && d->base != ipfskit::multibase::Base::kBase16Upper &&
      again != text)
    std::abort();
  return 0;
}
