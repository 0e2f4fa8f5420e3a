// The replica index (states, proofs, the pass's set-based queries) and the
// allocator (IPFS Cluster's arithmetic, ranking, trimming).
#include <gtest/gtest.h>

#include <chrono>

#include "core/node.h"
#include "replication/allocator.h"
#include "replication/index.h"
#include "test_util.h"

namespace ipfskit::replication {
namespace {

std::unique_ptr<core::Node> open_node(const test::TempDir& dir) {
  auto n = core::Node::open(dir.file("repo"), "", 2);
  EXPECT_TRUE(n) << (n ? "" : n.error().message());
  EXPECT_TRUE(ReplicaIndex::create_schema((*n)->repo().db()));
  return std::move(*n);
}

Cid add_and_pin(core::Node& node, const std::string& seed, repo::ReplicationPolicy policy = {}) {
  Bytes data = test::deterministic_bytes(seed, 1000);
  auto cid = node.block_put(data, 0x55, 0x12, 1, false);
  EXPECT_TRUE(cid);
  repo::PinRequest p;
  p.cid = *cid;
  p.replication = std::move(policy);
  EXPECT_TRUE(node.pin_add({p}));
  return *cid;
}

std::map<std::string, State> states(ReplicaIndex& index, const Cid& cid) {
  std::map<std::string, State> out;
  auto rows = index.replicas_of(cid);
  EXPECT_TRUE(rows);
  for (const auto& r : *rows) out[r.backend] = r.state;
  return out;
}

TEST(ReplicaIndex, StatesMoveOnlyAlongTheirPathsAndPinnedNeedsAProof) {
  test::TempDir dir;
  auto node = open_node(dir);
  ReplicaIndex index(node->repo().db());
  ASSERT_TRUE(ReplicaIndex::create_schema(node->repo().db()));  // idempotent
  const Cid cid = add_and_pin(*node, "a");

  EXPECT_TRUE(*index.queue(cid, "s3", 100));
  EXPECT_FALSE(*index.queue(cid, "s3", 101));  // already queued: nothing changes
  EXPECT_TRUE(*index.start(cid, "s3", 102));
  auto unproven = index.pinned(cid, "s3", "", 103, 1, 1000, 103);
  ASSERT_FALSE(unproven);
  EXPECT_EQ(unproven.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(states(index, cid)["s3"], State::kPinning);
  EXPECT_TRUE(*index.pinned(cid, "s3", "read-back", 103, 1, 1000, 103));
  auto rows = *index.replicas_of(cid);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].verified_by, "read-back");
  EXPECT_EQ(rows[0].verified_at, 103);
  EXPECT_EQ(rows[0].bytes, 1000u);
  auto doc = to_json(rows[0]);
  EXPECT_EQ(doc["status"], "pinned");
  EXPECT_EQ(doc["verified_at"], "1970-01-01T00:01:43Z");
  EXPECT_TRUE(doc["error"].is_null());

  // A failure counts attempts and keeps the reason.
  ASSERT_TRUE(index.failed(cid, "s3", "read-back found 1 corrupt block", 200, 150));
  ASSERT_TRUE(index.failed(cid, "s3", "still corrupt", 300, 160));
  rows = *index.replicas_of(cid);
  EXPECT_EQ(rows[0].state, State::kPinError);
  EXPECT_EQ(rows[0].attempts, 2);
  EXPECT_EQ(rows[0].error, "still corrupt");
  EXPECT_EQ(rows[0].next_attempt, 300);
  // A copy that failed has no proof any more (a bad re-verification must not
  // leave the old read-back showing in route inspect).
  EXPECT_EQ(rows[0].verified_by, "");
  EXPECT_EQ(rows[0].verified_at, 0);

  // Removing the pin marks every copy for removal in the same transaction.
  ASSERT_TRUE(*index.queue(cid, "disk", 170));
  ASSERT_TRUE(index.adopt_local(cid, "read-back", 170, 1, 1000, 170));
  ASSERT_TRUE(node->pin_rm({cid}));
  auto s = states(index, cid);
  EXPECT_EQ(s["s3"], State::kUnpinning);
  EXPECT_EQ(s["disk"], State::kUnpinned);  // queued: nothing was sent
  EXPECT_EQ(s["ipfs"], State::kUnpinned);  // the local pin is the copy
  // A transfer that finishes after the pin went away does not resurrect it.
  EXPECT_FALSE(*index.pinned(cid, "s3", "read-back", 180, 1, 1000, 180));
  EXPECT_FALSE(*index.start(cid, "s3", 180));
  auto due = *index.due_removals(1000, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].backend, "s3");
  ASSERT_TRUE(index.unpinned(cid, "s3", 190));
  EXPECT_EQ(states(index, cid)["s3"], State::kUnpinned);
  EXPECT_TRUE(index.due_removals(1000, 10)->empty());
}

