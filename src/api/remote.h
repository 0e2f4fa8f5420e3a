// The client API over a running daemon (see client.h): Kubo RPC for content,
// pins, blocks, DAGs and the repository; the management API for
// configuration and operations.
//
// Nothing the daemon sends is trusted more than a block from any other node:
// blocks read through it (block_get, and the blocks behind stat, ls,
// resolve and get) are hash-checked here, and malformed replies are
// Corruption errors, never crashes or silently wrong results.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "api/client.h"
#include "client/http_client.h"

namespace ipfskit::api {

struct RemoteEndpoints {
  std::string api;    // "host:port" of the management API
  std::string rpc;    // "host:port" of the Kubo RPC
  std::string token;  // bearer token ("" when the daemon needs none)
};

class RemoteClient : public Client {
 public:
  explicit RemoteClient(RemoteEndpoints endpoints);

  std::string_view where() const override { return "daemon"; }

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
  // POST /replication/sync?progress=true: progress lines, then the report.
  // Leaving (cancel, or this process ending) closes the connection, and the
  // daemon cancels the pass at its next progress report.
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
  // POST /backends/NAME/restore: JSON lines as the daemon works ({"pin"},
  // {"progress"}), then {"summary"} (or {"error", "code"}).
  Result<nlohmann::json> backend_restore(const std::string& name, const BackendRestoreRequest& request) override;

  // ---- the wire, for commands built on this client ----
  using Params = std::vector<std::pair<std::string, std::string>>;
  // Runs an RPC command: `params` in the query string, each JSON line of the
  // reply to `on_line`, an upload (when given) streamed as the
  // multipart/form-data body. A mid-stream error (X-Stream-Error) fails the
  // call after the lines before it were delivered.
  Status rpc_lines(const std::string& command, const Params& params,
                   const std::function<Status(const nlohmann::json&)>& on_line, unixfs::UploadSource* upload = nullptr,
                   const CancelToken* cancel = nullptr);
  // Runs an RPC command whose reply is bytes (cat, block/get, dag/export).
  Status rpc_bytes(const std::string& command, const Params& params, const std::function<Status(ByteView)>& out);
  // A management API document; a 503 that carries a JSON document (an
  // unhealthy report) is still a document.
  Result<nlohmann::json> api_json(const std::string& method, const std::string& path, const std::string& body = "");
  // A management API route that streams its work as JSON lines (the
  // daemon's ndjson_reply): POSTs to `path`, hands each {"KEY": {...}} line
  // to handlers' KEY (on this thread; unknown keys are skipped), and returns
  // the {"summary"} document, or the {"error", "code"} line's error, or the
  // error of a reply that was not 2xx. `cancel` is checked after each line;
  // returning closes the connection, which cancels the daemon's work.
  using StreamHandlers = std::map<std::string, std::function<void(const nlohmann::json&)>>;
  Result<nlohmann::json> api_stream(const std::string& path, const StreamHandlers& handlers, const CancelToken* cancel,
                                    const char* what);

 private:
  client::HttpClient rpc_, api_;
};

}  // namespace ipfskit::api
