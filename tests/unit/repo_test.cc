#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include <cstring>

#include "codec/dagpb.h"
#include "core/node.h"
#include "dag/dag.h"
#include "test_util.h"
#include "unixfs/profile.h"

namespace ipfskit {
namespace {

std::unique_ptr<core::Node> open_node(const test::TempDir& dir, size_t workers = 2) {
  auto n = core::Node::open(dir.file("repo"), "", workers);
  EXPECT_TRUE(n) << (n ? "" : n.error().message());
  return std::move(*n);
}

core::AddOptions add_options(const std::string& profile = "unixfs-v0-2015", const std::string& chunker = "") {
  auto p = unixfs::profile_by_name(profile);
  core::AddOptions o;
  o.import.dag = p->dag;
  o.import.chunker = *unixfs::parse_chunker(chunker, p->chunk_size);
  return o;
}

Cid add_bytes(core::Node& node, ByteView data, core::AddOptions o = add_options()) {
  MemoryReader in(data);
  auto r = node.add_stream(in, "", o, nullptr);
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r->cid;
}

Bytes cat(core::Node& node, const Cid& c) {
  Bytes out;
  auto st = node.cat(c.to_string(), 0, std::nullopt, [&](ByteView b) -> Status {
    append(out, b);
    return {};
  });
  EXPECT_TRUE(st) << (st ? "" : st.error().message());
  return out;
}

TEST(Repo, CreatesLayoutAndIdentity) {
  test::TempDir dir;
  auto node = open_node(dir);
  struct stat st;
  for (const char* p : {"/config.json", "/blocks", "/index.sqlite", "/keystore/self.key", "/logs"})
    EXPECT_EQ(::stat((dir.file("repo") + p).c_str(), &st), 0) << p;
  const auto& id = node->repo().identity();
  EXPECT_EQ(id.peer_id.substr(0, 8), "12D3KooW");
  // The identity is stable across opens.
  std::string first = id.peer_id;
  node.reset();
  auto again = open_node(dir);
  EXPECT_EQ(again->repo().identity().peer_id, first);
  auto init = repo::Repo::init(dir.file("repo"), {});
  ASSERT_FALSE(init);
  EXPECT_EQ(init.error().code(), Code::kAlreadyExists);
}

TEST(Repo, AddStoresPinsAndReadsBack) {
  test::TempDir dir;
  auto node = open_node(dir);
  Bytes data = test::deterministic_bytes("repo-add", 3 * 262144 + 5);
  core::AddOptions o = add_options();
  o.pin_name = "my-file";
  o.pin_meta = {{"owner", "alice"}};
  Cid root = add_bytes(*node, data, o);
  EXPECT_EQ(cat(*node, root), data);
  auto pin = node->repo().pins().get(root);
  ASSERT_TRUE(pin && *pin);
  EXPECT_EQ((*pin)->name, "my-file");
  EXPECT_EQ((*pin)->meta.at("owner"), "alice");
  // CIDv0 and raw CIDv1 of the same bytes share storage (keyed by multihash).
  auto leaf = node->block_get(root);
  ASSERT_TRUE(leaf);
  auto stat = node->repo_stat();
  EXPECT_EQ(stat->blocks, 6u);  // 4 leaves + root, and the empty directory every repository holds
  EXPECT_EQ(stat->pins, 1u);
}

TEST(Repo, IdentityBlocksAreNeverStored) {
  test::TempDir dir;
  auto node = open_node(dir);
  core::AddOptions o = add_options("unixfs-v1-2025");
  o.import.dag.inline_cids = true;
  Cid c = add_bytes(*node, as_bytes("tiny"), o);
  EXPECT_TRUE(c.is_identity());
  EXPECT_EQ(node->repo_stat()->blocks, 1u);  // only the empty directory every repository holds
  EXPECT_EQ(as_chars(cat(*node, c)), "tiny");
}

TEST(Repo, GcKeepsPinnedAndRemovesTheRest) {
  test::TempDir dir;
  auto node = open_node(dir);
  Cid kept = add_bytes(*node, test::deterministic_bytes("kept", 600000));
  core::AddOptions unpinned = add_options();
  unpinned.pin = false;
  Cid dropped = add_bytes(*node, test::deterministic_bytes("dropped", 600000), unpinned);
  std::vector<std::string> removed;
  auto report = node->gc([&](const Cid& c) { removed.push_back(c.to_string()); });
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->removed_blocks, 4u);  // 3 leaves + root of the unpinned file
  EXPECT_EQ(removed.size(), 4u);
  EXPECT_EQ(cat(*node, kept), test::deterministic_bytes("kept", 600000));
  auto gone = node->block_get(dropped);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Code::kNotFound);
  // The pack holding mostly garbage was compacted: its space came back.
  EXPECT_GT(report->reclaimed_bytes, 0u);
  EXPECT_TRUE(node->repo_verify(nullptr));
  // Unpin, collect again: nothing left.
  ASSERT_TRUE(node->pin_rm({kept}));
  auto second = node->gc();
  ASSERT_TRUE(second);
  EXPECT_EQ(node->repo_stat()->blocks, 1u);  // nothing but the empty directory, which GC keeps
}

