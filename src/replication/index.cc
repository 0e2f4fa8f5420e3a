#include "replication/index.h"

#include <algorithm>

#include "base/time.h"
#include "repo/pins.h"

namespace ipfskit::replication {

using nlohmann::json;

namespace {

// The rows are keyed by the pin's CID bytes, as pins.cid is, so that the two
// tables join on equal blobs. State words are stored as text: anyone opening
// the index with sqlite3 reads Cluster's vocabulary.
//
// replica_totals is kept by triggers, so `route stats` and the metrics read
// a handful of rows however many replicas there are. The pins_released
// trigger marks a removed pin's copies for removal in the transaction that
// removes the pin: `pin rm`, a PSA request deleted, `pin update` (each
// removal is then tracked like a copy, unpinning -> unpinned).
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS replicas (
  cid BLOB NOT NULL, backend TEXT NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, error TEXT, verified_by TEXT, verified_at INTEGER NOT NULL DEFAULT 0,
  blocks INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL, next_attempt INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (cid, backend)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replicas_todo ON replicas(state, next_attempt) WHERE state <> 'pinned' AND state <> 'unpinned';
CREATE INDEX IF NOT EXISTS replicas_verified ON replicas(verified_at) WHERE state = 'pinned';
CREATE TABLE IF NOT EXISTS replica_totals (
  backend TEXT NOT NULL, state TEXT NOT NULL, replicas INTEGER NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (backend, state)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replication_issues (cid BLOB PRIMARY KEY, issue TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS replicas_counted_insert AFTER INSERT ON replicas BEGIN
  INSERT INTO replica_totals (backend, state, replicas, bytes) VALUES (new.backend, new.state, 1, new.bytes)
    ON CONFLICT (backend, state) DO UPDATE SET replicas = replicas + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER IF NOT EXISTS replicas_counted_delete AFTER DELETE ON replicas BEGIN
  UPDATE replica_totals SET replicas = replicas - 1, bytes = bytes - old.bytes
    WHERE backend = old.backend AND state = old.state;
END;
CREATE TRIGGER IF NOT EXISTS replicas_counted_update AFTER UPDATE OF state, bytes ON replicas BEGIN
  UPDATE replica_totals SET replicas = replicas - 1, bytes = bytes - old.bytes
    WHERE backend = old.backend AND state = old.state;
  INSERT INTO replica_totals (backend, state, replicas, bytes) VALUES (new.backend, new.state, 1, new.bytes)
    ON CONFLICT (backend, state) DO UPDATE SET replicas = replicas + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER IF NOT EXISTS pins_released AFTER DELETE ON pins BEGIN
  UPDATE replicas SET state = CASE WHEN state = 'queued' OR backend = 'ipfs' THEN 'unpinned' ELSE 'unpinning' END,
    updated = CAST(strftime('%s', 'now') AS INTEGER), next_attempt = 0
    WHERE cid = old.cid AND state IN ('queued', 'pinning', 'pinned', 'pin_error');
  DELETE FROM replication_issues WHERE cid = old.cid;
END;
)";

constexpr const char* kStateNames[] = {"queued", "pinning", "pinned", "pin_error", "unpinning", "unpinned"};

std::string sql_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The backends of a pass as a CTE (names are validated backend names, but
// quoted all the same).
std::string backends_cte(const std::vector<BackendCounting>& backends) {
  std::string s = "rb(backend, counting, usable) AS (";
  if (backends.empty()) return s + "SELECT NULL, 0, 0 WHERE 0)";
  s += "VALUES ";
  for (size_t i = 0; i < backends.size(); ++i) {
    if (i > 0) s += ", ";
    s += "(" + sql_quote(backends[i].name) + ", " + (backends[i].counting ? "1" : "0") + ", " +
         (backends[i].usable ? "1" : "0") + ")";
  }
  return s + ")";
}

// Per CID: verified copies (pinned on counting backends), active transfers
// (queued or pinning on usable backends), any in flight, whether the local
// copy has a row, failed copies due for a retry.
std::string replica_aggregate(const std::vector<BackendCounting>& backends) {
  return "WITH " + backends_cte(backends) + R"(,
agg AS (
  SELECT r.cid AS cid,
    sum(r.state = 'pinned' AND coalesce(b.counting, 0)) AS verified,
    sum(r.state IN ('queued', 'pinning') AND coalesce(b.usable, 0)) AS active,
    sum(r.state IN ('queued', 'pinning')) AS inflight,
    sum(r.backend = 'ipfs' AND r.state <> 'unpinned') AS local,
    sum(r.state = 'pin_error' AND r.next_attempt <= ?1) AS retry
  FROM replicas r LEFT JOIN rb b ON b.backend = r.backend
  GROUP BY r.cid
))";
}

Policy policy_from(sql::Statement& q, int first_column, int default_min, int default_max) {
  Policy p;
  p.min = q.column_is_null(first_column) ? default_min : static_cast<int>(q.column_int(first_column));
  p.max = q.column_is_null(first_column + 1) ? default_max : static_cast<int>(q.column_int(first_column + 1));
  p.max = std::max(p.max, p.min);  // a pin's own minimum above the default maximum raises it
  if (!q.column_is_null(first_column + 2)) p.allocations = repo::split_allocations(q.column_text(first_column + 2));
  return p;
}

constexpr const char* kReplicaColumns =
    "cid, backend, state, attempts, error, verified_by, verified_at, blocks, bytes, updated, next_attempt";

Result<Replica> replica_from(sql::Statement& q) {
  Replica r;
  auto cid = Cid::from_bytes(q.column_blob(0));
  if (!cid) return corruption("the replica index holds an invalid CID");
  r.cid = std::move(*cid);
  r.backend = q.column_text(1);
  auto st = state_from_name(q.column_text(2));
  if (!st) return corruption("the replica index holds an unknown state \"" + q.column_text(2) + "\"");
  r.state = *st;
  r.attempts = static_cast<int>(q.column_int(3));
  r.error = q.column_text(4);
  r.verified_by = q.column_text(5);
  r.verified_at = q.column_int(6);
  r.blocks = static_cast<uint64_t>(q.column_int(7));
  r.bytes = static_cast<uint64_t>(q.column_int(8));
  r.updated = q.column_int(9);
  r.next_attempt = q.column_int(10);
  return r;
}

// One statement in a transaction of its own; returns the rows it changed.
template <typename Bind>
Result<int64_t> write(sql::Database& db, const char* sql, Bind&& bind) {
  auto tx = TRY(sql::Transaction::begin(db));
  auto st = TRY(db.prepare(sql));
  bind(st);
  TRY_STATUS(st.run());
  const int64_t changed = db.changes();
  TRY_STATUS(tx.commit());
  return changed;
}

bool missing_table(const Error& e) { return e.message().find("no such table") != std::string::npos; }

}  // namespace

std::string_view state_name(State s) { return kStateNames[static_cast<int>(s)]; }

std::optional<State> state_from_name(std::string_view name) {
  for (State s : kAllStates)
    if (state_name(s) == name) return s;
  return std::nullopt;
}

json to_json(const Replica& r) {
  return {{"backend", r.backend},
          {"status", state_name(r.state)},
          {"verified_at", r.verified_at == 0 ? json() : json(utc_rfc3339(r.verified_at))},
          {"verified_by", r.verified_by.empty() ? json() : json(r.verified_by)},
          {"error", r.error.empty() ? json() : json(r.error)}};
}

Status ReplicaIndex::create_schema(sql::Database& db) {
  auto tx = TRY(sql::Transaction::begin(db));
  TRY_STATUS(db.exec(kSchema));
  return tx.commit();
}

Result<bool> has_replica_tables(sql::Database& db) {
  auto q = TRY(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'replicas'"));
  return TRY(q.step());
}

// ---- reading ----

Result<std::vector<Replica>> ReplicaIndex::replicas_of(const Cid& cid) {
  std::vector<Replica> out;
  auto q = db_.prepare(std::string("SELECT ") + kReplicaColumns + " FROM replicas WHERE cid = ?1 ORDER BY backend");
  if (!q) {
    if (missing_table(q.error())) return out;
    return tl::unexpected(q.error());
  }
  q->bind(1, ByteView(cid.bytes()));
  while (TRY(q->step())) out.push_back(TRY(replica_from(*q)));
  return out;
}

Result<std::map<std::string, BackendTotals>> ReplicaIndex::totals() {
  std::map<std::string, BackendTotals> out;
  auto q = db_.prepare("SELECT backend, state, replicas, bytes FROM replica_totals WHERE replicas > 0");
  if (!q) {
    if (missing_table(q.error())) return out;
    return tl::unexpected(q.error());
  }
  while (TRY(q->step())) {
    auto st = state_from_name(q->column_text(1));
    if (!st) continue;
    BackendTotals& t = out[q->column_text(0)];
    t.replicas[*st] = static_cast<uint64_t>(q->column_int(2));
    if (*st == State::kPinned) t.pinned_bytes = static_cast<uint64_t>(q->column_int(3));
  }
  return out;
}

Result<std::string> ReplicaIndex::allocation_issue(const Cid& cid) {
  auto q = db_.prepare("SELECT issue FROM replication_issues WHERE cid = ?1");
  if (!q) {
    if (missing_table(q.error())) return std::string();
    return tl::unexpected(q.error());
  }
  q->bind(1, ByteView(cid.bytes()));
  if (!TRY(q->step())) return std::string();
  return q->column_text(0);
}

Result<std::vector<std::pair<Cid, std::string>>> ReplicaIndex::allocation_issues(size_t limit) {
  std::vector<std::pair<Cid, std::string>> out;
  auto q = db_.prepare("SELECT cid, issue FROM replication_issues ORDER BY at DESC LIMIT ?1");
  if (!q) {
    if (missing_table(q.error())) return out;
    return tl::unexpected(q.error());
  }
  q->bind(1, static_cast<int64_t>(limit));
  while (TRY(q->step())) {
    auto cid = Cid::from_bytes(q->column_blob(0));
    if (!cid) return corruption("the replica index holds an invalid CID");
    out.emplace_back(std::move(*cid), q->column_text(1));
  }
  return out;
}

Result<Policy> ReplicaIndex::policy_of(const Cid& cid, int default_min, int default_max) {
  auto q = TRY(db_.prepare(
      "SELECT p.type, pr.min, pr.max, pr.allocations FROM pins p LEFT JOIN pin_replication pr ON pr.pin = p.id "
      "WHERE p.cid = ?1"));
  q.bind(1, ByteView(cid.bytes()));
  if (!TRY(q.step())) return not_found(cid.to_string() + " is not pinned");
  return policy_from(q, 1, default_min, default_max);
}

// ---- state changes ----

Result<bool> ReplicaIndex::queue(const Cid& cid, const std::string& backend, int64_t now) {
  auto tx = TRY(sql::Transaction::begin(db_));
  auto ins = TRY(db_.prepare(
      "INSERT INTO replicas (cid, backend, state, updated) VALUES (?1, ?2, 'queued', ?3) "
      "ON CONFLICT (cid, backend) DO UPDATE SET state = 'queued', updated = excluded.updated, next_attempt = 0 "
      "WHERE state IN ('unpinned', 'unpinning', 'pin_error')"));
  TRY_STATUS(ins.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, now).run());
  const bool changed = db_.changes() > 0;
  TRY_STATUS(tx.commit());
  return changed;
}

Result<bool> ReplicaIndex::start(const Cid& cid, const std::string& backend, int64_t now) {
  const int64_t n = TRY(write(db_,
                              "UPDATE replicas SET state = 'pinning', updated = ?3 WHERE cid = ?1 AND backend = ?2 "
                              "AND state IN ('queued', 'pinning', 'pin_error')",
                              [&](sql::Statement& s) { s.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, now); }));
  return n > 0;
}

Result<bool> ReplicaIndex::pinned(const Cid& cid, const std::string& backend, const std::string& verified_by,
                                  int64_t verified_at, uint64_t blocks, uint64_t bytes, int64_t now) {
  if (verified_by.empty())
    return invalid_argument("a replica of " + cid.to_string() + " on " + backend + " cannot be pinned without a proof");
  const int64_t n = TRY(write(
      db_,
      "UPDATE replicas SET state = 'pinned', attempts = 0, error = NULL, verified_by = ?3, verified_at = ?4, "
      "blocks = ?5, bytes = ?6, updated = ?7, next_attempt = 0 WHERE cid = ?1 AND backend = ?2 "
      "AND state IN ('pinning', 'pinned', 'pin_error')",
      [&](sql::Statement& s) {
        s.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, verified_by).bind(4, verified_at);
        s.bind(5, static_cast<int64_t>(blocks)).bind(6, static_cast<int64_t>(bytes)).bind(7, now);
      }));
  return n > 0;
}

Status ReplicaIndex::adopt_local(const Cid& cid, const std::string& verified_by, int64_t verified_at, uint64_t blocks,
                                 uint64_t bytes, int64_t now) {
  if (verified_by.empty()) return invalid_argument("the local copy of " + cid.to_string() + " cannot be pinned without a proof");
  TRY_STATUS(write(db_,
            "INSERT INTO replicas (cid, backend, state, verified_by, verified_at, blocks, bytes, updated) "
            "VALUES (?1, 'ipfs', 'pinned', ?2, ?3, ?4, ?5, ?6) ON CONFLICT (cid, backend) DO UPDATE SET "
            "state = 'pinned', attempts = 0, error = NULL, verified_by = excluded.verified_by, "
            "verified_at = excluded.verified_at, blocks = excluded.blocks, bytes = excluded.bytes, "
            "updated = excluded.updated, next_attempt = 0",
            [&](sql::Statement& s) {
              s.bind(1, ByteView(cid.bytes())).bind(2, verified_by).bind(3, verified_at);
              s.bind(4, static_cast<int64_t>(blocks)).bind(5, static_cast<int64_t>(bytes)).bind(6, now);
            }));
  return {};
}

Result<bool> ReplicaIndex::adopt(const Cid& cid, const std::string& backend, const std::string& verified_by,
                                 int64_t verified_at, uint64_t blocks, uint64_t bytes, int64_t now) {
  if (verified_by.empty())
    return invalid_argument("a copy of " + cid.to_string() + " on " + backend + " cannot be recorded without a proof");
  // An unpinning row stays as it is: the pin's removal from that backend
  // was decided after the copy was made, and goes on.
  const int64_t n = TRY(write(
      db_,
      "INSERT INTO replicas (cid, backend, state, verified_by, verified_at, blocks, bytes, updated) "
      "VALUES (?1, ?2, 'pinned', ?3, ?4, ?5, ?6, ?7) ON CONFLICT (cid, backend) DO UPDATE SET "
      "state = 'pinned', attempts = 0, error = NULL, verified_by = excluded.verified_by, "
      "verified_at = excluded.verified_at, blocks = excluded.blocks, bytes = excluded.bytes, "
      "updated = excluded.updated, next_attempt = 0 WHERE replicas.state <> 'unpinning'",
      [&](sql::Statement& s) {
        s.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, verified_by).bind(4, verified_at);
        s.bind(5, static_cast<int64_t>(blocks)).bind(6, static_cast<int64_t>(bytes)).bind(7, now);
      }));
  return n > 0;
}

