// The exporter over hostile DAGs: the input is a CAR; its blocks (hash-checked,
// as an import would) are read as a UnixFS file, directory and path. Never
// crash, never hang, never emit more than the file size.
#include <cstdlib>

#include "base/io.h"
#include "car/car.h"
#include "unixfs/exporter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipfskit;
  MemoryReader in(ByteView(data, size));
  auto r = car::Reader::open(in);
  if (!r || (*r)->roots().empty()) return 0;
  MemoryBlockStore store;
  for (int i = 0; i < 1000; ++i) {
    auto b = (*r)->next();
    if (!b || !*b) break;
    if (verify_block((*b)->cid, (*b)->data)) (void)store.put((*b)->cid, (*b)->data);
  }
  unixfs::Exporter ex(store);
  const Cid root = (*r)->roots()[0];
  auto info = ex.stat(root);
  uint64_t emitted = 0;
  (void)ex.read(root, 0, 1 << 20, [&](ByteView b) -> Status {
    emitted += b.size();
    return {};
  });
  if (emitted > (1u << 20)) std::abort();
  int entries = 0;
  (void)ex.list(root, [&](const unixfs::DirEntry&) -> Status {
    if (++entries > 100000) return invalid_argument("too many");
    return {};
  });
  (void)ex.resolve(root.to_string() + "/a/b");
  (void)ex.read_symlink(root);
  return 0;
}
