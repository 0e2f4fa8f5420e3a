// The repository at $IPFS_KIT_PATH (default ~/.ipfs-kit):
//
//   config.json     configuration (see config/config.h)
//   blocks/         pack files holding every block (see repo/blockstore.h)
//   index.sqlite    SQLite index (WAL): block locations, pins, names, metadata
//   keystore/       self.key, the node's Ed25519 identity
//   logs/           daemon logs
//   gc.lock         shared by writers, exclusive for garbage collection
//
// Any number of processes may open the same repository at once.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <string>

#include "base/error.h"
#include "config/config.h"
#include "repo/blockstore.h"
#include "repo/identity.h"
#include "repo/pins.h"
#include "repo/sqlite.h"

namespace ipfskit::repo {

class Repo {
 public:
  struct Options {
    std::string config_path;  // default <path>/config.json
    bool create = true;       // create the repository when missing
  };

  static Result<std::unique_ptr<Repo>> open(const std::string& path, const Options& options);
  // Creates a repository; AlreadyExists when `path` already holds one.
  static Result<std::unique_ptr<Repo>> init(const std::string& path, const Options& options);
  static bool exists(const std::string& path);

  const std::string& path() const { return path_; }
  const std::string& config_path() const { return config_path_; }
  const Config& config() const { return config_; }
  PackStore& blocks() { return *blocks_; }
  PinIndex& pins() { return *pins_; }
  sql::Database& db() { return *db_; }
  const Identity& identity() const { return identity_; }
  std::string logs_dir() const { return path_ + "/logs"; }

 private:
  Repo() = default;
  std::string path_, config_path_;
  Config config_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<PackStore> blocks_;
  std::unique_ptr<PinIndex> pins_;
  Identity identity_;
};

// The index's small key/value table (`meta`): schema version, the MFS root.
// meta_set is meant to run inside a transaction (WriteBatch::commit's
// callback), so that a value naming blocks is recorded with them.
Result<std::optional<std::string>> meta_get(sql::Database& db, std::string_view key);
Status meta_set(sql::Database& db, std::string_view key, std::string_view value);

}  // namespace ipfskit::repo
