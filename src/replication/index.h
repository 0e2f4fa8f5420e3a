// The replica index: which backend holds which copy of which pin, in what
// state, and how that copy was proved. It lives in the repository's SQLite
// index (index.sqlite), beside the pins it describes, so that anyone who can
// read the repository can answer "where are my copies?" without a daemon
// (`route inspect`, `route stats`), and so that a daemon killed in the middle
// of a transfer finds, on its next start, exactly what it was doing.
//
// Each (pin CID, backend) pair has one row with a state in IPFS Cluster's
// vocabulary:
//
//   queued     allocated to the backend; nothing sent yet
//   pinning    a transfer is under way (or a pinning service is still working
//              on it); resumed after a restart
//   pinned     the copy is there AND was verified: its blocks were read back
//              and re-hashed, or the backend's protocol proved the bytes
//              (verified_by says which, verified_at when). Nothing reaches
//              this state without a proof.
//   pin_error  the last attempt failed (error, attempts); retried after a
//              backoff (next_attempt)
//   unpinning  to be removed from the backend (the pin was removed, or the
//              copy is above the pin's maximum)
//   unpinned   removed from the backend
//
// Writes: every change is one SQLite transaction, and state changes are
// conditional on the state they leave (a transfer finishing after its pin
// was removed does not resurrect it as pinned). Readers see committed rows.
//
// Thread safety: an index is a thin object over a Database connection,
// which serializes its users; several ReplicaIndex objects may share one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "multiformats/cid.h"
#include "repo/sqlite.h"

namespace ipfskit::replication {

enum class State { kQueued = 0, kPinning, kPinned, kPinError, kUnpinning, kUnpinned };
inline constexpr State kAllStates[] = {State::kQueued,   State::kPinning,   State::kPinned,
                                       State::kPinError, State::kUnpinning, State::kUnpinned};

// "queued", "pinning", "pinned", "pin_error", "unpinning", "unpinned".
std::string_view state_name(State s);
std::optional<State> state_from_name(std::string_view name);

// The embedded node's backend name: its copy of a pin is the local recursive pin.
inline constexpr const char* kLocalBackend = "ipfs";

struct Replica {
  Cid cid;
  std::string backend;
  State state = State::kQueued;
  int attempts = 0;            // failed attempts since the last success
  std::string error;           // the last failure ("" when none)
  std::string verified_by;     // backends::kReadBack, kS3Checksum; "" until verified
  int64_t verified_at = 0;     // unix seconds; 0 until verified
  uint64_t blocks = 0;         // blocks and bytes of the DAG the copy holds
  uint64_t bytes = 0;
  int64_t updated = 0;         // unix seconds of the last change
  int64_t next_attempt = 0;    // pin_error, unpinning: not retried before this
};
// `route inspect`'s replica document: {"backend", "status", "verified_at",
// "verified_by", "error"} (times as RFC 3339 UTC, "" fields as null).
nlohmann::json to_json(const Replica& r);

// The effective policy of a pin: its own replication-min/-max/allocations,
// else the configuration's.
struct Policy {
  int min = 1;
  int max = 1;
  std::vector<std::string> allocations;
};

// Per backend: how many replicas in each state and the bytes of its pinned ones.
struct BackendTotals {
  std::map<State, uint64_t> replicas;
  uint64_t pinned_bytes = 0;
};

// What a pass needs to know of a backend to count its copies.
struct BackendCounting {
  std::string name;
  bool counting = false;  // its pinned copies count toward the minimum
  bool usable = false;    // it can take new copies and transfers now
};

// A pin the pass has to look at, with its policy.
struct PinToCheck {
  Cid cid;
  Policy policy;
};

class ReplicaIndex {
 public:
  // Creates the tables when missing (CREATE ... IF NOT EXISTS).
  static Status create_schema(sql::Database& db);
  // Over `db` (which must outlive it). A reader on a repository whose index
  // has no replica tables yet sees no replicas.
  explicit ReplicaIndex(sql::Database& db) : db_(db) {}

  // ---- reading (no daemon needed) ----
  // Every replica of `cid` (any state), by backend name.
  Result<std::vector<Replica>> replicas_of(const Cid& cid);
  // Replica counts by backend and state, and pinned bytes.
  Result<std::map<std::string, BackendTotals>> totals();
  // The reason a pin could not be allocated in the last pass ("" when none).
  Result<std::string> allocation_issue(const Cid& cid);
  // Every recorded allocation issue (cid, reason), at most `limit`.
  Result<std::vector<std::pair<Cid, std::string>>> allocation_issues(size_t limit);
  // The effective policy of the pin `cid`; NotFound when it is not pinned.
  Result<Policy> policy_of(const Cid& cid, int default_min, int default_max);

