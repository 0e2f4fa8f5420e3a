// The client API on the repository itself (see client.h).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "api/client.h"
#include "core/node.h"

namespace ipfskit::backends {
class Backend;
}

namespace ipfskit::api {

struct LocalOptions {
  std::string repo_path;
  std::string config_flag;  // --config; "" for <repo>/config.json
  size_t workers = 0;       // hashing threads; 0 for one per CPU
};

class LocalClient : public Client {
 public:
  // Opens the repository on first use (creating it when absent). Operations
  // need a daemon and answer Unavailable, except log_lines, which reads the
  // log files directly.
  explicit LocalClient(LocalOptions options);
  // Over an open node (the daemon's own, which must outlive this client);
  // operations go to `ops` (the daemon's state).
  LocalClient(core::Node& node, Operations& ops, std::string config_path);
  ~LocalClient() override;

  // The node, opening the repository on first use.
  Result<core::Node*> node();

  // "daemon" when this client is the daemon's own (it has the daemon's
  // Operations): its writes are the daemon's.
  std::string_view where() const override { return ops_ != nullptr ? "daemon" : "local"; }

  Result<Cid> add(const AddRequest& request) override;
  Result<Cid> resolve(std::string_view path) override;
  Result<unixfs::NodeInfo> stat(std::string_view path) override;
  Status cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length,
             const unixfs::ContentFn& out) override;
  Status ls(std::string_view path, const unixfs::EntryFn& fn) override;
  Status get(std::string_view path, const std::string& out, const unixfs::ProgressFn& progress) override;
  Status refs(std::string_view path, bool recursive, bool unique, const std::function<Status(const Cid&)>& fn) override;
  Status refs_local(const std::function<Status(const Cid&)>& fn) override;

  Result<Bytes> block_get(const Cid& cid) override;
  Result<core::BlockStat> block_put(ByteView data, const BlockPutRequest& request) override;
  Result<core::BlockStat> block_stat(const Cid& cid) override;
  Status block_rm(const std::vector<Cid>& cids, const ItemFn& on_result) override;
  Status dag_export(const Cid& root, const std::function<Status(ByteView)>& out) override;
  Result<core::ImportReport> dag_import(ByteReader& car, bool pin_roots,
                                        const std::function<void(const Cid&, const Status&)>& on_root,
                                        const CancelToken* cancel) override;
  Result<core::DagStat> dag_stat(const Cid& root) override;

  Status pin_add(const std::vector<repo::PinRequest>& pins, const ItemFn& on_result, const CancelToken* cancel) override;
  Status pin_rm(const std::vector<Cid>& cids, const ItemFn& on_result) override;
  Status pin_ls(const core::PinListOptions& options, const std::function<Status(const core::PinEntry&)>& fn) override;
  Status pin_update(const Cid& from, const Cid& to, bool unpin) override;
  Status pin_verify(const std::function<Status(const core::PinVerifyResult&)>& fn) override;

  Result<core::GcReport> gc(const std::function<void(const Cid&)>& on_removed) override;
  Result<core::RepoStat> repo_stat() override;
  Result<core::VerifyReport> repo_verify(const std::function<void(const Cid&, const Error&)>& on_bad) override;
  Result<nlohmann::json> id() override;

  Result<nlohmann::json> config_show() override;
  Result<nlohmann::json> config_get(const std::string& key) override;
  Result<nlohmann::json> config_set(const std::string& key, const std::string& value) override;

  Result<std::string> psa_token_create(const std::string& name) override;
  Status psa_token_remove(const std::string& name) override;
  Result<nlohmann::json> psa_tokens() override;

  // MFS (api/files.cc).
  Result<mfs::Stat> files_stat(std::string_view path) override;
  Status files_ls(std::string_view path, bool with_details, const std::function<Status(const mfs::Listing&)>& fn) override;
  Status files_read(std::string_view path, uint64_t offset, std::optional<uint64_t> count,
                    const std::function<Status(ByteView)>& out) override;
  Status files_write(std::string_view path, ByteReader& data, const mfs::WriteOptions& options) override;
  Status files_mkdir(std::string_view path, const mfs::MkdirOptions& options) override;
  Status files_cp(std::string_view src, std::string_view dst, bool force, bool parents) override;
  Status files_mv(std::string_view src, std::string_view dst) override;
  Status files_rm(const std::vector<std::string>& paths, bool recursive, bool force) override;
  Result<Cid> files_flush(std::string_view path) override;
  Status files_chcid(std::string_view path, const mfs::CidPrefix& prefix) override;
  Status files_touch(std::string_view path, int64_t seconds, std::optional<uint32_t> nanos) override;
  Status files_chmod(std::string_view path, uint32_t mode) override;

  Result<nlohmann::json> health() override;
  Result<nlohmann::json> status() override;
  Result<nlohmann::json> backends(bool check_now) override;
  Result<nlohmann::json> set_backend_running(const std::string& name, bool running) override;
  Result<nlohmann::json> replication_status() override;
  Result<nlohmann::json> replication_sync(const ReplicationSyncRequest& request) override;
  Result<nlohmann::json> replication_status_of(const Cid& cid) override;
  Result<nlohmann::json> route_suggest(uint64_t size) override;
  Result<nlohmann::json> route_optimize(const std::vector<Cid>& cids, bool apply, const CancelToken* cancel) override;
  Result<std::string> metrics() override;
  Result<std::vector<std::string>> log_lines(const LogQuery& q) override;
  Result<nlohmann::json> backend_check(const std::string& name) override;
  Result<nlohmann::json> health_alerts() override;
  Result<nlohmann::json> backend_pins(const std::string& name) override;
  Result<nlohmann::json> backend_push(const std::string& name, const BackendPushRequest& request) override;
  Result<nlohmann::json> backend_unpin(const std::string& name, const Cid& cid) override;
  Result<nlohmann::json> backend_verify(const std::string& name, const Cid& cid) override;
  Result<nlohmann::json> backend_usage(const std::string& name) override;
  Result<Bytes> backend_block(const std::string& name, const Cid& cid) override;
  // Inside the daemon: its Operations. Standalone: the backend is built from
  // the configuration (retrieval/sources.h) and the restore runs here.
  Result<nlohmann::json> backend_restore(const std::string& name, const BackendRestoreRequest& request) override;

 private:
  Result<Operations*> ops();

  LocalOptions o_;
  std::string config_path_;
  std::mutex mu_;
  std::unique_ptr<core::Node> owned_;
  core::Node* node_ = nullptr;
  Operations* ops_ = nullptr;
};

// The configuration document with secrets (the API token, backend
// credentials) replaced by "(set)": what config show/get and the API print.
nlohmann::json redact_config(const nlohmann::json& doc);

// Restores into `node` every pin `backend` holds (retrieval/restore.h),
// reporting as BackendRestoreRequest says: LocalClient's and the daemon's
// backend_restore.
Result<nlohmann::json> restore_from_backend(backends::Backend& backend, core::Node& node,
                                            const BackendRestoreRequest& request);

// The last `q.lines` lines of the daemon's (or a backend's) log under
// `repo_path`, filtered by level.
Result<std::vector<std::string>> read_log_lines(const std::string& repo_path, const LogQuery& q);

}  // namespace ipfskit::api
