#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/dagpb.h"
#include "codec/unixfs_pb.h"
#include "test_util.h"
#include "unixfs/importer.h"
#include "unixfs/profile.h"

namespace ipfskit {
namespace {

using unixfs::ImportOptions;

ImportOptions profile_options(const std::string& profile, const std::string& chunker = "") {
  auto p = unixfs::profile_by_name(profile);
  ImportOptions o;
  o.dag = p->dag;
  o.chunker = *unixfs::parse_chunker(chunker, p->chunk_size);
  o.workers = 2;
  return o;
}

Result<Cid> add_bytes(ByteView data, const ImportOptions& o, BlockSink* sink = nullptr) {
  unixfs::Importer imp(o, sink, nullptr);
  MemoryReader in(data);
  auto r = imp.add_stream(in, "");
  if (!r) return tl::unexpected(r.error());
  return r->cid;
}

std::string add_str(std::string_view s, const ImportOptions& o) {
  auto c = add_bytes(as_bytes(s), o);
  return c ? c->to_string() : "error: " + c.error().message();
}

TEST(Importer, KuboSmallFileVectors) {
  ImportOptions v0 = profile_options("unixfs-v0-2015");
  EXPECT_EQ(add_str("", v0), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  EXPECT_EQ(add_str("hello world\n", v0), "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  EXPECT_EQ(add_str("hello world", v0), "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD");
  ImportOptions raw = v0;
  raw.dag.raw_leaves = true;
  EXPECT_EQ(add_str("", raw), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  ImportOptions v1 = v0;
  v1.dag.cid_version = 1;
  v1.dag.raw_leaves = true;
  EXPECT_EQ(add_str("hello world\n", v1), "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
  v1.dag.raw_leaves = false;
  EXPECT_EQ(add_str("hello world", v1), "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa");
  ImportOptions sha512 = v0;
  sha512.dag.cid_version = 1;
  sha512.dag.raw_leaves = true;
  sha512.dag.hash = multihash::kSha2_512;
  EXPECT_EQ(add_str("hello world", sha512),
            "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6");
  EXPECT_EQ(add_str("Hello Worlds!\n", v0), "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH");
  ImportOptions trickle = v0;
  trickle.dag.layout = unixfs::Layout::kTrickle;
  EXPECT_EQ(add_str("Hello Worlds!\n", trickle), "QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi");
}

TEST(Importer, KuboInlineVector) {
  ImportOptions o = profile_options("unixfs-v0-2015");
  o.dag.inline_cids = true;
  o.dag.raw_leaves = true;
  EXPECT_EQ(add_str("jkD98jkD975hkD8\n", o), "bafkqaedknncdsodknncdsnzvnbvuioak");
  // Over the limit, inlining changes nothing.
  Bytes big = test::deterministic_bytes("inline", 1000);
  ImportOptions plain = profile_options("unixfs-v0-2015");
  plain.dag.raw_leaves = true;
  EXPECT_EQ(add_bytes(big, o)->to_string(), add_bytes(big, plain)->to_string());
}

TEST(Importer, IdentityHashIsLimitedTo128Bytes) {
  ImportOptions o = profile_options("unixfs-v0-2015");
  o.dag.hash = multihash::kIdentity;
  o.dag.cid_version = 1;
  o.dag.raw_leaves = true;
  auto small = add_bytes(as_bytes("djkd7jdkd7jkHHG\n"), o);
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->is_identity());
  auto big = add_bytes(Bytes(200, 1), o);
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message().find("digest too large"), std::string::npos);
}

TEST(Importer, ProfileChunkBoundaryVectors) {
  // kubo test/cli/cid_profiles_test.go
  ImportOptions v0 = profile_options("unixfs-v0-2015");
  EXPECT_EQ(add_bytes(test::deterministic_bytes("chunk-v0-seed", 262144), v0)->to_string(),
            "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE");
  EXPECT_EQ(add_bytes(test::deterministic_bytes("chunk-v0-seed", 262145), v0)->to_string(),
            "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ");
  ImportOptions v1 = profile_options("unixfs-v1-2025");
  EXPECT_EQ(add_bytes(test::deterministic_bytes("chunk-v1-seed", 1048576), v1)->to_string(),
            "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta");
  EXPECT_EQ(add_bytes(test::deterministic_bytes("chunk-v1-seed", 1048577), v1)->to_string(),
            "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64");
}

TEST(Importer, BalancedLayoutKeepsTrailingSubtreeDepth) {
  // 175 chunks of 16 bytes: a root with two children, the second an internal
  // node over a single leaf.
  ImportOptions o = profile_options("unixfs-v0-2015", "size-16");
  MemoryBlockStore store;
  Bytes data = test::deterministic_bytes("balanced", 175 * 16);
  Cid root = *add_bytes(data, o, &store);
  const Bytes root_block = *store.get(root);
  auto node = dagpb::decode(root_block);
  ASSERT_TRUE(node);
  ASSERT_EQ(node->links.size(), 2u);
  const Bytes second_block = *store.get(node->links[1].hash);
  auto second = dagpb::decode(second_block);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->links.size(), 1u);
  auto fs = unixfs::decode(*node->data);
  EXPECT_EQ(fs->filesize, 175u * 16);
  EXPECT_EQ(fs->blocksizes, (std::vector<uint64_t>{174 * 16, 16}));
  // Links of file chunks carry an empty name (bytes 12 00), as Kubo writes them.
  EXPECT_EQ(node->links[0].name, std::string());
}

TEST(Importer, WorkerCountDoesNotChangeCids) {
  Bytes data = test::deterministic_bytes("workers", 3 * 1024 * 1024 + 17);
  for (const char* profile : {"unixfs-v0-2015", "unixfs-v1-2025"}) {
    ImportOptions one = profile_options(profile, "size-65536");
    one.workers = 1;
    ImportOptions many = one;
    many.workers = 8;
    EXPECT_EQ(add_bytes(data, one)->to_string(), add_bytes(data, many)->to_string()) << profile;
  }
}

// Writes a Kubo HAMT-threshold directory (kubo test/cli/add_test.go).
void make_kubo_dir(const std::string& dir, const std::string& seed, int count, int len, int last_len) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz01234567890-_";
  ::mkdir(dir.c_str(), 0755);
  size_t total = static_cast<size_t>(len) * (count - 1) + static_cast<size_t>(last_len);
  Bytes stream = test::deterministic_bytes(seed, total);
  size_t pos = 0;
  for (int i = 0; i < count; ++i) {
    int n = i == count - 1 ? last_len : len;
    std::string name;
    for (int j = 0; j < n; ++j) name += kAlphabet[stream[pos++] % 39];
    test::write_file(dir + "/" + name, as_bytes("x"));
  }
}

Result<unixfs::NodeRef> add_dir(const std::string& path, ImportOptions o, BlockSink* sink = nullptr,
                                std::vector<unixfs::AddedEntry>* events = nullptr) {
  o.recursive = true;
  unixfs::Importer imp(o, sink, [events](const unixfs::AddedEntry& e) {
    if (events) events->push_back(e);
  });
  return imp.add_paths({path});
}

TEST(Importer, HamtThresholdVectorsLinksEstimation) {
  test::TempDir tmp;
  make_kubo_dir(tmp.file("basic"), "hamt-unixfs-v0-2015", 4096, 30, 30);
  make_kubo_dir(tmp.file("hamt"), "hamt-unixfs-v0-2015", 4033, 31, 31);
  ImportOptions o = profile_options("unixfs-v0-2015");
  EXPECT_EQ(add_dir(tmp.file("basic"), o)->cid.to_string(), "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN");
  EXPECT_EQ(add_dir(tmp.file("hamt"), o)->cid.to_string(), "QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP");
}

TEST(Importer, HamtThresholdVectorsBlockEstimation) {
  test::TempDir tmp;
  make_kubo_dir(tmp.file("basic"), "hamt-unixfs-v1-2025", 4766, 11, 21);
  make_kubo_dir(tmp.file("hamt"), "hamt-unixfs-v1-2025", 4766, 11, 22);
  ImportOptions o = profile_options("unixfs-v1-2025");
  MemoryBlockStore store;
  auto basic = add_dir(tmp.file("basic"), o, &store);
  EXPECT_EQ(basic->cid.to_string(), "bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4");
  EXPECT_EQ(store.get(basic->cid)->size(), 262144u);  // exactly at the threshold: stays flat
  EXPECT_EQ(add_dir(tmp.file("hamt"), o)->cid.to_string(), "bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu");
}

TEST(Importer, PlanetsDirectoryAndOutputOrder) {
  test::TempDir tmp;
  ::mkdir(tmp.file("planets").c_str(), 0755);
  ::mkdir(tmp.file("planets/moons").c_str(), 0755);
  test::write_file(tmp.file("planets/mars.txt"), as_bytes("Hello Mars!\n"));
  test::write_file(tmp.file("planets/venus.txt"), as_bytes("Hello Venus!\n"));
  test::write_file(tmp.file("planets/moons/europa.txt"), as_bytes("Hello Europa!\n"));
  std::vector<unixfs::AddedEntry> events;
  auto root = add_dir(tmp.file("planets"), profile_options("unixfs-v0-2015"), nullptr, &events);
  ASSERT_TRUE(root);
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(e.name);
  // Files as they are added (sorted walk), then directories children first.
  EXPECT_EQ(names, (std::vector<std::string>{"planets/mars.txt", "planets/moons/europa.txt", "planets/venus.txt",
                                             "planets/moons", "planets"}));
  ::unlink(tmp.file("planets/moons/europa.txt").c_str());
  ::rmdir(tmp.file("planets/moons").c_str());
  EXPECT_EQ(add_dir(tmp.file("planets"), profile_options("unixfs-v0-2015"))->cid.to_string(),
            "QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY");
}

TEST(Importer, HiddenFilesEmptyDirsAndSymlinks) {
  test::TempDir tmp;
  const std::string d = tmp.file("d");
  ::mkdir(d.c_str(), 0755);
  test::write_file(d + "/visible.txt", as_bytes("visible"));
  test::write_file(d + "/.hidden", as_bytes("hidden"));
  ::mkdir((d + "/empty").c_str(), 0755);
  ASSERT_EQ(::symlink("visible.txt", (d + "/link").c_str()), 0);
  ImportOptions o = profile_options("unixfs-v0-2015");
  MemoryBlockStore store;
  auto root = add_dir(d, o, &store);
  ASSERT_TRUE(root);
  const Bytes root_block = *store.get(root->cid);
  auto node = dagpb::decode(root_block);
  std::vector<std::string> names;
  for (const auto& l : node->links) names.push_back(*l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"empty", "link", "visible.txt"}));
  // The empty directory is Kubo's empty directory node, the symlink a Symlink node.
  EXPECT_EQ(node->links[0].hash.to_string(), "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  const Bytes link_block = *store.get(node->links[1].hash);
  auto link = dagpb::decode(link_block);
  auto fs = unixfs::decode(*link->data);
  EXPECT_EQ(fs->type, unixfs::DataType::kSymlink);
  EXPECT_EQ(as_chars(*fs->data), "visible.txt");

  o.hidden = true;
  const Bytes with_hidden_block = *store.get(add_dir(d, o, &store)->cid);
  auto with_hidden = dagpb::decode(with_hidden_block);
  EXPECT_EQ(*with_hidden->links[0].name, ".hidden");
  o.hidden = false;
  o.empty_dirs = false;
  const Bytes without_empty_block = *store.get(add_dir(d, o, &store)->cid);
  auto without_empty = dagpb::decode(without_empty_block);
  EXPECT_EQ(without_empty->links.size(), 2u);
}

TEST(Importer, WrapWithDirectory) {
  test::TempDir tmp;
  test::write_file(tmp.file("a.txt"), as_bytes("a"));
  test::write_file(tmp.file("b.txt"), as_bytes("b"));
  ImportOptions o = profile_options("unixfs-v0-2015");
  o.wrap = true;
  std::vector<unixfs::AddedEntry> events;
  unixfs::Importer imp(o, nullptr, [&](const unixfs::AddedEntry& e) { events.push_back(e); });
  auto root = imp.add_paths({tmp.file("b.txt"), tmp.file("a.txt")});
  ASSERT_TRUE(root);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "b.txt");
  EXPECT_EQ(events[1].name, "a.txt");
  EXPECT_EQ(events[2].name, "");
  EXPECT_EQ(events[2].cid, root->cid);
}

