#include "repo/repo.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ipfskit::repo {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS packs (id INTEGER PRIMARY KEY, committed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
  mh BLOB PRIMARY KEY, codec INTEGER NOT NULL, pack INTEGER NOT NULL, offset INTEGER NOT NULL, size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blocks_pack ON blocks(pack);
CREATE TABLE IF NOT EXISTS pins (
  id INTEGER PRIMARY KEY, cid BLOB NOT NULL UNIQUE, type INTEGER NOT NULL, name TEXT, created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pins_name ON pins(name);
CREATE TABLE IF NOT EXISTS pin_meta (
  pin INTEGER NOT NULL REFERENCES pins(id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (pin, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pin_meta_kv ON pin_meta(key, value);
CREATE TABLE IF NOT EXISTS pin_replication (
  pin INTEGER PRIMARY KEY REFERENCES pins(id) ON DELETE CASCADE, min INTEGER, max INTEGER,
  allocations TEXT NOT NULL DEFAULT ''
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)";

Status make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return tl::unexpected(errno_error("create " + path));
  return {};
}

// Creates `path` and any missing parents (like mkdir -p).
Status make_dirs(const std::string& path, mode_t mode) {
  for (size_t i = 1; i < path.size(); ++i)
    if (path[i] == '/') TRY_STATUS(make_dir(path.substr(0, i), 0755));
  return make_dir(path, mode);
}

}  // namespace

bool Repo::exists(const std::string& path) {
  struct stat st;
  return ::stat((path + "/index.sqlite").c_str(), &st) == 0 && ::stat((path + "/keystore/self.key").c_str(), &st) == 0;
}

Result<std::unique_ptr<Repo>> Repo::init(const std::string& path, const Options& options) {
  if (exists(path)) return make_error(Code::kAlreadyExists, "a repository already exists at " + path);
  Options o = options;
  o.create = true;
  return open(path, o);
}

Result<std::unique_ptr<Repo>> Repo::open(const std::string& path, const Options& options) {
  std::unique_ptr<Repo> r(new Repo());
  r->path_ = path;
  r->config_path_ = options.config_path.empty() ? path + "/config.json" : options.config_path;
  if (!exists(path)) {
    if (!options.create) return not_found("no repository at " + path + " (run `ipfs-kit init`)");
    TRY_STATUS(make_dirs(path, 0700));
    TRY_STATUS(make_dir(path + "/blocks", 0755));
    TRY_STATUS(make_dir(path + "/keystore", 0700));
    TRY_STATUS(make_dir(path + "/logs", 0755));
  }
  // Configuration: written with defaults on first use.
  struct stat st;
  if (::stat(r->config_path_.c_str(), &st) != 0) {
    Config defaults = Config::defaults();
    TRY_STATUS(defaults.save(r->config_path_));
  }
  r->config_ = TRY(Config::load(r->config_path_));

  // Identity: created once; a concurrent creator wins and we load its key.
  const std::string key = path + "/keystore/self.key";
  auto id = Identity::load(key);
  if (!id && id.error().code() == Code::kNotFound) {
    id = Identity::create(key);
    if (!id && id.error().code() == Code::kAlreadyExists) id = Identity::load(key);
  }
  if (!id) return tl::unexpected(id.error());
  r->identity_ = std::move(*id);

  r->db_ = TRY(sql::Database::open(path + "/index.sqlite", /*create=*/true));
  TRY_STATUS(r->db_->exec(kSchema));
  r->blocks_ = std::make_unique<PackStore>(path + "/blocks", *r->db_, path + "/gc.lock");
  r->pins_ = std::make_unique<PinIndex>(*r->db_);
  return r;
}

Result<std::optional<std::string>> meta_get(sql::Database& db, std::string_view key) {
  auto st = TRY(db.prepare("SELECT value FROM meta WHERE key = ?1"));
  st.bind(1, key);
  if (!TRY(st.step())) return std::optional<std::string>();
  return std::optional<std::string>(st.column_text(0));
}

Status meta_set(sql::Database& db, std::string_view key, std::string_view value) {
  auto st = TRY(db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)"));
  return st.bind(1, key).bind(2, value).run();
}

}  // namespace ipfskit::repo
