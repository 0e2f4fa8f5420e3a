// Where a pin's copies go: IPFS Cluster's allocation arithmetic over our
// backends, as a pure function (no I/O), so that the reconciler, `route
// suggest` and `route optimize` decide alike and tests can drive it.
//
// For one pin with policy min..max:
//   verified = its pinned copies on backends that count (healthy, or down for
//              less than replication.repair_grace);
//   current  = verified + copies queued or being pinned on usable backends +
//              failed copies still being retried (fewer than
//              kAttemptsBeforeReallocation attempts);
//   needed   = min - verified;   wanted = max - current.
// As in Cluster: needed <= 0 keeps the copies as they are (the leeway between
// min and max lets a backend be down without moving anything); needed > 0
// allocates new copies up to `wanted` among the usable candidates, and too
// few candidates is an error naming needed, wanted and available (the
// copies that can be made are still made); current > max drops the copies
// ranked last, never the local one and never below min verified copies.
//
// Candidates are the backends that can hold a replica (capabilities().replica),
// can prove a copy (a read-back or the store's checksum: a service that can
// only say "pinned" never counts) and are usable now (enabled, configured,
// healthy or degraded). They are ranked: the pin's explicit allocations
// first, in their order; then backends in a failure domain (and with tags)
// the pin's copies do not cover yet; then the most free space; then the
// lowest probe latency.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replication/index.h"

namespace ipfskit::replication {

// After this many failed attempts a copy stops counting as current, so the
// allocator places one elsewhere while its retries go on.
inline constexpr int kAttemptsBeforeReallocation = 3;

struct BackendCandidate {
  std::string name;
  bool replica = false;     // its copies are replicas (not a read-only gateway)
  bool provable = false;    // it can prove a copy's bytes
  bool pins_in_background = false;  // a service that goes on pinning after the call (Capabilities)
  bool usable = false;      // enabled, configured and up now
  bool counting = false;    // its pinned copies count (up, or down within the grace)
  std::string health;       // "healthy", "degraded", "unhealthy", ... (for reasons)
  std::string failure_domain;  // "" counts as its own domain
  std::vector<std::string> tags;
  std::optional<uint64_t> bytes_free;
  double latency_ms = 0;
};

struct AllocationRequest {
  Policy policy;
  std::vector<Replica> replicas;            // every row of the pin
  std::vector<BackendCandidate> backends;   // every configured backend
  int64_t now = 0;
  uint64_t size = 0;  // bytes of the DAG, when known (free space must fit it)
};

struct AllocationPlan {
  int verified = 0, current = 0, needed = 0, wanted = 0, available = 0;
  std::vector<std::string> add;    // new copies, best first
  std::vector<std::string> retry;  // failed copies due for another attempt
  std::vector<std::string> drop;   // copies to remove (above max)
  std::string error;               // not enough backends ("" when none)
  // Why each backend was chosen or passed over: {"backend": "reason"}.
  nlohmann::json reasons = nlohmann::json::object();
  bool changes() const { return !add.empty() || !retry.empty() || !drop.empty(); }
};
nlohmann::json to_json(const AllocationPlan& p);

AllocationPlan plan_allocation(const AllocationRequest& request);

}  // namespace ipfskit::replication