TEST(Repo, PinsNeedTheirDagAndCarryNamesAndMetadata) {
  test::TempDir dir;
  auto node = open_node(dir);
  core::AddOptions o = add_options();
  o.pin = false;
  Cid c = add_bytes(*node, test::deterministic_bytes("pin", 300000), o);
  repo::PinRequest p;
  p.cid = c;
  p.name = "backup";
  p.meta = {{"k", "v"}};
  ASSERT_TRUE(node->pin_add({p}));
  repo::PinRequest missing;
  missing.cid = *Cid::parse("QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2");
  auto st = node->pin_add({missing});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kNotFound);

  std::vector<core::PinEntry> listed;
  core::PinListOptions lo;
  lo.filter.with_meta = true;
  ASSERT_TRUE(node->pin_ls(lo, [&](const core::PinEntry& e) -> Status {
    listed.push_back(e);
    return {};
  }));
  ASSERT_EQ(listed.size(), 3u);  // the root, then its two leaves as indirect
  EXPECT_EQ(listed[0].type, "recursive");
  EXPECT_EQ(listed[0].info->meta.at("k"), "v");
  EXPECT_EQ(listed[1].type, "indirect");
  lo.filter.name = "back";
  lo.filter.limit = 1;
  listed.clear();
  ASSERT_TRUE(node->pin_ls(lo, [&](const core::PinEntry& e) -> Status {
    listed.push_back(e);
    return {};
  }));
  EXPECT_EQ(listed.size(), 1u);

  // update moves name and metadata; the old pin goes.
  Cid other = add_bytes(*node, as_bytes("other"), o);
  ASSERT_TRUE(node->pin_update(c, other, true));
  auto moved = node->repo().pins().get(other);
  ASSERT_TRUE(moved && *moved);
  EXPECT_EQ((*moved)->name, "backup");
  EXPECT_FALSE(*node->repo().pins().get(c));
}