  // ---- state changes (one transaction each) ----
  // Allocates: a new row as queued, or an existing row (unpinned, pin_error,
  // unpinning) back to queued. Returns false when the row was already
  // queued, pinning or pinned (nothing changed).
  Result<bool> queue(const Cid& cid, const std::string& backend, int64_t now);
  // queued|pin_error|pinning -> pinning. False when the row is in another
  // state (the pin was removed meanwhile).
  Result<bool> start(const Cid& cid, const std::string& backend, int64_t now);
  // pinning|pinned|pin_error -> pinned with its proof. InvalidArgument when
  // `verified_by` is empty: nothing is pinned unproven. False when the row
  // is in another state (unpinning: the pin went away meanwhile).
  Result<bool> pinned(const Cid& cid, const std::string& backend, const std::string& verified_by, int64_t verified_at,
                      uint64_t blocks, uint64_t bytes, int64_t now);
  // The local copy (backend ipfs), verified: inserted or updated as pinned.
  Status adopt_local(const Cid& cid, const std::string& verified_by, int64_t verified_at, uint64_t blocks,
                     uint64_t bytes, int64_t now);
  // A copy found already on `backend` and proved there (read back and
  // re-hashed: `backend restore` does it), recorded so that the passes
  // count it instead of pushing the pin again: inserted as pinned, or an
  // existing row made pinned with this proof. InvalidArgument without a
  // proof; false (nothing changed) when the row is unpinning (the pin is
  // being removed from that backend).
  Result<bool> adopt(const Cid& cid, const std::string& backend, const std::string& verified_by, int64_t verified_at,
                     uint64_t blocks, uint64_t bytes, int64_t now);
  // queued|pinning|pinned|pin_error -> pin_error, attempts + 1, retried at
  // `next_attempt`; the copy's proof (verified_by, verified_at) is cleared:
  // it no longer holds (unpinning rows keep their state and record the error).
  Status failed(const Cid& cid, const std::string& backend, const std::string& error, int64_t next_attempt, int64_t now);
  // The copy was read back again and is fine: verified_at moves.
  Status reverified(const Cid& cid, const std::string& backend, const std::string& verified_by, int64_t at);
  // Marks copies for removal: queued rows become unpinned at once (nothing
  // was sent), others unpinning. Rows of the local backend become unpinned.
  Status unpin(const Cid& cid, const std::string& backend, int64_t now);
  // unpinning -> unpinned.
  Status unpinned(const Cid& cid, const std::string& backend, int64_t now);
  // Records (or clears, with "") why a pin could not get its copies.
  Status set_allocation_issue(const Cid& cid, const std::string& issue, int64_t now);

  // ---- the reconciler's set-based queries ----
  // Copies of pins that no longer exist go: pinning, pinned and pin_error
  // rows become unpinning, queued and local rows unpinned. One statement.
  // Returns how many rows changed.
  Result<uint64_t> release_removed_pins(int64_t now);
  // The recursive pins that need work, in one query over the index: fewer
  // verified copies than their minimum (counting only `backends` marked
  // counting), more current copies than their maximum, copies queued or
  // being pinned, failed copies due for a retry (before `now`), or no row
  // for the local copy yet. A pass over pins that all meet their policy
  // returns nothing, quickly (see bench/replication.sh).
  Result<std::vector<PinToCheck>> pins_needing_work(const std::vector<BackendCounting>& backends, int default_min,
                                                    int default_max, int64_t now, size_t limit);
  // Rows to remove from their backends (unpinning, due), at most `limit`.
  Result<std::vector<Replica>> due_removals(int64_t now, size_t limit);
  // The pinned copies verified longest ago, at most `limit` (the sampled
  // re-verification takes these).
  Result<std::vector<Replica>> least_recently_verified(size_t limit);
  // Pins (recursive) with fewer verified copies than their minimum, counting
  // as pins_needing_work does.
  Result<uint64_t> count_under_replicated(const std::vector<BackendCounting>& backends, int default_min, int default_max);

  // ---- bulk (benchmarks and tests) ----
  // Inserts `pins` pins (recursive, unnamed) with `per_pin` pinned replicas
  // each on the given backends, through the same tables; CIDs are derived
  // from `seed`. One transaction per 50,000 pins.
  Status generate(uint64_t pins, const std::vector<std::string>& backends, uint64_t seed, int64_t now);

 private:
  sql::Database& db_;
};

// True when the index has the replica tables (a repository never served by
// a daemon of this version has none).
Result<bool> has_replica_tables(sql::Database& db);

}  // namespace ipfskit::replication
