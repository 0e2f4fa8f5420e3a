#include "psa/store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>

#include <nlohmann/json.hpp>

#include "crypto/hash.h"

namespace ipfskit::psa {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS psa_tokens (
  name TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS psa_requests (
  requestid TEXT PRIMARY KEY, owner TEXT NOT NULL, cid BLOB NOT NULL, name TEXT, origins TEXT NOT NULL,
  status INTEGER NOT NULL, created INTEGER NOT NULL UNIQUE, info TEXT NOT NULL, owns_pin INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS psa_requests_owner ON psa_requests(owner, created);
CREATE INDEX IF NOT EXISTS psa_requests_cid ON psa_requests(cid);
CREATE INDEX IF NOT EXISTS psa_requests_status ON psa_requests(status, created);
CREATE TABLE IF NOT EXISTS psa_meta (
  requestid TEXT NOT NULL REFERENCES psa_requests(requestid) ON DELETE CASCADE, key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (requestid, key)
) WITHOUT ROWID;
)";

std::string random_hex(size_t bytes) {
  Bytes b(bytes);
  RAND_bytes(b.data(), static_cast<int>(b.size()));
  return to_hex(b);
}

Bytes token_hash(std::string_view token) {
  auto d = crypto::sha256(ByteView(reinterpret_cast<const uint8_t*>(token.data()), token.size()));
  return Bytes(d.begin(), d.end());
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

const char* kColumns = "requestid, owner, cid, name, origins, status, created, info, owns_pin";

}  // namespace

const char* status_name(RequestStatus s) {
  switch (s) {
    case RequestStatus::kQueued: return "queued";
    case RequestStatus::kPinning: return "pinning";
    case RequestStatus::kPinned: return "pinned";
    case RequestStatus::kFailed: return "failed";
  }
  return "failed";
}

std::optional<RequestStatus> status_by_name(std::string_view name) {
  for (RequestStatus s : {RequestStatus::kQueued, RequestStatus::kPinning, RequestStatus::kPinned, RequestStatus::kFailed})
    if (name == status_name(s)) return s;
  return std::nullopt;
}

Result<Store> Store::open(sql::Database& db) {
  TRY_STATUS(db.exec(kSchema));
  return Store(db);
}

Result<std::string> Store::create_token(const std::string& name) {
  if (name.empty() || name.size() > 64) return invalid_argument("a token name is 1 to 64 characters");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return invalid_argument("a token name holds letters, digits, '-', '_' and '.' only");
  const std::string token = "psa_" + random_hex(32);
  // Every write in a transaction: the connection is shared by the daemon's threads.
  auto tx = TRY(sql::Transaction::begin(*db_));
  auto q = TRY(db_->prepare("INSERT INTO psa_tokens (name, hash, created) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING"));
  Bytes hash = token_hash(token);
  TRY_STATUS(q.bind(1, name).bind(2, ByteView(hash)).bind(3, now_ms() / 1000).run());
  if (db_->changes() == 0) return make_error(Code::kAlreadyExists, "a token named \"" + name + "\" exists");
  TRY_STATUS(tx.commit());
  return token;
}

Status Store::remove_token(const std::string& name, std::vector<PinRequest>* orphaned) {
  auto tx = TRY(sql::Transaction::begin(*db_));
  auto del = TRY(db_->prepare("DELETE FROM psa_tokens WHERE name = ?1"));
  TRY_STATUS(del.bind(1, name).run());
  if (db_->changes() == 0) return not_found("no token named \"" + name + "\"");
  auto q = TRY(db_->prepare(std::string("SELECT ") + kColumns + " FROM psa_requests WHERE owner = ?1"));
  q.bind(1, name);
  while (TRY(q.step())) {
    PinRequest r = TRY(row(q));
    if (orphaned != nullptr && r.owns_node_pin) orphaned->push_back(r);
  }
  auto drop = TRY(db_->prepare("DELETE FROM psa_requests WHERE owner = ?1"));
  TRY_STATUS(drop.bind(1, name).run());
  return tx.commit();
}

Result<std::vector<TokenInfo>> Store::tokens() {
  auto q = TRY(db_->prepare("SELECT name, created FROM psa_tokens ORDER BY name"));
  std::vector<TokenInfo> out;
  while (TRY(q.step())) out.push_back({q.column_text(0), q.column_int(1)});
  return out;
}

Result<std::optional<std::string>> Store::authenticate(std::string_view token) {
  if (token.empty()) return std::optional<std::string>();
  Bytes hash = token_hash(token);
  auto q = TRY(db_->prepare_cached("SELECT name FROM psa_tokens WHERE hash = ?1"));
  q.bind(1, ByteView(hash));
  if (!TRY(q.step())) return std::optional<std::string>();
  return std::optional<std::string>(q.column_text(0));
}

Result<PinRequest> Store::row(sql::Statement& q) {
  PinRequest r;
  r.requestid = q.column_text(0);
  r.owner = q.column_text(1);
  auto cid = Cid::from_bytes(q.column_blob(2));
  if (!cid) return corruption("psa_requests holds an invalid CID");
  r.cid = std::move(*cid);
  if (!q.column_is_null(3)) r.name = q.column_text(3);
  auto origins = nlohmann::json::parse(q.column_text(4), nullptr, false);
  if (origins.is_array())
    for (const auto& o : origins)
      if (o.is_string()) r.origins.push_back(o.get<std::string>());
  r.status = static_cast<RequestStatus>(std::clamp<int64_t>(q.column_int(5), 0, 3));
  r.created_ms = q.column_int(6);
  auto info = nlohmann::json::parse(q.column_text(7), nullptr, false);
  if (info.is_object())
    for (auto& [k, v] : info.items())
      if (v.is_string()) r.info[k] = v.get<std::string>();
  r.owns_node_pin = q.column_int(8) != 0;
  auto meta = TRY(db_->prepare_cached("SELECT key, value FROM psa_meta WHERE requestid = ?1"));
  meta.bind(1, r.requestid);
  while (TRY(meta.step())) r.meta[meta.column_text(0)] = meta.column_text(1);
  return r;
}

Result<PinRequest> Store::add(PinRequest r) {
  auto tx = TRY(sql::Transaction::begin(*db_));
  // `created` is unique: the spec pages by it. A request in the same
  // millisecond as the last one takes the next millisecond.
  auto last = TRY(db_->prepare("SELECT COALESCE(MAX(created), 0) FROM psa_requests"));
  TRY(last.step());
  r.created_ms = std::max(now_ms(), last.column_int(0) + 1);
  r.requestid = random_hex(16);
  auto ins = TRY(db_->prepare(
      "INSERT INTO psa_requests (requestid, owner, cid, name, origins, status, created, info, owns_pin) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  ins.bind(1, r.requestid).bind(2, r.owner).bind(3, ByteView(r.cid.bytes()));
  if (r.name) ins.bind(4, *r.name);
  else ins.bind_null(4);
  ins.bind(5, dump(nlohmann::json(r.origins)))
      .bind(6, static_cast<int64_t>(r.status))
      .bind(7, r.created_ms)
      .bind(8, dump(nlohmann::json(r.info)))
      .bind(9, int64_t{r.owns_node_pin ? 1 : 0});
  TRY_STATUS(ins.run());
  auto meta = TRY(db_->prepare("INSERT INTO psa_meta (requestid, key, value) VALUES (?1, ?2, ?3)"));
  for (const auto& [k, v] : r.meta) {
    TRY_STATUS(meta.bind(1, r.requestid).bind(2, k).bind(3, v).run());
    meta.reset();
  }
  TRY_STATUS(tx.commit());
  return r;
}

Result<std::optional<PinRequest>> Store::get(const std::string& owner, const std::string& requestid) {
  auto q = TRY(db_->prepare(std::string("SELECT ") + kColumns + " FROM psa_requests WHERE requestid = ?1 AND owner = ?2"));
  q.bind(1, requestid).bind(2, owner);
  if (!TRY(q.step())) return std::optional<PinRequest>();
  return std::optional<PinRequest>(TRY(row(q)));
}

Result<Page> Store::list(const std::string& owner, const Query& query) {
  std::string where = " WHERE owner = ?1";
  std::vector<std::function<void(sql::Statement&, int&)>> binds;
  int next = 2;
  auto param = [&](auto value) {
    std::string p = "?" + std::to_string(next++);
    binds.push_back([value](sql::Statement& s, int& i) { s.bind(i++, value); });
    return p;
  };
  if (!query.cids.empty()) {
    where += " AND cid IN (";
    for (size_t i = 0; i < query.cids.size(); ++i) {
      Bytes b(query.cids[i].bytes().begin(), query.cids[i].bytes().end());
      where += (i > 0 ? ", " : "") + std::string("?") + std::to_string(next++);
      binds.push_back([b](sql::Statement& st, int& k) { st.bind(k++, ByteView(b)); });
    }
    where += ")";
  }
  if (query.name) {
    switch (query.match) {
      case Match::kExact: where += " AND name = " + param(*query.name); break;
      case Match::kIExact: where += " AND lower(name) = lower(" + param(*query.name) + ")"; break;
      case Match::kPartial: where += " AND instr(name, " + param(*query.name) + ") > 0"; break;
      case Match::kIPartial: where += " AND instr(lower(name), lower(" + param(*query.name) + ")) > 0"; break;
    }
  }
  if (!query.statuses.empty()) {
    where += " AND status IN (";
    for (size_t i = 0; i < query.statuses.size(); ++i)
      where += (i > 0 ? ", " : "") + param(static_cast<int64_t>(query.statuses[i]));
    where += ")";
  }
  if (query.before_ms) where += " AND created < " + param(*query.before_ms);
  if (query.after_ms) where += " AND created > " + param(*query.after_ms);
  for (const auto& [k, v] : query.meta) {
    where += " AND EXISTS (SELECT 1 FROM psa_meta m WHERE m.requestid = psa_requests.requestid AND m.key = " + param(k) +
             " AND m.value = " + param(v) + ")";
  }
  auto bind_all = [&](sql::Statement& s) {
    s.bind(1, owner);
    int i = 2;
    for (auto& b : binds) b(s, i);
  };
  Page page;
  auto count = TRY(db_->prepare("SELECT COUNT(*) FROM psa_requests" + where));
  bind_all(count);
  TRY(count.step());
  page.count = static_cast<uint64_t>(count.column_int(0));
  auto q = TRY(db_->prepare(std::string("SELECT ") + kColumns + " FROM psa_requests" + where +
                            " ORDER BY created DESC LIMIT " + std::to_string(query.limit)));
  bind_all(q);
  while (TRY(q.step())) page.results.push_back(TRY(row(q)));
  return page;
}

Result<PinRequest> Store::remove(const std::string& owner, const std::string& requestid) {
  auto tx = TRY(sql::Transaction::begin(*db_));
  auto r = TRY(get(owner, requestid));
  if (!r) return not_found("no pin request " + requestid);
  auto del = TRY(db_->prepare("DELETE FROM psa_requests WHERE requestid = ?1"));
  TRY_STATUS(del.bind(1, requestid).run());
  auto meta = TRY(db_->prepare("DELETE FROM psa_meta WHERE requestid = ?1"));
  TRY_STATUS(meta.bind(1, requestid).run());
  TRY_STATUS(tx.commit());
  return *r;
}

Status Store::set_status(const std::string& requestid, RequestStatus status, const std::map<std::string, std::string>& info,
                         bool owns_node_pin) {
  auto tx = TRY(sql::Transaction::begin(*db_));
  auto q = TRY(db_->prepare("UPDATE psa_requests SET status = ?2, info = ?3, owns_pin = ?4 WHERE requestid = ?1"));
  TRY_STATUS(q.bind(1, requestid)
                 .bind(2, static_cast<int64_t>(status))
                 .bind(3, dump(nlohmann::json(info)))
                 .bind(4, int64_t{owns_node_pin ? 1 : 0})
                 .run());
  return tx.commit();
}

Result<std::optional<PinRequest>> Store::next_queued() {
  auto q = TRY(db_->prepare(std::string("SELECT ") + kColumns +
                            " FROM psa_requests WHERE status = 0 ORDER BY created LIMIT 1"));
  if (!TRY(q.step())) return std::optional<PinRequest>();
  return std::optional<PinRequest>(TRY(row(q)));
}

Status Store::requeue_interrupted() {
  auto tx = TRY(sql::Transaction::begin(*db_));
  auto q = TRY(db_->prepare("UPDATE psa_requests SET status = 0 WHERE status = 1"));
  TRY_STATUS(q.run());
  return tx.commit();
}

Result<std::vector<PinRequest>> Store::others_for(const Cid& cid, const std::string& except) {
  auto q = TRY(db_->prepare(std::string("SELECT ") + kColumns +
                            " FROM psa_requests WHERE cid = ?1 AND requestid != ?2 AND status != 3 ORDER BY created"));
  q.bind(1, ByteView(cid.bytes())).bind(2, except);
  std::vector<PinRequest> out;
  while (TRY(q.step())) out.push_back(TRY(row(q)));
  return out;
}

Result<int64_t> parse_rfc3339_ms(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)
  auto bad = [&] { return invalid_argument("invalid RFC 3339 timestamp \"" + std::string(t) + "\""); };
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > t.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || t.size() < 20 || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi) ||
      t[16] != ':' || !digits(17, 2, s))
    return bad();
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    size_t start = pos;
    while (pos < t.size() && std::isdigit(static_cast<unsigned char>(t[pos]))) {
      ms += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  int64_t offset_min = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' || !digits(pos + 4, 2, om)) return bad();
    offset_min = (oh * 60 + om) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != t.size()) return bad();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const int64_t secs = static_cast<int64_t>(::timegm(&tm)) - offset_min * 60;
  return secs * 1000 + ms;
}

std::string format_rfc3339_ms(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace ipfskit::psa