TEST(Repo, FlippedByteIsDetectedAndNeverServed) {
  test::TempDir dir;
  auto node = open_node(dir);
  Bytes data = test::deterministic_bytes("flip", 100000);
  Cid c = add_bytes(*node, data);
  auto loc = node->repo().blocks().locate(c.multihash());
  ASSERT_TRUE(loc && *loc);
  std::string pack = node->repo().blocks().pack_path((*loc)->pack);
  node.reset();
  {
    int fd = ::open(pack.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    uint8_t b;
    off_t at = static_cast<off_t>((*loc)->offset + 5000);
    ASSERT_EQ(::pread(fd, &b, 1, at), 1);
    b ^= 0x20;
    ASSERT_EQ(::pwrite(fd, &b, 1, at), 1);
    ::close(fd);
  }
  node = open_node(dir);
  std::vector<std::string> bad;
  auto report = node->repo_verify([&](const Cid& cid, const Error&) { bad.push_back(cid.to_string()); });
  ASSERT_TRUE(report);
  EXPECT_EQ(report->bad, 1u);
  EXPECT_EQ(bad, std::vector<std::string>{c.to_string()});
  auto st = node->cat(c.to_string(), 0, std::nullopt, [](ByteView) -> Status { return {}; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kCorruption);
}

TEST(Repo, UncommittedWritesLeaveNoTrace) {
  test::TempDir dir;
  auto node = open_node(dir);
  Bytes data = test::deterministic_bytes("uncommitted", 50000);
  auto mh = Multihash::compute(multihash::kSha2_256, {data});
  Cid cid = Cid::v1(multicodec::kRaw, *mh);
  {
    auto batch = node->repo().blocks().begin();
    ASSERT_TRUE(batch);
    ASSERT_TRUE((*batch)->put(cid, data));
    // destroyed without commit, as if the process died here
  }
  EXPECT_FALSE(*node->repo().blocks().has(cid));
  // The next writer reuses the pack from its committed length.
  ASSERT_TRUE(node->repo().blocks().put(cid, data));
  EXPECT_EQ(*node->block_get(cid), data);
  EXPECT_TRUE(node->repo_verify(nullptr));
}

TEST(Repo, ConcurrentWritersAndReaders) {
  test::TempDir dir;
  auto node = open_node(dir);
  std::vector<std::thread> threads;
  std::vector<Cid> roots(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto other = core::Node::open(dir.file("repo"), "", 1);  // a separate connection, as another process
      ASSERT_TRUE(other);
      roots[t] = add_bytes(**other, test::deterministic_bytes("writer-" + std::to_string(t), 500000));
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(cat(*node, roots[t]), test::deterministic_bytes("writer-" + std::to_string(t), 500000));
  EXPECT_TRUE(node->repo_verify(nullptr));
}

TEST(Repo, GetRefusesUnsafeNamesAndNeverEscapes) {
  test::TempDir dir;
  auto node = open_node(dir);
  // A directory whose entry is named "../escape": built by hand, as a hostile peer would.
  Cid file = add_bytes(*node, as_bytes("payload"));
  for (const char* bad : {"../escape", "a/b", "..", ".", ""}) {
    dagpb::Node n;
    n.links.push_back({file, std::string(bad), 7});
    unixfs::Data fs;
    fs.type = unixfs::DataType::kDirectory;
    Bytes data = unixfs::encode(fs);
    n.data = data;
    Bytes block = dagpb::encode(n);
    auto dir_cid = node->block_put(block, multicodec::kDagPb, multihash::kSha2_256, 0, false);
    ASSERT_TRUE(dir_cid);
    std::string out = dir.file(std::string("out-") + std::to_string(std::strlen(bad)));
    auto st = node->get(dir_cid->to_string(), out);
    EXPECT_FALSE(st) << bad;
    struct stat s;
    EXPECT_NE(::stat(dir.file("escape").c_str(), &s), 0) << "wrote outside the output directory";
  }
  // An existing output is never replaced.
  test::write_file(dir.file("exists"), as_bytes("keep me"));
  auto clash = node->get(file.to_string(), dir.file("exists"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(as_chars(*read_file(dir.file("exists"))), "keep me");
}

TEST(Repo, DagExportImportRoundTrip) {
  test::TempDir dir;
  auto node = open_node(dir);
  Cid root = add_bytes(*node, test::deterministic_bytes("car", 1000000), add_options("unixfs-v0-2015", "size-65536"));
  Bytes car;
  ASSERT_TRUE(node->dag_export(root, [&](ByteView b) -> Status {
    append(car, b);
    return {};
  }));
  test::TempDir dir2;
  auto other = open_node(dir2);
  MemoryReader in(car);
  auto report = other->dag_import(in, true);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->blocks, 17u);  // 16 leaves + root
  EXPECT_EQ(cat(*other, root), test::deterministic_bytes("car", 1000000));
  EXPECT_TRUE(*other->repo().pins().get(root));

  // A block whose bytes do not match its CID is refused, and nothing is stored.
  Bytes tampered = car;
  tampered[tampered.size() - 10] ^= 1;
  test::TempDir dir3;
  auto third = open_node(dir3);
  MemoryReader bad(tampered);
  auto refused = third->dag_import(bad, true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(third->repo_stat()->blocks, 1u);  // nothing of the CAR (the empty directory was there before)
}

}  // namespace
}  // namespace ipfskit