Status ReplicaIndex::failed(const Cid& cid, const std::string& backend, const std::string& error, int64_t next_attempt,
                            int64_t now) {
  TRY_STATUS(write(db_,
            "INSERT INTO replicas (cid, backend, state, attempts, error, updated, next_attempt) "
            "VALUES (?1, ?2, 'pin_error', 1, ?3, ?4, ?5) ON CONFLICT (cid, backend) DO UPDATE SET "
            "state = CASE WHEN state IN ('unpinning', 'unpinned') THEN state ELSE 'pin_error' END, "
            "verified_by = CASE WHEN state IN ('unpinning', 'unpinned') THEN verified_by ELSE NULL END, "
            "verified_at = CASE WHEN state IN ('unpinning', 'unpinned') THEN verified_at ELSE 0 END, "
            "attempts = attempts + 1, error = excluded.error, updated = excluded.updated, "
            "next_attempt = excluded.next_attempt",
            [&](sql::Statement& s) {
              s.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, error).bind(4, now).bind(5, next_attempt);
            }));
  return {};
}

Status ReplicaIndex::reverified(const Cid& cid, const std::string& backend, const std::string& verified_by, int64_t at) {
  TRY_STATUS(write(db_,
            "UPDATE replicas SET verified_at = ?3, verified_by = ?4 WHERE cid = ?1 AND backend = ?2 AND state = 'pinned'",
            [&](sql::Statement& s) { s.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, at).bind(4, verified_by); }));
  return {};
}

