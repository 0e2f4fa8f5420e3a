#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "codec/dagpb.h"
#include "test_util.h"
#include "unixfs/exporter.h"
#include "unixfs/importer.h"
#include "unixfs/profile.h"

namespace ipfskit {
namespace {

struct Case {
  const char* name;
  const char* profile;
  const char* chunker;
  bool trickle;
  bool inline_cids;
};

unixfs::ImportOptions options(const Case& c) {
  auto p = unixfs::profile_by_name(c.profile);
  unixfs::ImportOptions o;
  o.dag = p->dag;
  if (c.trickle) o.dag.layout = unixfs::Layout::kTrickle;
  o.dag.inline_cids = c.inline_cids;
  o.chunker = *unixfs::parse_chunker(c.chunker, p->chunk_size);
  o.workers = 2;
  return o;
}

Bytes read_all(unixfs::Exporter& ex, const Cid& cid, uint64_t offset = 0, std::optional<uint64_t> len = {}) {
  Bytes out;
  auto st = ex.read(cid, offset, len, [&](ByteView b) -> Status {
    append(out, b);
    return {};
  });
  EXPECT_TRUE(st) << st.error().message();
  return out;
}

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, ReadsBackEveryRange) {
  const Case& c = GetParam();
  MemoryBlockStore store;
  ThreadPool pool(2);
  unixfs::Importer imp(options(c), &store, nullptr);
  std::mt19937_64 rng(42);
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{4096}, size_t{70000}, size_t{1234567}}) {
    Bytes data = test::deterministic_bytes(std::string("roundtrip-") + c.name, size);
    MemoryReader in(data);
    auto root = imp.add_stream(in, "");
    ASSERT_TRUE(root) << root.error().message();
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
      unixfs::Exporter ex(store, p);
      auto info = ex.stat(root->cid);
      ASSERT_TRUE(info);
      EXPECT_EQ(info->kind, unixfs::NodeKind::kFile);
      EXPECT_EQ(info->size, size);
      EXPECT_EQ(read_all(ex, root->cid), data) << c.name << " size " << size;
      for (int i = 0; i < 20 && size > 0; ++i) {
        uint64_t off = rng() % (size + 1);
        uint64_t len = rng() % (size - off + 2);
        Bytes part = read_all(ex, root->cid, off, len);
        uint64_t end = std::min<uint64_t>(size, off + len);
        ASSERT_EQ(part, Bytes(data.begin() + off, data.begin() + end)) << c.name << " " << off << "+" << len;
      }
      auto past = ex.read(root->cid, size + 1, std::nullopt, [](ByteView) -> Status { return {}; });
      EXPECT_FALSE(past);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, RoundTrip,
                         ::testing::Values(Case{"balanced", "unixfs-v0-2015", "size-1000", false, false},
                                           Case{"trickle", "unixfs-v0-2015", "size-1000", true, false},
                                           Case{"rawleaves", "unixfs-v1-2025", "size-4096", false, false},
                                           Case{"trickleraw", "unixfs-v1-2025", "size-333", true, false},
                                           Case{"inline", "unixfs-v1-2025", "size-20", false, true},
                                           Case{"rabin", "unixfs-v0-2015", "rabin-16-256-4096", false, false},
                                           Case{"buzhash", "unixfs-v1-2025", "buzhash", false, false}),
                         [](const auto& p) { return std::string(p.param.name); });

Result<unixfs::NodeRef> add_tree(const std::string& path, const unixfs::ImportOptions& base, BlockSink* sink) {
  unixfs::ImportOptions o = base;
  o.recursive = true;
  unixfs::Importer imp(o, sink, nullptr);
  return imp.add_paths({path});
}

TEST(Exporter, ListsAndResolvesPlainAndShardedDirectories) {
  test::TempDir tmp;
  const std::string big = tmp.file("big");
  ::mkdir(big.c_str(), 0755);
  std::vector<std::string> names;
  for (int i = 0; i < 5000; ++i) {
    names.push_back("file-with-a-longish-name-" + std::to_string(i) + ".txt");
    test::write_file(big + "/" + names.back(), as_bytes("content " + std::to_string(i)));
  }
  ::mkdir((big + "/sub").c_str(), 0755);
  test::write_file(big + "/sub/deep.txt", as_bytes("deep"));
  names.push_back("sub");
  std::sort(names.begin(), names.end());

  MemoryBlockStore store;
  auto root = add_tree(big, options({"d", "unixfs-v0-2015", "", false, false}), &store);
  ASSERT_TRUE(root);
  unixfs::Exporter ex(store);
  EXPECT_EQ(ex.stat(root->cid)->kind, unixfs::NodeKind::kHAMTDirectory);
  std::vector<std::string> listed;
  ASSERT_TRUE(ex.list(root->cid, [&](const unixfs::DirEntry& e) -> Status {
    listed.push_back(e.name);
    return {};
  }));
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, names);

  auto file = ex.resolve("/ipfs/" + root->cid.to_string() + "/file-with-a-longish-name-4321.txt");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(as_chars(read_all(ex, *file)), "content 4321");
  auto deep = ex.resolve(root->cid.to_string() + "/sub/deep.txt");
  ASSERT_TRUE(deep);
  EXPECT_EQ(as_chars(read_all(ex, *deep)), "deep");
  auto missing = ex.resolve(root->cid.to_string() + "/no-such-file");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  auto through_file = ex.resolve(deep->to_string() + "/x");
  EXPECT_FALSE(through_file);
  auto as_file = ex.read(root->cid, 0, std::nullopt, [](ByteView) -> Status { return {}; });
  EXPECT_FALSE(as_file);
}

TEST(Exporter, ReadsSymlinks) {
  test::TempDir tmp;
  ::mkdir(tmp.file("d").c_str(), 0755);
  ASSERT_EQ(::symlink("../elsewhere", tmp.file("d/l").c_str()), 0);
  MemoryBlockStore store;
  auto root = add_tree(tmp.file("d"), options({"d", "unixfs-v0-2015", "", false, false}), &store);
  unixfs::Exporter ex(store);
  auto link = ex.resolve(root->cid.to_string() + "/l");
  ASSERT_TRUE(link);
  EXPECT_EQ(ex.stat(*link)->kind, unixfs::NodeKind::kSymlink);
  EXPECT_EQ(*ex.read_symlink(*link), "../elsewhere");
}

// A file node whose blocksizes lie about its children must not be served.
TEST(Exporter, RejectsInconsistentFileNodes) {
  MemoryBlockStore store;
  unixfs::DagOptions o;
  unixfs::CidBuilder cids(o);
  Bytes leaf = to_bytes(std::string_view("0123456789"));
  o.raw_leaves = true;
  Cid leaf_cid = *cids.make(multicodec::kRaw, leaf);
  ASSERT_TRUE(store.put(leaf_cid, leaf));
  unixfs::NodeRef child{leaf_cid, 10, 12};  // claims 12 bytes, holds 10
  auto root = unixfs::put_file_node(cids, &store, {child});
  ASSERT_TRUE(root);
  unixfs::Exporter ex(store);
  auto st = ex.read(root->cid, 0, std::nullopt, [](ByteView) -> Status { return {}; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kCorruption);

  // A missing block surfaces as NotFound.
  MemoryBlockStore empty;
  unixfs::Exporter ex2(empty);
  auto nf = ex2.stat(root->cid);
  ASSERT_FALSE(nf);
  EXPECT_EQ(nf.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace ipfskit
