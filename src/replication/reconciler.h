// The reconciler: one pass brings every pin toward its replication policy.
//
// A pass, in order:
//   1. copies of pins that were removed are marked unpinning (set-based), and
//      every due removal is sent to its backend (unpinning -> unpinned);
//   2. the pins that need work are found in ONE query over the index (see
//      ReplicaIndex::pins_needing_work: a pass over pins that all meet their
//      policy costs one grouped scan and nothing else);
//   3. for each of them, `concurrency` at a time: the local copy is verified
//      and recorded (backend ipfs); the allocator (allocator.h) decides which
//      copies to add, retry or drop; each new copy is pushed through the
//      daemon's Registry and recorded as pinned ONLY with the push's proof
//      (PinReceipt::verified_by), else pin_error with the reason;
//   4. a sample of the copies verified longest ago is read back again
//      (replication.verify_sample every replication.verify_interval), the
//      local ones included: a copy whose bytes went bad becomes pin_error,
//      and the next pass re-pushes it from the local repository; a local
//      copy that lost blocks is fetched back from another verified replica
//      first (heal_local).
// A copy a service pins in the background (pinning_service, ipfs_cluster)
// is submitted once; later passes ask its status (follow_copy) until it is
// pinned and read back, or failed.
// A backend down for longer than replication.repair_grace stops counting
// (with replication.auto_replication on), so its pins get copies elsewhere;
// when it returns, its copies count again and the extra ones above the
// maximum are trimmed (never below the minimum, never the local copy).
//
// Thread safety: pass() runs one at a time (a second caller waits for the
// running one and then runs its own); status() may be called at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/registry.h"
#include "base/cancel.h"
#include "core/node.h"
#include "metrics/metrics.h"
#include "replication/allocator.h"
#include "replication/index.h"

namespace ipfskit::replication {

struct Settings {
  bool enabled = true;
  bool auto_replication = true;
  int min = 2, max = 5;
  int repair_grace_seconds = 600;
  int verify_interval_seconds = 3600;
  int verify_sample = 20;
  size_t concurrency = 4;
  size_t max_pins_per_pass = 100000;
};

struct PassReport {
  int64_t started = 0;  // unix seconds
  double seconds = 0;
  uint64_t checked = 0;           // pins that needed work
  uint64_t copied = 0;            // copies pushed and verified
  uint64_t healed = 0;            // local copies repaired from another verified replica
  uint64_t pending = 0;           // copies a service is still working on
  uint64_t failed = 0;            // copy attempts that failed
  uint64_t removed = 0;           // copies removed from backends
  uint64_t reverified = 0;        // sampled copies read back fine
  uint64_t corrupt = 0;           // sampled copies found bad
  uint64_t under_replicated = 0;  // pins below their minimum after the pass
  bool cancelled = false;
  std::vector<std::string> errors;  // the first few, "CID on BACKEND: reason"
};
nlohmann::json to_json(const PassReport& r);

class Reconciler {
 public:
  Reconciler(core::Node& node, backends::Registry& registry);

  // One pass (see above). `progress(done, total)` is called as pins are
  // finished. Errors only when the index itself fails; a backend's failure
  // is recorded on the copy and counted in the report.
  Result<PassReport> pass(const Settings& s, const std::function<void(uint64_t, uint64_t)>& progress,
                          const CancelToken* cancel);

  // GET /replication/status: policy defaults, per-backend replica counts by
  // state, pins, under-replicated pins, allocation issues, the last pass.
  Result<nlohmann::json> status(const Settings& s);
  // One pin: its policy, its copies and why it lacks any.
  Result<nlohmann::json> status_of(const Settings& s, const Cid& cid);

  // Where a new pin of `size` bytes would go under the default policy, and why.
  Result<nlohmann::json> suggest(const Settings& s, uint64_t size);
  // The plans that would move `cids` (or every pin needing work, at most
  // 1000) toward their policy; with `apply`, carried out as a pass would.
  Result<nlohmann::json> optimize(const Settings& s, const std::vector<Cid>& cids, bool apply, const CancelToken* cancel);

  // ipfskit_replicas{backend,state}, ipfskit_pins_under_replicated,
  // ipfskit_replication_pass_duration_seconds, ipfskit_replication_passes_total.
  void write_metrics(metrics::Writer& w, const Settings& s);

 private:
  struct Backends;
  // with_usage: ask each usable backend its free space (a request each).
  Backends snapshot(const Settings& s, int64_t now, bool with_usage);
  void work_on(const Settings& s, const Backends& b, const PinToCheck& pin, PassReport& report, std::mutex& report_mu,
               const CancelToken* cancel);
  // Each returns false when the copy failed (recorded as pin_error, with the reason).
  bool push_copy(const Cid& cid, const std::string& backend, int attempts, PassReport& report, std::mutex& report_mu,
                 const CancelToken* cancel);
  // A copy a service is already working on (Capabilities::pins_in_background,
  // row `pinning`): its status asked once, read back when pinned, submitted
  // again only when the service lost or failed it.
  bool follow_copy(const Cid& cid, const std::string& backend, int attempts, PassReport& report, std::mutex& report_mu,
                   const CancelToken* cancel);
  bool copy_failed(const Cid& cid, const std::string& backend, int attempts, const std::string& why, PassReport& report,
                   std::mutex& report_mu);
  // The local copy lacks blocks or holds bad ones: fetched again from the
  // pin's verified copies on usable backends that serve blocks (nearest
  // first; every block re-hashed, retrieval::restore_pin). True when one of
  // them made it whole.
  bool heal_local(const Backends& b, const Cid& cid, const std::vector<Replica>& rows, PassReport& report,
                  std::mutex& report_mu, const CancelToken* cancel);
  // Pins below their minimum, counted at most every few seconds.
  Result<uint64_t> under_replicated(const Settings& s, const Backends& b);
  // Reads the DAG under `cid` back from `backend`, re-hashing every block.
  Result<backends::VerifyReport> verify_on(const std::string& backend, const Cid& cid, const CancelToken* cancel);
  void sample_verify(const Settings& s, const Backends& b, PassReport& report, std::mutex& report_mu,
                     const CancelToken* cancel);

  // The index's tables, created once per Reconciler (the daemon creates them
  // at start; this covers a repository whose tables went missing before).
  Status ensure_schema();

  core::Node& node_;
  backends::Registry& registry_;
  std::atomic<bool> schema_ready_{false};
  ReplicaIndex index_;
  std::mutex pass_mu_;
  std::mutex last_mu_;
  std::optional<PassReport> last_;
  std::optional<uint64_t> under_cached_;  // under last_mu_
  std::chrono::steady_clock::time_point under_at_{};
  std::atomic<uint64_t> passes_{0};
  int64_t last_sample_ = 0;
  bool swept_ = false;  // release_removed_pins ran (under pass_mu_)
};

}  // namespace ipfskit::replication