TEST(ReplicaIndex, AdoptRecordsAProvedCopyButNeverOverARemoval) {
  test::TempDir dir;
  auto node = open_node(dir);
  ReplicaIndex index(node->repo().db());
  const Cid cid = add_and_pin(*node, "adopt");
  EXPECT_FALSE(index.adopt(cid, "disk", "", 100, 1, 1000, 100));  // no proof, no copy
  EXPECT_TRUE(states(index, cid).empty());
  // A new row, and an existing one in another state, become pinned with the proof.
  ASSERT_TRUE(*index.adopt(cid, "disk", "read-back", 100, 1, 1000, 100));
  ASSERT_TRUE(*index.queue(cid, "s3", 100));
  ASSERT_TRUE(*index.adopt(cid, "s3", "read-back", 110, 1, 1000, 110));
  auto rows = *index.replicas_of(cid);
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.state, State::kPinned) << r.backend;
    EXPECT_EQ(r.verified_by, "read-back") << r.backend;
  }
  EXPECT_EQ((*index.totals())["disk"].replicas[State::kPinned], 1u);
  // A copy being removed stays being removed.
  ASSERT_TRUE(index.unpin(cid, "disk", 120));
  EXPECT_FALSE(*index.adopt(cid, "disk", "read-back", 130, 1, 1000, 130));
  EXPECT_EQ(states(index, cid)["disk"], State::kUnpinning);
}

TEST(ReplicaIndex, TotalsFollowEveryChange) {
  test::TempDir dir;
  auto node = open_node(dir);
  ReplicaIndex index(node->repo().db());
  const Cid a = add_and_pin(*node, "a"), b = add_and_pin(*node, "b");
  for (const Cid& c : {a, b}) {
    ASSERT_TRUE(*index.queue(c, "s3", 1));
    ASSERT_TRUE(*index.start(c, "s3", 1));
    ASSERT_TRUE(*index.pinned(c, "s3", "s3-checksum-sha256", 2, 1, 500, 2));
  }
  ASSERT_TRUE(*index.queue(a, "disk", 3));
  auto t = *index.totals();
  EXPECT_EQ(t["s3"].replicas[State::kPinned], 2u);
  EXPECT_EQ(t["s3"].pinned_bytes, 1000u);
  EXPECT_EQ(t["disk"].replicas[State::kQueued], 1u);
  ASSERT_TRUE(node->pin_rm({a}));
  t = *index.totals();
  EXPECT_EQ(t["s3"].replicas[State::kPinned], 1u);
  EXPECT_EQ(t["s3"].replicas[State::kUnpinning], 1u);
  EXPECT_EQ(t["s3"].pinned_bytes, 500u);
  EXPECT_EQ(t["disk"].replicas.count(State::kQueued), 0u);
}