Status ReplicaIndex::unpin(const Cid& cid, const std::string& backend, int64_t now) {
  TRY_STATUS(write(db_,
            "UPDATE replicas SET state = CASE WHEN state = 'queued' OR backend = 'ipfs' THEN 'unpinned' ELSE 'unpinning' END, "
            "updated = ?3, next_attempt = 0, attempts = 0 WHERE cid = ?1 AND backend = ?2 "
            "AND state IN ('queued', 'pinning', 'pinned', 'pin_error')",
            [&](sql::Statement& s) { s.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, now); }));
  return {};
}

Status ReplicaIndex::unpinned(const Cid& cid, const std::string& backend, int64_t now) {
  TRY_STATUS(write(db_,
            "UPDATE replicas SET state = 'unpinned', error = NULL, attempts = 0, updated = ?3 "
            "WHERE cid = ?1 AND backend = ?2 AND state = 'unpinning'",
            [&](sql::Statement& s) { s.bind(1, ByteView(cid.bytes())).bind(2, backend).bind(3, now); }));
  return {};
}

Status ReplicaIndex::set_allocation_issue(const Cid& cid, const std::string& issue, int64_t now) {
  if (issue.empty()) {
    TRY_STATUS(write(db_, "DELETE FROM replication_issues WHERE cid = ?1", [&](sql::Statement& s) { s.bind(1, ByteView(cid.bytes())); }));
    return {};
  }
  TRY_STATUS(write(db_,
            "INSERT INTO replication_issues (cid, issue, at) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (cid) DO UPDATE SET issue = excluded.issue, at = excluded.at",
            [&](sql::Statement& s) { s.bind(1, ByteView(cid.bytes())).bind(2, issue).bind(3, now); }));
  return {};
}

