// The pin index: which DAGs are kept, under what name, with what metadata.
//
// Pins live in the repository's SQLite index, in the same database as the
// block index, so an add's blocks and its pin commit in one transaction.
// Recursive pins keep a whole DAG, direct pins one block; "indirect" pins are
// derived (blocks under a recursive pin) and never stored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "multiformats/cid.h"
#include "repo/sqlite.h"

namespace ipfskit::repo {

enum class PinType { kRecursive, kDirect };
const char* pin_type_name(PinType t);

// How many copies of a pin to keep across backends, and where first (IPFS
// Cluster's replication-min, replication-max and allocations). Unset fields
// fall back to the configuration (replication.min_replicas/max_replicas);
// see replication/ for what the daemon does with them.
struct ReplicationPolicy {
  std::optional<int> min;
  std::optional<int> max;
  std::vector<std::string> allocations;  // backend names, preferred in this order
  bool empty() const { return !min && !max && allocations.empty(); }
};
// The allocations as the pin_replication table stores them: names joined
// with commas (backend names cannot contain one), and back.
std::string join_allocations(const std::vector<std::string>& allocations);
std::vector<std::string> split_allocations(const std::string& stored);

struct PinRequest {
  Cid cid;
  PinType type = PinType::kRecursive;
  std::optional<std::string> name;
  std::map<std::string, std::string> meta;
  // Set fields replace the pin's stored ones; unset fields keep them.
  ReplicationPolicy replication;
};

struct PinInfo {
  int64_t id = 0;  // the pin's row: a stable cursor for paging (PinFilter::after)
  Cid cid;
  PinType type = PinType::kRecursive;
  std::optional<std::string> name;
  int64_t created = 0;  // unix seconds
  std::map<std::string, std::string> meta;
  ReplicationPolicy replication;  // filled when listed with_meta
};

struct PinFilter {
  std::optional<PinType> type;
  std::optional<std::string> name;  // substring match, as Kubo's --name
  std::optional<Cid> cid;
  uint64_t limit = 0;               // 0: no limit
  bool with_meta = false;
  // Keyset paging: only pins whose id is greater (pins are listed in id
  // order, so the last id of one page is the cursor of the next). Stays fast
  // at any depth, unlike an offset.
  int64_t after = 0;
  // Only pins whose metadata has this key with this value.
  std::optional<std::pair<std::string, std::string>> meta;
};

// Limits on what a pin may carry, checked on every add.
inline constexpr size_t kMaxPinNameBytes = 255;
inline constexpr size_t kMaxPinMetaEntries = 64;
inline constexpr size_t kMaxPinMetaBytes = 4096;
inline constexpr int kMaxReplicas = 100;
inline constexpr size_t kMaxAllocations = 32;

Status validate_pin(const PinRequest& p);

class PinIndex {
 public:
  explicit PinIndex(sql::Database& db) : db_(db) {}

  // Records pins inside the caller's transaction. An existing pin is
  // upgraded (direct -> recursive), renamed when a name is given, its
  // metadata merged and the set fields of its replication policy replaced;
  // a recursive pin is not downgraded to direct.
  static Status add_in_transaction(sql::Database& db, const std::vector<PinRequest>& pins, int64_t now);

  // Removes pins; returns the CIDs that were pinned. Unpinned CIDs are an error
  // unless `ignore_missing`.
  Result<std::vector<Cid>> remove(const std::vector<Cid>& cids, bool ignore_missing = false);

  Status list(const PinFilter& filter, const std::function<Status(const PinInfo&)>& fn);
  Result<std::optional<PinInfo>> get(const Cid& cid);
  Result<uint64_t> count();

 private:
  sql::Database& db_;
};

}  // namespace ipfskit::repo