TEST(ReplicaIndex, PassFindsOnlyPinsThatNeedWork) {
  test::TempDir dir;
  auto node = open_node(dir);
  ReplicaIndex index(node->repo().db());
  const Cid fresh = add_and_pin(*node, "fresh");
  const Cid done = add_and_pin(*node, "done");
  const Cid own = add_and_pin(*node, "own", {.min = 3, .max = 4, .allocations = {"disk", "s3"}});
  std::vector<BackendCounting> backends = {{"ipfs", true, true}, {"s3", true, true}, {"disk", true, true}};
  for (const Cid& c : {done, own}) {
    ASSERT_TRUE(index.adopt_local(c, "read-back", 1, 1, 1000, 1));
    ASSERT_TRUE(*index.queue(c, "s3", 1));
    ASSERT_TRUE(*index.start(c, "s3", 1));
    ASSERT_TRUE(*index.pinned(c, "s3", "read-back", 1, 1, 1000, 1));
  }
  auto work = *index.pins_needing_work(backends, 2, 3, 100, 1000);
  ASSERT_EQ(work.size(), 2u);  // fresh (no rows), own (2 < its min 3)
  std::map<std::string, Policy> by_cid;
  for (const auto& w : work) by_cid[w.cid.to_string()] = w.policy;
  ASSERT_TRUE(by_cid.count(fresh.to_string()));
  EXPECT_EQ(by_cid[fresh.to_string()].min, 2);
  EXPECT_EQ(by_cid[fresh.to_string()].max, 3);
  ASSERT_TRUE(by_cid.count(own.to_string()));
  EXPECT_EQ(by_cid[own.to_string()].min, 3);
  EXPECT_EQ(by_cid[own.to_string()].max, 4);
  EXPECT_EQ(by_cid[own.to_string()].allocations, (std::vector<std::string>{"disk", "s3"}));
  EXPECT_EQ(*index.count_under_replicated(backends, 2, 3), 2u);

  // A backend that no longer counts (down past the grace) puts its pins back to work.
  backends[1].counting = false;
  work = *index.pins_needing_work(backends, 2, 3, 100, 1000);
  EXPECT_EQ(work.size(), 3u);
  backends[1].counting = true;
  // Above the maximum is work too.
  auto one = *index.pins_needing_work(backends, 1, 1, 100, 1000);
  EXPECT_EQ(one.size(), 3u);  // fresh, done (2 > 1), own (still 2 < its own min 3)
  // A failed copy is work once it is due, not before.
  ASSERT_TRUE(index.adopt_local(fresh, "read-back", 1, 1, 1000, 1));
  ASSERT_TRUE(*index.queue(fresh, "s3", 1));
  ASSERT_TRUE(*index.start(fresh, "s3", 1));
  ASSERT_TRUE(*index.pinned(fresh, "s3", "read-back", 1, 1, 1000, 1));
  ASSERT_TRUE(index.failed(done, "s3", "went bad", 500, 100));
  ASSERT_TRUE(index.adopt_local(done, "read-back", 1, 1, 1000, 1));
  // (own stays below its own minimum of 3 throughout.)
  work = *index.pins_needing_work(backends, 1, 3, 100, 1000);
  EXPECT_EQ(work.size(), 1u);
  work = *index.pins_needing_work(backends, 1, 3, 600, 1000);
  EXPECT_EQ(work.size(), 2u);
}

TEST(ReplicaIndex, PolicyIsStoredWithThePinAndValidated) {
  test::TempDir dir;
  auto node = open_node(dir);
  ReplicaIndex index(node->repo().db());
  const Cid c = add_and_pin(*node, "p", {.min = 2, .max = std::nullopt, .allocations = {"s3"}});
  auto p = *index.policy_of(c, 1, 5);
  EXPECT_EQ(p.min, 2);
  EXPECT_EQ(p.max, 5);
  EXPECT_EQ(p.allocations, std::vector<std::string>{"s3"});
  // Re-adding with only a max keeps the min and the allocations.
  repo::PinRequest again;
  again.cid = c;
  again.replication.max = 3;
  ASSERT_TRUE(node->pin_add({again}));
  p = *index.policy_of(c, 1, 5);
  EXPECT_EQ(p.min, 2);
  EXPECT_EQ(p.max, 3);
  auto info = *node->repo().pins().get(c);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->replication.max, 3);
  // Bad policies are refused with a reason.
  repo::PinRequest bad;
  bad.cid = c;
  bad.replication.min = 4;
  bad.replication.max = 2;
  auto st = repo::validate_pin(bad);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("may not exceed"), std::string::npos);
  bad.replication = {.min = 0};
  EXPECT_FALSE(repo::validate_pin(bad));
  bad.replication = {.allocations = {"../etc"}};
  EXPECT_FALSE(repo::validate_pin(bad));
  EXPECT_EQ(index.policy_of(Cid::v1(0x55, *Multihash::compute(0x12, {ByteView()})), 1, 1).error().code(), Code::kNotFound);
}