// ---- the reconciler's queries ----

Result<uint64_t> ReplicaIndex::release_removed_pins(int64_t now) {
  const int64_t n = TRY(write(
      db_,
      "UPDATE replicas SET state = CASE WHEN state = 'queued' OR backend = 'ipfs' THEN 'unpinned' ELSE 'unpinning' END, "
      "updated = ?1, next_attempt = 0 WHERE state IN ('queued', 'pinning', 'pinned', 'pin_error') "
      "AND NOT EXISTS (SELECT 1 FROM pins p WHERE p.cid = replicas.cid AND p.type = 0)",
      [&](sql::Statement& s) { s.bind(1, now); }));
  return static_cast<uint64_t>(n);
}

Result<std::vector<PinToCheck>> ReplicaIndex::pins_needing_work(const std::vector<BackendCounting>& backends,
                                                                int default_min, int default_max, int64_t now,
                                                                size_t limit) {
  // One statement over the pins and their replicas, grouped: pins that meet
  // their policy cost a join row each and nothing else.
  const std::string sql = replica_aggregate(backends) + R"(
SELECT p.cid, pr.min, pr.max, pr.allocations
FROM pins p LEFT JOIN pin_replication pr ON pr.pin = p.id LEFT JOIN agg a ON a.cid = p.cid
WHERE p.type = 0 AND (a.cid IS NULL OR a.local = 0 OR a.inflight > 0 OR a.retry > 0
  OR a.verified < coalesce(pr.min, ?2)
  OR a.verified + a.active > max(coalesce(pr.max, ?3), coalesce(pr.min, ?2)))
LIMIT ?4)";
  auto q = TRY(db_.prepare(sql));
  q.bind(1, now).bind(2, static_cast<int64_t>(default_min)).bind(3, static_cast<int64_t>(default_max));
  q.bind(4, static_cast<int64_t>(limit));
  std::vector<PinToCheck> out;
  while (TRY(q.step())) {
    auto cid = Cid::from_bytes(q.column_blob(0));
    if (!cid) return corruption("the pin index holds an invalid CID");
    out.push_back({std::move(*cid), policy_from(q, 1, default_min, default_max)});
  }
  return out;
}

