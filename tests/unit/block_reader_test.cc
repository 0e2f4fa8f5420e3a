// BlockReader over the pack store: blocks read into reused buffers, verified,
// with the place of their bytes in the pack files; the exporter's pieces that
// the gateway sends from there; descriptors that outlive GC and that notice a
// reused pack id.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/node.h"
#include "test_util.h"
#include "unixfs/exporter.h"
#include "unixfs/importer.h"
#include "unixfs/profile.h"

namespace ipfskit {
namespace {

std::unique_ptr<core::Node> open_node(const test::TempDir& dir, size_t workers = 2) {
  auto n = core::Node::open(dir.file("repo"), "", workers);
  EXPECT_TRUE(n) << (n ? "" : n.error().message());
  return std::move(*n);
}

core::AddOptions add_options(const std::string& profile, bool trickle = false, bool pin = true) {
  auto p = unixfs::profile_by_name(profile);
  core::AddOptions o;
  o.import.dag = p->dag;
  if (trickle) o.import.dag.layout = unixfs::Layout::kTrickle;
  o.import.chunker = *unixfs::parse_chunker("", p->chunk_size);
  o.pin = pin;
  return o;
}

Cid add_bytes(core::Node& node, ByteView data, const core::AddOptions& o) {
  MemoryReader in(data);
  auto r = node.add_stream(in, "", o, nullptr);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r->cid;
}

Bytes pread_bytes(int fd, uint64_t offset, size_t size) {
  Bytes out(size);
  EXPECT_EQ(::pread(fd, out.data(), size, static_cast<off_t>(offset)), static_cast<ssize_t>(size));
  return out;
}

// Flips one bit of the pack file at `offset`.
void flip_byte(const std::string& pack, uint64_t offset) {
  int fd = ::open(pack.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  uint8_t b;
  ASSERT_EQ(::pread(fd, &b, 1, static_cast<off_t>(offset)), 1);
  b ^= 0x01;
  ASSERT_EQ(::pwrite(fd, &b, 1, static_cast<off_t>(offset)), 1);
  ::close(fd);
}

struct Layout {
  const char* name;
  const char* profile;
  bool trickle;
};

class Pieces : public ::testing::TestWithParam<Layout> {};

// Every piece is the file's next bytes, and where a piece names a pack file,
// that file holds exactly those bytes there: what the gateway's sendfile sends.
TEST_P(Pieces, LieInThePackFilesExactly) {
  const Layout& l = GetParam();
  test::TempDir dir;
  for (size_t workers : {size_t{1}, size_t{2}}) {
    auto node = open_node(dir, workers);
    const Bytes data = test::deterministic_bytes(std::string("pieces-") + l.name, 5 * 262144 + 777);
    const Cid root = add_bytes(*node, data, add_options(l.profile, l.trickle));
    struct Slice {
      uint64_t offset;
      std::optional<uint64_t> length;
    };
    for (Slice s : {Slice{0, std::nullopt}, Slice{262144 - 10, 300000}, Slice{1000, 1}, Slice{data.size() - 5, 5}}) {
      Bytes got;
      size_t from_files = 0;
      Status st = node->cat_pieces(root, s.offset, s.length, [&](const unixfs::ContentPiece& p) -> Status {
        if (p.file != nullptr) {
          ++from_files;
          EXPECT_EQ(pread_bytes(p.file->get(), p.file_offset, p.bytes.size()), Bytes(p.bytes.begin(), p.bytes.end()));
        }
        append(got, p.bytes);
        return {};
      });
      ASSERT_TRUE(st) << st.error().message();
      const uint64_t end = s.length ? std::min<uint64_t>(data.size(), s.offset + *s.length) : data.size();
      EXPECT_EQ(got, Bytes(data.begin() + static_cast<ptrdiff_t>(s.offset), data.begin() + static_cast<ptrdiff_t>(end)))
          << l.name << " from " << s.offset;
      EXPECT_GT(from_files, 0u) << "pieces of a stored file name their pack";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, Pieces,
                         ::testing::Values(Layout{"dagpb_leaves", "unixfs-v0-2015", false},
                                           Layout{"raw_leaves", "unixfs-v1-2025", false},
                                           Layout{"trickle", "unixfs-v0-2015", true}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(BlockReader, PiecesFromMemoryNameNoFile) {
  MemoryBlockStore store;
  auto p = unixfs::profile_by_name("unixfs-v0-2015");
  unixfs::ImportOptions o;
  o.dag = p->dag;
  o.chunker = *unixfs::parse_chunker("", p->chunk_size);
  unixfs::Importer imp(o, &store, nullptr);
  const Bytes data = test::deterministic_bytes("memory-pieces", 600000);
  MemoryReader in(data);
  auto root = imp.add_stream(in, "");
  ASSERT_TRUE(root);
  ThreadPool pool(2);
  unixfs::Exporter ex(store, &pool);
  Bytes got;
  ASSERT_TRUE(ex.read_pieces(root->cid, 0, std::nullopt, [&](const unixfs::ContentPiece& piece) -> Status {
    EXPECT_EQ(piece.file, nullptr);
    append(got, piece.bytes);
    return {};
  }));
  EXPECT_EQ(got, data);
}

TEST(BlockReader, ReadsIntoTheBufferAndRefusesAFlippedByte) {
  test::TempDir dir;
  auto node = open_node(dir);
  const Bytes data = test::deterministic_bytes("read-verified", 100000);
  auto o = add_options("unixfs-v1-2025");
  const Cid c = add_bytes(*node, data, o);  // one raw block
  repo::PackStore& packs = node->repo().blocks();
  ScratchBuffer buffer;
  auto r = packs.read_verified(c, buffer);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(Bytes(r->data.begin(), r->data.end()), data);
  EXPECT_EQ(r->data.data(), buffer.reserve(0)) << "read into the caller's buffer";
  ASSERT_TRUE(r->extent);
  EXPECT_EQ(pread_bytes(r->extent->file->get(), r->extent->offset, data.size()), data);
  // The same buffer again: no new allocation.
  const uint8_t* before = buffer.reserve(0);
  ASSERT_TRUE(packs.read_verified(c, buffer));
  EXPECT_EQ(buffer.reserve(0), before);

  auto loc = packs.locate(c.multihash());
  ASSERT_TRUE(loc && *loc);
  flip_byte(packs.pack_path((*loc)->pack), (*loc)->offset + 4321);
  auto bad = packs.read_verified(c, buffer);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kCorruption);
  auto bad_get = packs.get(c);
  ASSERT_FALSE(bad_get);
  EXPECT_EQ(bad_get.error().code(), Code::kCorruption);
  // Through the exporter: the read stops at the bad block; nothing of it comes out.
  bool emitted = false;
  Status st = node->cat_pieces(c, 0, std::nullopt, [&](const unixfs::ContentPiece&) -> Status {
    emitted = true;
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kCorruption);
  EXPECT_FALSE(emitted);
}

// A held extent keeps its pack file open: after GC deleted the file, the
// bytes are still there to send.
TEST(BlockReader, AnExtentOutlivesTheGcOfItsPack) {
  test::TempDir dir;
  auto node = open_node(dir);
  const Bytes data = test::deterministic_bytes("outlives", 200000);
  const Cid c = add_bytes(*node, data, add_options("unixfs-v1-2025", false, /*pin=*/false));
  ScratchBuffer buffer;
  auto r = node->repo().blocks().read_verified(c, buffer);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->extent);
  const std::string pack = node->repo().blocks().pack_path((*node->repo().blocks().locate(c.multihash()))->pack);
  auto report = node->gc();
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->removed_blocks, 1u);
  EXPECT_NE(::access(pack.c_str(), F_OK), 0) << "the pack was compacted away";
  EXPECT_EQ(pread_bytes(r->extent->file->get(), r->extent->offset, data.size()), data);
}

// Another process compacted a pack away and a new pack took its id: a
// descriptor cached before would read the old file. The read notices and
// opens the new one.
TEST(BlockReader, ReopensAPackWhoseIdWasReused) {
  test::TempDir dir;
  auto reader = open_node(dir);  // the daemon: caches pack descriptors
  auto writer = open_node(dir);  // another process
  repo::PackStore& wpacks = writer->repo().blocks();
  // Pack 1 stays: mostly live bytes, so GC does not compact it.
  add_bytes(*writer, test::deterministic_bytes("reused-kept", 100000), add_options("unixfs-v1-2025"));
  // A pack of its own for the first file: the open batch holds pack 1.
  Cid first;
  int64_t first_pack;
  {
    auto hold = wpacks.begin();
    ASSERT_TRUE(hold);
    first = add_bytes(*writer, test::deterministic_bytes("reused-1", 100000), add_options("unixfs-v1-2025", false, false));
    first_pack = (*wpacks.locate(first.multihash()))->pack;
  }
  ScratchBuffer buffer;
  ASSERT_TRUE(reader->repo().blocks().read_verified(first, buffer));  // caches first_pack's descriptor
  ASSERT_TRUE(writer->gc());                                           // first_pack is deleted
  EXPECT_NE(::access(wpacks.pack_path(first_pack).c_str(), F_OK), 0);
  Cid second;
  const Bytes second_data = test::deterministic_bytes("reused-2", 150000);
  {
    auto hold = wpacks.begin();
    ASSERT_TRUE(hold);
    second = add_bytes(*writer, second_data, add_options("unixfs-v1-2025"));
  }
  ASSERT_EQ((*wpacks.locate(second.multihash()))->pack, first_pack) << "the test needs the id reused";
  auto r = reader->repo().blocks().read_verified(second, buffer);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(Bytes(r->data.begin(), r->data.end()), second_data);
  EXPECT_EQ(pread_bytes(r->extent->file->get(), r->extent->offset, second_data.size()), second_data);
  auto got = reader->repo().blocks().get(second);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, second_data);
}

}  // namespace
}  // namespace ipfskit
