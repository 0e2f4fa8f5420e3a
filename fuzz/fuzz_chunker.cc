// Chunker specs and content-defined chunking: never crash, and the chunks
// always concatenate back to the input.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/io.h"
#include "unixfs/chunker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipfskit;
  if (size < 1) return 0;
  // First byte picks the chunker; the rest is the content. Specs are also parsed raw.
  (void)unixfs::parse_chunker(std::string_view(reinterpret_cast<const char*>(data), size), 262144);
  static const char* kSpecs[] = {"size-1", "size-7", "rabin-16-32-64", "rabin-16-256-4096", "buzhash"};
  auto spec = unixfs::parse_chunker(kSpecs[data[0] % 5], 262144);
  MemoryReader in(ByteView(data + 1, size - 1));
  auto chunker = unixfs::make_chunker(*spec, in);
  std::vector<uint8_t> buf(spec->max_chunk()), all;
  for (;;) {
    auto n = chunker->next(buf.data(), buf.size());
    if (!n) std::abort();
    if (*n == 0) break;
    all.insert(all.end(), buf.begin(), buf.begin() + static_cast<long>(*n));
  }
  if (all.size() != size - 1 || (size > 1 && std::memcmp(all.data(), data + 1, size - 1) != 0)) std::abort();
  return 0;
}