Result<uint64_t> ReplicaIndex::count_under_replicated(const std::vector<BackendCounting>& backends, int default_min,
                                                      int default_max) {
  (void)default_max;
  const std::string sql = replica_aggregate(backends) + R"(
SELECT count(*) FROM pins p LEFT JOIN pin_replication pr ON pr.pin = p.id LEFT JOIN agg a ON a.cid = p.cid
WHERE p.type = 0 AND coalesce(a.verified, 0) < coalesce(pr.min, ?2))";
  auto q = TRY(db_.prepare(sql));
  q.bind(1, int64_t{0}).bind(2, static_cast<int64_t>(default_min));
  TRY_STATUS(q.step());
  return static_cast<uint64_t>(q.column_int(0));
}

Result<std::vector<Replica>> ReplicaIndex::due_removals(int64_t now, size_t limit) {
  auto q = TRY(db_.prepare(std::string("SELECT ") + kReplicaColumns +
                           " FROM replicas WHERE state = 'unpinning' AND next_attempt <= ?1 LIMIT ?2"));
  q.bind(1, now).bind(2, static_cast<int64_t>(limit));
  std::vector<Replica> out;
  while (TRY(q.step())) out.push_back(TRY(replica_from(q)));
  return out;
}

Result<std::vector<Replica>> ReplicaIndex::least_recently_verified(size_t limit) {
  auto q = TRY(db_.prepare(std::string("SELECT ") + kReplicaColumns +
                           " FROM replicas WHERE state = 'pinned' ORDER BY verified_at LIMIT ?1"));
  q.bind(1, static_cast<int64_t>(limit));
  std::vector<Replica> out;
  while (TRY(q.step())) out.push_back(TRY(replica_from(q)));
  return out;
}

