// `backend restore NAME`: a fresh or damaged repository gets back every pin
// a backend holds (name, metadata, content), byte for byte, from that
// backend alone (no replica index needed: Backend::list_pins() is the
// backend's own record of what it holds).
//
// For each pin the backend lists as "pinned" (others are reported
// "skipped"), the DAG is walked from its root: a block the repository has
// intact is used as it is; one it lacks, or holds corrupt, is fetched from
// the backend (Backend::get_block re-hashes it: a wrong block is refused,
// never stored) and written. Then the pin is recorded with the backend's
// name and metadata (merged into an existing local pin's), in the same
// transaction that commits the pin's last blocks.
//
// Batch semantics: each pin has its own outcome; one that fails (the backend
// lacks a block, sends bad bytes, cannot be reached) does not stop the
// others. Only a failure of the repository itself (I/O, disk full) or of
// listing the backend's pins ends the restore early, as an error.
//
// Resumable and crash-safe: fetched blocks are committed every
// kCommitBytes (durably, WriteBatch::commit) while the pin's shared GC lock
// keeps them from being collected before the pin is recorded; a re-run
// finds them and fetches only the rest. A pin already here with its name,
// metadata and every block intact is reported "complete" and no block or
// pin is written.
//
// restore() records the backend's copies in the replica index (not in a
// dry run, and only for a backend whose copies count and can be proved;
// restore_pin() records nothing: its caller, the pass, keeps the index):
// as pinned, verified_by "read-back", when every block of the pin was just
// fetched from it (each re-hashed); otherwise after reading the pin back
// from it (Backend::verify), unless the index already has a proved copy
// there. So a restored repository's daemon counts the copies it restored
// from instead of pushing them again. A copy that cannot be proved or
// recorded is left out (logged), and the pin's outcome does not change.
//
// Thread safety: one restore per call; callbacks are serialized (on_pin on
// the calling thread, on_progress on any thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "base/cancel.h"
#include "core/node.h"

namespace ipfskit::retrieval {

// One pin's outcome. status: "restored" (blocks fetched or the pin
// recorded), "complete" (already here, nothing to do), "would_restore"
// (dry run: something is missing here), "skipped" (the backend does not hold
// it as pinned), "failed".
struct PinOutcome {
  Cid cid;
  std::string name;
  std::map<std::string, std::string> meta;
  std::string status;
  uint64_t blocks = 0;           // blocks of the DAG seen
  uint64_t blocks_fetched = 0;   // from the backend
  uint64_t bytes_fetched = 0;
  uint64_t blocks_repaired = 0;  // fetched to replace a corrupt local copy
  uint64_t missing = 0;          // blocks neither here nor on the backend (dry run: not here)
  uint64_t corrupt = 0;          // blocks the backend sent wrong
  // The backend's copy was recorded in the replica index as pinned
  // (read-back): the daemon's passes count it instead of pushing it again.
  bool replica_recorded = false;
  std::optional<Error> error;
};
nlohmann::json to_json(const PinOutcome& p);

struct RestoreProgress {
  size_t pins_done = 0, pins_total = 0;
  uint64_t blocks_checked = 0;  // read here or fetched
  uint64_t blocks_fetched = 0, bytes_fetched = 0;
};
nlohmann::json to_json(const RestoreProgress& p);

struct RestoreSummary {
  std::string backend;
  bool dry_run = false;
  size_t pins = 0, restored = 0, complete = 0, would_restore = 0, skipped = 0, failed = 0;
  uint64_t blocks_fetched = 0, bytes_fetched = 0, blocks_repaired = 0;
  size_t replicas_recorded = 0;  // pins whose copy on the backend was recorded (PinOutcome::replica_recorded)
  double seconds = 0;
};
nlohmann::json to_json(const RestoreSummary& s);

struct RestoreOptions {
  bool dry_run = false;       // report what would be restored; fetch and write nothing
  size_t concurrency = 8;     // blocks fetched at once
  const CancelToken* cancel = nullptr;  // checked between blocks; what was committed stays
  std::function<void(const PinOutcome&)> on_pin;
  std::function<void(const RestoreProgress&)> on_progress;  // a few times a second at most, and after each pin
};

inline constexpr uint64_t kCommitBytes = 64ULL << 20;

// Restores into `node` every pin `backend` holds. Unsupported when the
// backend cannot list pins or serve blocks (Capabilities::restorable).
Result<RestoreSummary> restore(backends::Backend& backend, core::Node& node, const RestoreOptions& options);

// One pin from one backend, by the same walk, verification and commit as
// restore() (on_pin and on_progress are not called): the replication pass's
// repair of a local copy that went missing or bad, from another verified
// replica. `pin.status` must be "pinned"; its name and metadata are what the
// local pin is recorded with (pass the local pin's own to keep them). The
// outcome says "restored", "complete" or "failed" (with the reason); an
// error only when the repository itself failed or `cancel` fired.
Result<PinOutcome> restore_pin(backends::Backend& backend, core::Node& node, const backends::RemotePin& pin,
                               const RestoreOptions& options);

}  // namespace ipfskit::retrieval
