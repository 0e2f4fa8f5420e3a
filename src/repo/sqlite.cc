#include "repo/sqlite.h"

namespace ipfskit::sql {

Result<std::unique_ptr<Database>> Database::open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (db) sqlite3_close(db);
    return make_error(rc == SQLITE_CANTOPEN ? Code::kNotFound : Code::kIOError, "open index " + path + ": " + msg);
  }
  std::unique_ptr<Database> d(new Database(db, path));
  sqlite3_busy_timeout(db, 60000);
  TRY_STATUS(d->exec("PRAGMA journal_mode=WAL"));
  TRY_STATUS(d->exec("PRAGMA synchronous=FULL"));
  TRY_STATUS(d->exec("PRAGMA foreign_keys=ON"));
  return d;
}

Database::~Database() {
  for (auto& [sql, free] : cache_)
    for (sqlite3_stmt* st : free) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

Error Database::error(std::string_view what) const {
  int code = sqlite3_errcode(db_);
  Code c = Code::kIOError;
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) c = Code::kCorruption;
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) c = Code::kUnavailable;
  if (code == SQLITE_FULL) c = Code::kResourceExhausted;
  if (code == SQLITE_CONSTRAINT) c = Code::kAlreadyExists;
  return Error(c, std::string(what) + ": " + sqlite3_errmsg(db_) + " (" + path_ + ")");
}

Status Database::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = error(s);
    sqlite3_free(err);
    return tl::unexpected(e);
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK)
    return tl::unexpected(error("prepare " + std::string(sql)));
  return Statement(this, s);
}

int64_t Database::changes() const { return sqlite3_changes64(db_); }

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_ != nullptr && cached_sql_ != nullptr) const_cast<Database*>(db_)->give_back(cached_sql_, stmt_);
    else sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    cached_sql_ = o.cached_sql_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Result<Statement> Database::prepare_cached(const char* sql) {
  {
    std::lock_guard lock(cache_mu_);
    auto& free = cache_[sql];
    if (!free.empty()) {
      sqlite3_stmt* s = free.back();
      free.pop_back();
      return Statement(this, s, sql);
    }
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) return tl::unexpected(error("prepare " + std::string(sql)));
  return Statement(this, s, sql);
}

void Database::give_back(const char* sql, sqlite3_stmt* s) {
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  std::lock_guard lock(cache_mu_);
  auto& free = cache_[sql];
  if (free.size() < 16) free.push_back(s);
  else sqlite3_finalize(s);
}

Statement::~Statement() {
  if (stmt_ != nullptr && cached_sql_ != nullptr) const_cast<Database*>(db_)->give_back(cached_sql_, stmt_);
  else sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}
Statement& Statement::bind(int index, std::string_view v) {
  sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, ByteView v) {
  sqlite3_bind_blob(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(db_->error(std::string("step ") + sqlite3_sql(stmt_)));
}

Status Statement::run() {
  while (TRY(step())) {
  }
  reset();
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
std::string Statement::column_text(int i) const {
  const unsigned char* t = sqlite3_column_text(stmt_, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : "";
}
ByteView Statement::column_blob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  return ByteView(static_cast<const uint8_t*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
}
bool Statement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

Result<Transaction> Transaction::begin(Database& db) {
  std::unique_lock<std::recursive_mutex> lock(db.tx_mu_);
  TRY_STATUS(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db, std::move(lock));
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  Database* db = db_;
  db_ = nullptr;
  return db->exec("COMMIT");
}

}  // namespace ipfskit::sql