TEST(ReplicaIndex, ReaderOfAnIndexWithoutTablesSeesNothing) {
  test::TempDir dir;
  auto node = core::Node::open(dir.file("repo"), "", 1);
  ASSERT_TRUE(node);
  ReplicaIndex index((*node)->repo().db());
  EXPECT_FALSE(*has_replica_tables((*node)->repo().db()));
  auto rows = index.replicas_of(Cid::v1(0x55, *Multihash::compute(0x12, {ByteView()})));
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
  EXPECT_TRUE(index.totals()->empty());
}

TEST(ReplicaIndex, GeneratedRowsGoThroughTheSameSchema) {
  test::TempDir dir;
  auto node = open_node(dir);
  ReplicaIndex index(node->repo().db());
  ASSERT_TRUE(index.generate(2000, {"ipfs", "s3", "disk"}, 7, 1000));
  EXPECT_EQ(*node->repo().pins().count(), 2000u);
  auto t = *index.totals();
  EXPECT_EQ(t["s3"].replicas[State::kPinned], 2000u);
  std::vector<BackendCounting> backends = {{"ipfs", true, true}, {"s3", true, true}, {"disk", true, true}};
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(index.pins_needing_work(backends, 2, 3, 2000, 100000)->empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(*index.count_under_replicated(backends, 2, 3), 0u);
  EXPECT_EQ(index.pins_needing_work(backends, 4, 4, 2000, 100000)->size(), 2000u);
}

// ---- the allocator ----

BackendCandidate backend(std::string name, std::string domain = "", std::vector<std::string> tags = {}) {
  BackendCandidate b;
  b.name = std::move(name);
  b.replica = b.provable = b.usable = b.counting = true;
  b.health = "healthy";
  b.failure_domain = std::move(domain);
  b.tags = std::move(tags);
  return b;
}

Replica row(const std::string& backend, State state, int attempts = 0, int64_t next_attempt = 0) {
  Replica r;
  r.backend = backend;
  r.state = state;
  r.attempts = attempts;
  r.next_attempt = next_attempt;
  if (state == State::kPinned) r.verified_by = "read-back";
  return r;
}

TEST(Allocator, BelowMinFillsTowardMaxPreferringNewFailureDomains) {
  AllocationRequest req;
  req.policy = {2, 3, {}};
  req.backends = {backend("ipfs", "rack1"), backend("a", "rack1"), backend("b", "rack2"), backend("c", "rack3")};
  req.replicas = {row("ipfs", State::kPinned)};
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.verified, 1);
  EXPECT_EQ(p.needed, 1);
  EXPECT_EQ(p.wanted, 2);
  EXPECT_EQ(p.available, 3);
  ASSERT_EQ(p.add.size(), 2u);
  // a shares rack1 with the local copy: b and c go first.
  EXPECT_EQ(p.add, (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(p.error.empty());
  EXPECT_TRUE(p.drop.empty());
}

TEST(Allocator, BetweenMinAndMaxNothingMoves) {
  AllocationRequest req;
  req.policy = {2, 3, {}};
  req.backends = {backend("ipfs"), backend("a"), backend("b"), backend("c")};
  req.replicas = {row("ipfs", State::kPinned), row("a", State::kPinned)};
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.needed, 0);
  EXPECT_FALSE(p.changes());
}

TEST(Allocator, ExplicitAllocationsComeFirstAndUnknownOnesAreReported) {
  AllocationRequest req;
  req.policy = {2, 2, {"c", "nope"}};
  req.backends = {backend("ipfs"), backend("a", "x"), backend("b", "y"), backend("c", "x")};
  req.replicas = {row("ipfs", State::kPinned)};
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.add, std::vector<std::string>{"c"});
  EXPECT_NE(p.reasons["c"].get<std::string>().find("allocations"), std::string::npos);
  EXPECT_NE(p.reasons["nope"].get<std::string>().find("no such backend"), std::string::npos);
}

