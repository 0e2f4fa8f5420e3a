#include <gtest/gtest.h>

#include <random>

#include "base/thread_pool.h"
#include "codec/dagpb.h"
#include "codec/unixfs_pb.h"
#include "test_util.h"
#include "unixfs/exporter.h"
#include "unixfs/file_builder.h"
#include "unixfs/file_reader.h"

namespace ipfskit {
namespace {

// A file DAG in memory with the given layout.
unixfs::NodeRef build(MemoryBlockStore& store, const Bytes& data, unixfs::Layout layout, bool raw_leaves,
                      uint64_t chunk = 1000) {
  unixfs::DagOptions o;
  o.layout = layout;
  o.raw_leaves = raw_leaves;
  o.cid_version = raw_leaves ? 1 : 0;
  o.max_links = 7;  // deep trees from small inputs
  unixfs::ChunkSpec spec;
  spec.size = chunk;
  unixfs::ImportContext ctx(1, chunk);
  MemoryReader in(data);
  auto r = unixfs::build_file(in, spec, o, ctx, &store);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return *r;
}

TEST(FileReader, RandomReadsMatchTheBytesInEveryLayout) {
  Bytes data = test::deterministic_bytes("file-reader", 123457);
  ThreadPool pool(2);
  for (auto layout : {unixfs::Layout::kBalanced, unixfs::Layout::kTrickle}) {
    for (bool raw : {false, true}) {
      MemoryBlockStore store;
      unixfs::NodeRef root = build(store, data, layout, raw);
      unixfs::FileReader reader(store, root.cid, data.size(), &pool);
      std::mt19937 rng(7);
      std::vector<uint8_t> buf(5000);
      for (int i = 0; i < 300; ++i) {
        uint64_t off = rng() % (data.size() + 10);
        size_t n = rng() % buf.size();
        auto got = reader.read(off, buf.data(), n);
        ASSERT_TRUE(got) << got.error().message();
        size_t want = off >= data.size() ? 0 : std::min<size_t>(n, data.size() - off);
        ASSERT_EQ(*got, want);
        ASSERT_TRUE(std::equal(buf.begin(), buf.begin() + want, data.begin() + off));
      }
      // Sequential, as cat reads (exercises read-ahead).
      Bytes all;
      for (uint64_t off = 0;;) {
        auto got = reader.read(off, buf.data(), 4096);
        ASSERT_TRUE(got);
        if (*got == 0) break;
        all.insert(all.end(), buf.begin(), buf.begin() + *got);
        off += *got;
      }
      EXPECT_EQ(all, data);
    }
  }
}

TEST(FileReader, LyingSizesAndMissingBlocksAreErrorsNotBytes) {
  Bytes data = test::deterministic_bytes("file-reader-bad", 20000);
  MemoryBlockStore store;
  unixfs::NodeRef root = build(store, data, unixfs::Layout::kBalanced, true);
  // The root claims more bytes than its children hold.
  unixfs::FileReader big(store, root.cid, data.size() + 100, nullptr);
  uint8_t buf[256];
  EXPECT_FALSE(big.read(0, buf, sizeof buf));
  // A child block is missing.
  auto block = store.get(root.cid);
  ASSERT_TRUE(block);
  auto node = dagpb::decode(ByteView(*block));
  ASSERT_TRUE(node);
  ASSERT_TRUE(store.remove(node->links[1].hash));
  unixfs::FileReader missing(store, root.cid, data.size(), nullptr);
  EXPECT_TRUE(missing.read(0, buf, 100));  // the first leaf is there
  auto r = missing.read(8000, buf, sizeof buf);  // under the second child (7 leaves of 1000 bytes each)
  EXPECT_FALSE(r);
}

}  // namespace
}  // namespace ipfskit
