// A thin RAII layer over SQLite: a connection, prepared statements, and
// transactions, with every SQLite error turned into an Error in one place.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace ipfskit::sql {

class Statement;

class Database {
 public:
  // Opens (creating if `create`) the database at `path` in WAL mode with
  // synchronous=FULL (a committed transaction survives power loss) and a busy
  // timeout, so concurrent writers wait instead of failing.
  static Result<std::unique_ptr<Database>> open(const std::string& path, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // Like prepare(), for statements run over and over (block lookups): the
  // compiled statement goes back to a per-connection cache when the
  // Statement is destroyed, instead of being compiled again next time.
  Result<Statement> prepare_cached(const char* sql);
  int64_t changes() const;
  sqlite3* handle() const { return db_; }

  Error error(std::string_view what) const;

 private:
  friend class Transaction;
  explicit Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  // A transaction belongs to the connection, not to a thread: threads that
  // share this connection take turns with whole transactions.
  std::recursive_mutex tx_mu_;
  friend class Statement;
  void give_back(const char* sql, sqlite3_stmt* s);
  std::mutex cache_mu_;
  std::unordered_map<const char*, std::vector<sqlite3_stmt*>> cache_;  // keyed by the literal's address
};

class Statement {
 public:
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_), cached_sql_(o.cached_sql_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  ~Statement();

  Statement& bind(int index, int64_t v);
  Statement& bind(int index, std::string_view v);
  Statement& bind(int index, ByteView v);
  Statement& bind_null(int index);

  // Steps once: true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion, for statements without results.
  Status run();
  void reset();

  int64_t column_int(int i) const;
  std::string column_text(int i) const;
  ByteView column_blob(int i) const;
  bool column_is_null(int i) const;

 private:
  friend class Database;
  Statement(const Database* db, sqlite3_stmt* s, const char* cached_sql = nullptr)
      : db_(db), stmt_(s), cached_sql_(cached_sql) {}
  const Database* db_;
  sqlite3_stmt* stmt_;
  const char* cached_sql_;  // set: returned to the cache, not finalized
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed uncommitted. Holds
// the connection's transaction lock for its life.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_), lock_(std::move(o.lock_)) { o.db_ = nullptr; }
  ~Transaction();
  Status commit();

 private:
  Transaction(Database* db, std::unique_lock<std::recursive_mutex> lock) : db_(db), lock_(std::move(lock)) {}
  Database* db_;
  std::unique_lock<std::recursive_mutex> lock_;
};

}  // namespace ipfskit::sql