// ---- bulk ----

Status ReplicaIndex::generate(uint64_t pins, const std::vector<std::string>& backends, uint64_t seed, int64_t now) {
  auto next = [state = seed * 0x9E3779B97F4A7C15ULL + 1]() mutable {
    // splitmix64: distinct, well spread keys (these CIDs name no content).
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  constexpr uint64_t kBatch = 50000;
  for (uint64_t done = 0; done < pins;) {
    auto tx = TRY(sql::Transaction::begin(db_));
    auto pin = TRY(db_.prepare("INSERT INTO pins (cid, type, name, created) VALUES (?1, 0, NULL, ?2)"));
    auto rep = TRY(db_.prepare(
        "INSERT INTO replicas (cid, backend, state, verified_by, verified_at, blocks, bytes, updated) "
        "VALUES (?1, ?2, 'pinned', 'read-back', ?3, 1, 1024, ?3)"));
    const uint64_t end = std::min(pins, done + kBatch);
    for (; done < end; ++done) {
      uint8_t digest[32];
      for (int w = 0; w < 4; ++w) {
        const uint64_t v = next();
        for (int b = 0; b < 8; ++b) digest[w * 8 + b] = static_cast<uint8_t>(v >> (8 * b));
      }
      const Cid cid = Cid::v1(0x55, Multihash::wrap(0x12, ByteView(digest, sizeof digest)));
      TRY_STATUS(pin.bind(1, ByteView(cid.bytes())).bind(2, now).run());
      for (const auto& b : backends) TRY_STATUS(rep.bind(1, ByteView(cid.bytes())).bind(2, b).bind(3, now).run());
    }
    TRY_STATUS(tx.commit());
  }
  return {};
}

}  // namespace ipfskit::replication
