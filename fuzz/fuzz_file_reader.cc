// unixfs::FileReader (the FUSE mount's reader) over hostile DAGs: the input
// is a CAR; its hash-checked blocks are read as a file at scattered offsets,
// with the size the root claims. Never crash, never hang, never return more
// bytes than asked, and agree with the Exporter wherever both succeed.
#include <cstdlib>
#include <cstring>

#include "base/io.h"
#include "car/car.h"
#include "unixfs/exporter.h"
#include "unixfs/file_reader.h"

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
  const Cid root = (*r)->roots()[0];
  unixfs::Exporter ex(store);
  auto info = ex.stat(root);
  if (!info || info->kind != unixfs::NodeKind::kFile) return 0;
  const uint64_t file_size = std::min<uint64_t>(info->size, 1 << 20);
  unixfs::FileReader reader(store, root, info->size, nullptr);
  static uint8_t buf[65536];
  const uint64_t offsets[] = {0, 1, file_size / 3, file_size / 2, file_size > 0 ? file_size - 1 : 0, 0};
  for (uint64_t off : offsets) {
    auto n = reader.read(off, buf, sizeof buf);
    if (!n) continue;
    if (*n > sizeof buf) std::abort();
    Bytes want;
    auto st = ex.read(root, off, *n, [&](ByteView b) -> Status {
      append(want, b);
      return {};
    });
    if (st && (want.size() != *n || std::memcmp(want.data(), buf, *n) != 0)) std::abort();
  }
  return 0;
}