TEST(Allocator, NotEnoughBackendsNamesNeededWantedAvailable) {
  AllocationRequest req;
  req.policy = {3, 4, {}};
  auto down = backend("down");
  down.usable = down.counting = false;
  down.health = "unhealthy";
  auto service = backend("svc");
  service.provable = false;
  auto gw = backend("gw");
  gw.replica = false;
  req.backends = {backend("ipfs"), backend("a"), down, service, gw};
  req.replicas = {row("ipfs", State::kPinned)};
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.add, std::vector<std::string>{"a"});  // what can be made is made
  EXPECT_NE(p.error.find("needed 2 more, wanted at most 3, available 1"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("down: unhealthy"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("svc: cannot prove"), std::string::npos) << p.error;
  // Read-only sources (gateways) are not replica stores: not worth naming.
  EXPECT_EQ(p.error.find("gw"), std::string::npos) << p.error;
  EXPECT_EQ(p.reasons["gw"], "not a replica store (a read source only)");
}

TEST(Allocator, AboveMaxDropsButNeverTheLocalCopyNorBelowMin) {
  AllocationRequest req;
  req.policy = {2, 3, {}};
  req.backends = {backend("ipfs", "r1"), backend("a", "r1"), backend("b", "r2"), backend("c", "r3"), backend("d", "r2")};
  req.replicas = {row("ipfs", State::kPinned), row("a", State::kPinned), row("b", State::kPinned),
                  row("c", State::kPinned), row("d", State::kPinning)};
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.current, 5);
  ASSERT_EQ(p.drop.size(), 2u);
  EXPECT_EQ(p.drop[0], "d");  // the unfinished copy first
  EXPECT_EQ(p.drop[1], "a");  // then the verified copy sharing the local copy's domain
  // max 1 with min 2 (a pin whose own min raised it): never below min verified.
  req.policy = {2, 1, {}};
  req.replicas = {row("ipfs", State::kPinned), row("a", State::kPinned), row("b", State::kPinned)};
  p = plan_allocation(req);
  EXPECT_EQ(p.drop.size(), 1u);
  for (const auto& d : p.drop) EXPECT_NE(d, "ipfs");
}

TEST(Allocator, DownBackendWithinGraceStillCountsAndPastItIsReplaced) {
  AllocationRequest req;
  req.policy = {2, 3, {}};
  auto a = backend("a");
  a.usable = false;  // down, but within the grace: its copy counts
  a.health = "unhealthy";
  req.backends = {backend("ipfs"), a, backend("b")};
  req.replicas = {row("ipfs", State::kPinned), row("a", State::kPinned)};
  EXPECT_FALSE(plan_allocation(req).changes());
  req.backends[1].counting = false;  // past the grace
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.verified, 1);
  EXPECT_EQ(p.add, std::vector<std::string>{"b"});
  // It comes back: 3 verified copies, max 3: nothing to trim yet; max 2: one goes, not the local one.
  req.backends[1].counting = req.backends[1].usable = true;
  req.replicas.push_back(row("b", State::kPinned));
  EXPECT_FALSE(plan_allocation(req).changes());
  req.policy.max = 2;
  p = plan_allocation(req);
  ASSERT_EQ(p.drop.size(), 1u);
  EXPECT_NE(p.drop[0], "ipfs");
}

TEST(Allocator, FailedCopiesAreRetriedThenPlacedElsewhere) {
  AllocationRequest req;
  req.policy = {2, 2, {}};
  req.now = 100;
  req.backends = {backend("ipfs"), backend("a"), backend("b")};
  req.replicas = {row("ipfs", State::kPinned), row("a", State::kPinError, 1, 50)};
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.retry, std::vector<std::string>{"a"});
  EXPECT_TRUE(p.add.empty());  // the failed copy is still the allocation
  req.replicas[1].next_attempt = 200;
  p = plan_allocation(req);
  EXPECT_FALSE(p.changes());  // not due yet
  req.replicas[1].attempts = kAttemptsBeforeReallocation;
  p = plan_allocation(req);
  EXPECT_EQ(p.add, std::vector<std::string>{"b"});  // placed elsewhere
}

TEST(Allocator, FreeSpaceMustFitAndMoreFreeSpaceWins) {
  AllocationRequest req;
  req.policy = {2, 2, {}};
  req.size = 1000;
  auto small = backend("small");
  small.bytes_free = 10;
  auto big = backend("big");
  big.bytes_free = 1 << 20;
  auto bigger = backend("bigger");
  bigger.bytes_free = 1 << 30;
  req.backends = {backend("ipfs"), small, big, bigger};
  req.replicas = {row("ipfs", State::kPinned)};
  AllocationPlan p = plan_allocation(req);
  EXPECT_EQ(p.add, std::vector<std::string>{"bigger"});
  EXPECT_NE(p.reasons["small"].get<std::string>().find("free space"), std::string::npos);
}

}  // namespace
}  // namespace ipfskit::replication
