// Reads that fall back (core/fallback.h, retrieval/sources.h): the order in
// which sources are tried, a source that lies refused and the next one used,
// NotFound / Corruption / Unavailable as the sources answered, the cooldown
// of a source that failed to answer, and the node's read-through cache
// (verified, stored unpinned, a wrong block never stored).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "backends/backend.h"
#include "core/fallback.h"
#include "core/node.h"
#include "multiformats/multicodec.h"
#include "multiformats/multihash.h"
#include "retrieval/sources.h"
#include "test_util.h"

namespace ipfskit {
namespace {

using namespace std::chrono_literals;

Cid raw_cid(ByteView data) { return Cid::v1(multicodec::kRaw, *Multihash::compute(multihash::kSha2_256, {data})); }

// A backend serving blocks from memory: honest, lying (every byte flipped),
// or unreachable; counts the requests it got.
class MemoryBackend : public backends::Backend {
 public:
  enum class Mode { kHonest, kLiar, kDown };
  MemoryBackend(std::string name, Mode mode) : Backend({name, "test", {}, ""}), mode_(mode) {}
  backends::Capabilities capabilities() const override {
    backends::Capabilities c;
    c.get_blocks = true;
    return c;
  }
  void add(const Cid& cid, Bytes data) { blocks_[cid.to_string()] = std::move(data); }
  int requests() const { return requests_; }

 protected:
  Result<Bytes> fetch_block(const Cid& cid) override {
    ++requests_;
    if (mode_ == Mode::kDown) return make_error(Code::kUnavailable, info().name + ": connection refused");
    auto it = blocks_.find(cid.to_string());
    if (it == blocks_.end()) return not_found(info().name + " has no " + cid.to_string());
    Bytes b = it->second;
    if (mode_ == Mode::kLiar)
      for (auto& x : b) x ^= 0xff;
    return b;
  }

 private:
  Mode mode_;
  std::map<std::string, Bytes> blocks_;
  std::atomic<int> requests_{0};
};

class FixedList : public retrieval::SourceList {
 public:
  std::vector<retrieval::ReadSource> list;
  std::vector<retrieval::ReadSource> sources() override { return list; }
};

TEST(Retrieval, RanksHealthyByLatencyThenDegradedThenUnknownAndDropsTheDown) {
  auto b = [](const char* n) { return retrieval::ReadSource{n, nullptr}; };
  using backends::Health;
  auto ranked = retrieval::rank({{b("slow"), Health::kHealthy, 80},
                                 {b("unknown"), Health::kUnknown, 0},
                                 {b("down"), Health::kUnhealthy, 1},
                                 {b("degraded"), Health::kDegraded, 1},
                                 {b("fast"), Health::kHealthy, 5},
                                 {b("stopped"), Health::kStopped, 1}});
  std::vector<std::string> names;
  for (auto& s : ranked) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"fast", "slow", "degraded", "unknown"}));
}

TEST(Retrieval, ALyingSourceIsRefusedAndTheNextOneServes) {
  const Bytes data = test::deterministic_bytes("fallback-liar", 5000);
  const Cid cid = raw_cid(data);
  auto liar = std::make_shared<MemoryBackend>("liar", MemoryBackend::Mode::kLiar);
  auto good = std::make_shared<MemoryBackend>("good", MemoryBackend::Mode::kHonest);
  liar->add(cid, data);
  good->add(cid, data);
  auto list = std::make_shared<FixedList>();
  list->list = {{"liar", liar}, {"good", good}};
  retrieval::BackendFallback fallback(list);
  auto got = fallback.fetch(cid);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, data);
  auto stats = fallback.stats_json();
  EXPECT_EQ(stats["liar"]["refused"], 1);
  EXPECT_EQ(stats["good"]["served"], 1);

  // The liar alone: Corruption, naming it.
  list->list = {{"liar", liar}};
  got = fallback.fetch(cid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kCorruption);
  EXPECT_NE(got.error().message().find("liar: sent bad data (refused)"), std::string::npos) << got.error().message();
}