TEST(Importer, RejectsBadArguments) {
  test::TempDir tmp;
  ::mkdir(tmp.file("dir").c_str(), 0755);
  ImportOptions o = profile_options("unixfs-v0-2015");
  unixfs::Importer imp(o, nullptr, nullptr);
  auto dir = imp.add_paths({tmp.file("dir")});
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message().find("use the '-r' flag"), std::string::npos);
  auto missing = imp.add_paths({tmp.file("nope")});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  ASSERT_EQ(::mkfifo(tmp.file("dir/pipe").c_str(), 0644), 0);
  o.recursive = true;
  unixfs::Importer rec(o, nullptr, nullptr);
  auto fifo = rec.add_paths({tmp.file("dir")});
  ASSERT_FALSE(fifo);
  EXPECT_NE(fifo.error().message().find("named pipe"), std::string::npos);
  ::mkdir(tmp.file("other").c_str(), 0755);
  test::write_file(tmp.file("x"), as_bytes("1"));
  test::write_file(tmp.file("other/x"), as_bytes("2"));
  auto clash = imp.add_paths({tmp.file("x"), tmp.file("other/x")});
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), Code::kInvalidArgument);
}

TEST(Importer, ValidatesOptions) {
  unixfs::DagOptions o;
  o.hash = multihash::kSha2_512;
  EXPECT_FALSE(unixfs::validate(o));  // CIDv0 needs sha2-256
  o = {};
  o.inline_cids = true;
  o.inline_limit = 129;
  EXPECT_FALSE(unixfs::validate(o));
  o.inline_limit = 128;
  EXPECT_TRUE(unixfs::validate(o));
}

}  // namespace
}  // namespace ipfskit
