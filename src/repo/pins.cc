#include "repo/pins.h"

#include "config/backends.h"

namespace ipfskit::repo {

std::string join_allocations(const std::vector<std::string>& a) {
  std::string s;
  for (const auto& n : a) s += (s.empty() ? "" : ",") + n;
  return s;
}

std::vector<std::string> split_allocations(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const char* pin_type_name(PinType t) { return t == PinType::kRecursive ? "recursive" : "direct"; }

Status validate_pin(const PinRequest& p) {
  if (p.name && p.name->size() > kMaxPinNameBytes)
    return invalid_argument("pin name longer than " + std::to_string(kMaxPinNameBytes) + " bytes");
  if (p.meta.size() > kMaxPinMetaEntries)
    return invalid_argument("more than " + std::to_string(kMaxPinMetaEntries) + " metadata entries");
  size_t bytes = 0;
  for (const auto& [k, v] : p.meta) {
    if (k.empty()) return invalid_argument("metadata key may not be empty");
    bytes += k.size() + v.size();
  }
  if (bytes > kMaxPinMetaBytes) return invalid_argument("pin metadata larger than " + std::to_string(kMaxPinMetaBytes) + " bytes");
  const ReplicationPolicy& r = p.replication;
  for (const auto* v : {&r.min, &r.max})
    if (*v && (**v < 1 || **v > kMaxReplicas))
      return invalid_argument(std::string(v == &r.min ? "replication-min" : "replication-max") + " must be 1 to " +
                              std::to_string(kMaxReplicas) + ", got " + std::to_string(**v));
  if (r.min && r.max && *r.min > *r.max)
    return invalid_argument("replication-min (" + std::to_string(*r.min) + ") may not exceed replication-max (" +
                            std::to_string(*r.max) + ")");
  if (r.allocations.size() > kMaxAllocations)
    return invalid_argument("at most " + std::to_string(kMaxAllocations) + " allocations");
  for (const auto& a : r.allocations)
    if (!valid_backend_name(a)) return invalid_argument("allocation \"" + a + "\" is not a backend name (1-64 letters, digits, '_' or '-')");
  return {};
}

Status PinIndex::add_in_transaction(sql::Database& db, const std::vector<PinRequest>& pins, int64_t now) {
  auto find = TRY(db.prepare("SELECT id, type FROM pins WHERE cid = ?1"));
  auto insert = TRY(db.prepare("INSERT INTO pins (cid, type, name, created) VALUES (?1, ?2, ?3, ?4) RETURNING id"));
  auto upgrade = TRY(db.prepare("UPDATE pins SET type = 0 WHERE id = ?1"));
  auto rename = TRY(db.prepare("UPDATE pins SET name = ?2 WHERE id = ?1"));
  auto meta = TRY(db.prepare("INSERT OR REPLACE INTO pin_meta (pin, key, value) VALUES (?1, ?2, ?3)"));
  // Set fields replace the stored ones; unset fields keep them.
  auto policy = TRY(db.prepare(
      "INSERT INTO pin_replication (pin, min, max, allocations) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(pin) DO UPDATE SET "
      "min = coalesce(excluded.min, min), max = coalesce(excluded.max, max), "
      "allocations = CASE WHEN ?5 THEN excluded.allocations ELSE allocations END"));
  for (const PinRequest& p : pins) {
    TRY_STATUS(validate_pin(p));
    find.bind(1, ByteView(p.cid.bytes()));
    int64_t id;
    if (TRY(find.step())) {
      id = find.column_int(0);
      PinType existing = find.column_int(1) == 0 ? PinType::kRecursive : PinType::kDirect;
      find.reset();
      if (existing == PinType::kDirect && p.type == PinType::kRecursive) TRY_STATUS(upgrade.bind(1, id).run());
      if (p.name) TRY_STATUS(rename.bind(1, id).bind(2, *p.name).run());
    } else {
      find.reset();
      insert.bind(1, ByteView(p.cid.bytes())).bind(2, static_cast<int64_t>(p.type == PinType::kRecursive ? 0 : 1));
      if (p.name) insert.bind(3, *p.name);
      else insert.bind_null(3);
      insert.bind(4, now);
      if (!TRY(insert.step())) return internal_error("inserting a pin returned no id");
      id = insert.column_int(0);
      insert.reset();
    }
    for (const auto& [k, v] : p.meta) TRY_STATUS(meta.bind(1, id).bind(2, k).bind(3, v).run());
    if (!p.replication.empty()) {
      policy.bind(1, id);
      if (p.replication.min) policy.bind(2, static_cast<int64_t>(*p.replication.min));
      else policy.bind_null(2);
      if (p.replication.max) policy.bind(3, static_cast<int64_t>(*p.replication.max));
      else policy.bind_null(3);
      policy.bind(4, join_allocations(p.replication.allocations));
      policy.bind(5, static_cast<int64_t>(p.replication.allocations.empty() ? 0 : 1));
      TRY_STATUS(policy.run());
    }
  }
  return {};
}

Result<std::vector<Cid>> PinIndex::remove(const std::vector<Cid>& cids, bool ignore_missing) {
  auto tx = TRY(sql::Transaction::begin(db_));
  auto del = TRY(db_.prepare("DELETE FROM pins WHERE cid = ?1"));
  std::vector<Cid> removed;
  for (const Cid& c : cids) {
    TRY_STATUS(del.bind(1, ByteView(c.bytes())).run());
    if (db_.changes() == 0) {
      if (!ignore_missing) return not_found(c.to_string() + " is not pinned");
      continue;
    }
    removed.push_back(c);
  }
  TRY_STATUS(tx.commit());
  return removed;
}

namespace {

Result<PinInfo> row_to_pin(sql::Statement& q) {
  PinInfo p;
  p.id = q.column_int(0);
  auto cid = Cid::from_bytes(q.column_blob(1));
  if (!cid) return corruption("pin index holds an invalid CID");
  p.cid = std::move(*cid);
  p.type = q.column_int(2) == 0 ? PinType::kRecursive : PinType::kDirect;
  if (!q.column_is_null(3)) p.name = q.column_text(3);
  p.created = q.column_int(4);
  return p;
}

}  // namespace

Status PinIndex::list(const PinFilter& f, const std::function<Status(const PinInfo&)>& fn) {
  std::string sql = "SELECT id, cid, type, name, created FROM pins WHERE 1";
  if (f.type) sql += " AND type = ?1";
  if (f.name) sql += " AND instr(name, ?2) > 0";
  if (f.cid) sql += " AND cid = ?3";
  if (f.meta) sql += " AND id IN (SELECT pin FROM pin_meta WHERE key = ?4 AND value = ?5)";
  if (f.after > 0) sql += " AND id > ?6";
  sql += " ORDER BY id";
  if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
  auto q = TRY(db_.prepare(sql));
  if (f.type) q.bind(1, static_cast<int64_t>(*f.type == PinType::kRecursive ? 0 : 1));
  if (f.name) q.bind(2, *f.name);
  if (f.cid) q.bind(3, ByteView(f.cid->bytes()));
  if (f.meta) {
    q.bind(4, f.meta->first);
    q.bind(5, f.meta->second);
  }
  if (f.after > 0) q.bind(6, f.after);
  std::optional<sql::Statement> meta, policy;
  if (f.with_meta) {
    meta = TRY(db_.prepare("SELECT key, value FROM pin_meta WHERE pin = ?1 ORDER BY key"));
    policy = TRY(db_.prepare("SELECT min, max, allocations FROM pin_replication WHERE pin = ?1"));
  }
  while (TRY(q.step())) {
    PinInfo p = TRY(row_to_pin(q));
    if (meta) {
      meta->bind(1, q.column_int(0));
      while (TRY(meta->step())) p.meta[meta->column_text(0)] = meta->column_text(1);
      meta->reset();
      policy->bind(1, q.column_int(0));
      if (TRY(policy->step())) {
        if (!policy->column_is_null(0)) p.replication.min = static_cast<int>(policy->column_int(0));
        if (!policy->column_is_null(1)) p.replication.max = static_cast<int>(policy->column_int(1));
        p.replication.allocations = split_allocations(policy->column_text(2));
      }
      policy->reset();
    }
    TRY_STATUS(fn(p));
  }
  return {};
}

Result<std::optional<PinInfo>> PinIndex::get(const Cid& cid) {
  PinFilter f;
  f.cid = cid;
  f.with_meta = true;
  std::optional<PinInfo> out;
  TRY_STATUS(list(f, [&](const PinInfo& p) -> Status {
    out = p;
    return {};
  }));
  return out;
}

Result<uint64_t> PinIndex::count() {
  auto q = TRY(db_.prepare("SELECT COUNT(*) FROM pins"));
  TRY_STATUS(q.step());
  return static_cast<uint64_t>(q.column_int(0));
}

}  // namespace ipfskit::repo