TEST(Retrieval, NotFoundWhenNobodyHasItUnavailableWhenASourceCouldNotBeAskedAndACooldown) {
  const Bytes data = test::deterministic_bytes("fallback-missing", 100);
  const Cid cid = raw_cid(data);
  auto empty = std::make_shared<MemoryBackend>("empty", MemoryBackend::Mode::kHonest);
  auto down = std::make_shared<MemoryBackend>("down", MemoryBackend::Mode::kDown);
  auto list = std::make_shared<FixedList>();
  list->list = {{"empty", empty}};
  retrieval::BackendFallback fallback(list, {.cooldown = 60s});
  auto got = fallback.fetch(cid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kNotFound);
  EXPECT_NE(got.error().message().find("empty: not there"), std::string::npos);

  list->list = {{"down", down}, {"empty", empty}};
  got = fallback.fetch(cid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kUnavailable);  // the block may be on the one we could not ask
  EXPECT_EQ(down->requests(), 1);
  // A burst of reads does not hammer a source that just failed to answer.
  for (int i = 0; i < 20; ++i) (void)fallback.fetch(cid);
  EXPECT_EQ(down->requests(), 1);
  EXPECT_EQ(empty->requests(), 22);  // still asked every time

  // No sources at all.
  list->list = {};
  got = fallback.fetch(cid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kNotFound);
}

// A fallback that answers with fixed bytes (right or wrong), for the node.
class FixedFallback : public core::BlockFallback {
 public:
  explicit FixedFallback(Bytes data) : data_(std::move(data)) {}
  Result<Bytes> fetch(const Cid&) override {
    ++calls;
    return data_;
  }
  std::atomic<int> calls{0};

 private:
  Bytes data_;
};

TEST(Retrieval, TheNodeReadsThroughVerifiesAndCachesUnpinned) {
  test::TempDir dir;
  auto node = core::Node::open(dir.file("repo"), "", 2);
  ASSERT_TRUE(node);
  const Bytes data = test::deterministic_bytes("fallback-node", 20000);
  const Cid cid = raw_cid(data);
  ASSERT_FALSE((*node)->block_get(cid));

  // Wrong bytes: refused, never stored.
  Bytes wrong = data;
  wrong[10] ^= 1;
  (*node)->set_fallback(std::make_shared<FixedFallback>(wrong));
  auto got = (*node)->block_get(cid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kCorruption);
  (*node)->read_through().flush();
  EXPECT_EQ((*node)->read_through().stats().refused_blocks, 1u);
  EXPECT_FALSE(*(*node)->repo().blocks().has(cid));

  // The right bytes: served, then cached (unpinned); local_only still sees
  // only the repository.
  auto right = std::make_shared<FixedFallback>(data);
  (*node)->set_fallback(right);
  got = (*node)->block_get(cid);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, data);
  (*node)->read_through().flush();
  EXPECT_EQ((*node)->read_through().stats().cached_blocks, 1u);
  EXPECT_TRUE(*(*node)->repo().blocks().has(cid));
  EXPECT_TRUE((*node)->block_get(cid, /*local_only=*/true));
  EXPECT_FALSE(*(*node)->repo().pins().get(cid));
  // Once here, the fallback is not asked again.
  (void)(*node)->block_get(cid);
  EXPECT_EQ(right->calls, 1);

  // Without cache: served, not stored.
  const Bytes other = test::deterministic_bytes("fallback-node-2", 3000);
  const Cid other_cid = raw_cid(other);
  (*node)->set_fallback(std::make_shared<FixedFallback>(other), {.cache = false});
  ASSERT_TRUE((*node)->block_get(other_cid));
  (*node)->read_through().flush();
  EXPECT_FALSE(*(*node)->repo().blocks().has(other_cid));
  // Removed: NotFound again.
  (*node)->set_fallback(nullptr);
  got = (*node)->block_get(other_cid);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace ipfskit
