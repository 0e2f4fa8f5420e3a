// The one client API (Kubo's coreiface pattern): every front end (the CLI,
// the MCP server, the dashboard, the FUSE mount) calls this and never asks
// where the work happens.
//
// Implementations (see local.h, remote.h, open.h):
//  - LocalClient works on the repository directly through core::Node. Inside
//    the daemon it is also given the daemon's Operations (backends, health,
//    replication, metrics, logs); standalone, those answer Unavailable.
//  - RemoteClient talks to a running daemon: Kubo RPC (/api/v0) for content,
//    pins, blocks, DAGs and the repository; the management API for the rest.
//  - open() picks for a repository: with a daemon running on it, writes and
//    operations go to the daemon while reads stay local (retrieval never
//    needs the daemon, and reading the repository directly is safe while the
//    daemon writes); without a daemon, everything is local.
// One conformance suite (tests/unit/api_conformance_test.cc) runs against
// LocalClient and RemoteClient and checks they answer alike.
//
// Errors: the same Code on both sides (the RPC carries it in its error
// object's "Kind", the management API in "code"), so a front end reports a
// failure identically wherever it happened. Operations that need a daemon
// answer Unavailable, with how to start one, when there is none.
//
// Thread safety: every method may be called from several threads at once.
// Callbacks are called on the calling thread unless a method says otherwise;
// a callback's error stops the operation and is returned.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/cancel.h"
#include "base/error.h"
#include "base/io.h"
#include "blockstore/blockstore.h"
#include "core/add_options.h"
#include "core/node.h"
#include "mfs/mfs.h"
#include "multiformats/cid.h"
#include "repo/pins.h"
#include "unixfs/exporter.h"
#include "unixfs/importer.h"

namespace ipfskit::api {

// ---- requests ----

// An add: local paths (walked on the caller's side and, for a daemon,
// streamed to it as Kubo's multipart upload), or one stream.
struct AddRequest {
  std::vector<std::string> paths;  // files or directories; empty: `stream`
  ByteReader* stream = nullptr;    // read to its end when `paths` is empty
  std::string stream_name;         // the stream's output name ("" prints its CID)
  core::AddParams params;          // import flags as given; unset = config, then profile
  bool only_hash = false;          // compute CIDs, store nothing (always local)
  bool pin = true;                 // pin the root recursively
  std::optional<std::string> pin_name;
  std::map<std::string, std::string> pin_meta;
  unixfs::AddedFn on_added;        // every entry, in Kubo's order (may be empty)
  unixfs::ProgressFn progress;     // bytes just read, as they are read (possibly from worker threads)
  const CancelToken* cancel = nullptr;
};

struct BlockPutRequest {
  uint64_t codec = 0x55;     // multicodec of the block (raw)
  uint64_t hash = 0x12;      // multihash function (sha2-256)
  int cid_version = 1;
  bool pin = false;          // pin directly
};

// The outcome of one item of a batch (pin add, pin rm, block rm): the
// item's CID, and OK or why it failed. A failing item does not stop the
// others; an error returned by the call itself (I/O, daemon gone) does.
using ItemFn = std::function<void(const Cid&, const Status&)>;

// ---- operations (the daemon's state) ----
//
// Documents are JSON with the management API's shapes (what GET /health,
// /backends/health, /replication/status, /status return), so every front end
// shows the same fields.
struct LogQuery {
  size_t lines = 20;        // the last N lines
  std::string level;        // "" for all; else DEBUG|INFO|WARNING|ERROR
  std::string backend;      // "" for the daemon's log; else a backend's log
};

// `backend push`: copy a local DAG to one backend and pin it there.
struct BackendPushRequest {
  Cid cid;
  std::optional<std::string> name;                         // default: the local pin's name
  std::optional<std::map<std::string, std::string>> meta;  // default: the local pin's metadata
  bool verify = true;        // prove the copy (read it back, unless the protocol proved it)
  int replication_min = 0;   // ipfs_cluster's replication-min/-max; 0: the cluster's defaults
  int replication_max = 0;
};

// `backend restore`: every pin a backend holds, back into the repository
// (names, metadata, content; retrieval/restore.h has the semantics).
struct BackendRestoreRequest {
  bool dry_run = false;  // report what would be restored; change nothing
  // Each pin's outcome as it is decided: {"cid", "name", "meta", "status"
  // (restored|complete|would_restore|skipped|failed), "blocks",
  // "blocks_fetched", "bytes_fetched", "blocks_repaired", "missing",
  // "corrupt", "error", "code"}. On the calling thread.
  std::function<void(const nlohmann::json&)> on_pin;
  // {"pins_done", "pins_total", "blocks_checked", "blocks_fetched",
  // "bytes_fetched"}, a few times a second at most (serialized, on any thread).
  std::function<void(const nlohmann::json&)> on_progress;
  const CancelToken* cancel = nullptr;
};

// `replication sync`: one reconciler pass now (replication/reconciler.h).
struct ReplicationSyncRequest {
  // {"pins_done", "pins_total", "seconds"} as pins are finished: pins_total
  // is the number of pins that needed work (the report's "checked"), seconds
  // the time since the pass began. A few times a second at most, and always
  // when the last pin is done; none when no pin needed work (serialized, on
  // any thread).
  std::function<void(const nlohmann::json&)> on_progress;
  // Stops the pass between pins; the report then says "cancelled". Null: only
  // the daemon's shutdown stops it.
  const CancelToken* cancel = nullptr;
};

class Operations {
 public:
  virtual ~Operations() = default;
  virtual Result<nlohmann::json> health() = 0;                        // GET /health
  virtual Result<nlohmann::json> status() = 0;                        // GET /status
  virtual Result<nlohmann::json> backends(bool check_now) = 0;        // {"name": {...}, ...}
  virtual Result<nlohmann::json> set_backend_running(const std::string& name, bool running) = 0;
  virtual Result<nlohmann::json> replication_status() = 0;
  // One pass now; its report (POST /replication/sync): {"status"
  // (completed|cancelled), "checked", "copied", "pending", "failed",
  // "removed", "under_replicated", "errors", "seconds", ...}.
  virtual Result<nlohmann::json> replication_sync(const ReplicationSyncRequest& request) = 0;
  // One pin: {"cid", "policy": {"min", "max", "allocations"}, "verified",
  // "meets_minimum", "replicas": [route inspect's documents], "issue"}
  // (GET /replication/status?cid=CID). NotFound when the CID is not pinned.
  virtual Result<nlohmann::json> replication_status_of(const Cid& cid) = 0;
  // Where a new pin of `size` bytes would go, and why: {"size", "policy",
  // "plan": {"add", "needed", "wanted", "available", "error", "reasons"}}
  // (GET /route/suggest?size=N).
  virtual Result<nlohmann::json> route_suggest(uint64_t size) = 0;
  // What would move the pins (`cids`, or every pin that needs work) toward
  // their policy: {"applied", "plans": [{"cid", "plan"}]}; with `apply`
  // the moves are made (POST /route/optimize {"cids", "apply"}).
  virtual Result<nlohmann::json> route_optimize(const std::vector<Cid>& cids, bool apply, const CancelToken* cancel) = 0;
  virtual Result<std::string> metrics() = 0;                          // Prometheus text
  virtual Result<std::vector<std::string>> log_lines(const LogQuery& q) = 0;

  // ---- one backend (backends/backend.h; documents as GET /backends/NAME/...) ----
  // A health round for `name` alone, then its document (as in backends()).
  virtual Result<nlohmann::json> backend_check(const std::string& name) = 0;
  // {"active": [...], "recent": [...]}: outages (GET /health/alerts).
  virtual Result<nlohmann::json> health_alerts() = 0;
  // {"backend", "pins": [{"cid", "name", "meta", "status"}...]}: what it holds.
  virtual Result<nlohmann::json> backend_pins(const std::string& name) = 0;
  // The receipt: {"status", "blocks", "bytes", "verified_by", "verified_at", ...}.
  virtual Result<nlohmann::json> backend_push(const std::string& name, const BackendPushRequest& request) = 0;
  virtual Result<nlohmann::json> backend_unpin(const std::string& name, const Cid& cid) = 0;
  // The read-back report: {"ok", "blocks", "bytes", "missing", "corrupt", ...}.
  virtual Result<nlohmann::json> backend_verify(const std::string& name, const Cid& cid) = 0;
  // {"backend", "usage": {"bytes_used", "bytes_free", "bytes_limit", "blocks", "pins"}}.
  virtual Result<nlohmann::json> backend_usage(const std::string& name) = 0;
  // One block from the backend, hash-checked.
  virtual Result<Bytes> backend_block(const std::string& name, const Cid& cid) = 0;
  // Restores every pin the backend holds into the repository; the summary:
  // {"backend", "dry_run", "pins", "restored", "complete", "would_restore",
  // "skipped", "failed", "blocks_fetched", "bytes_fetched",
  // "blocks_repaired", "seconds"}. A pin that fails is reported through
  // on_pin and counted, not returned as an error. Needs no daemon:
  // LocalClient builds the backend from the configuration when none runs.
  virtual Result<nlohmann::json> backend_restore(const std::string& name, const BackendRestoreRequest& request) {
    (void)name;
    (void)request;
    return unsupported("this client cannot restore from backends");
  }
};

class Client : public Operations {
 public:
  ~Client() override = default;

  // "local" or "daemon": where writes go (for messages and tests).
  virtual std::string_view where() const = 0;

  // ---- content ----
  // Returns the root: the last entry reported (the -w wrapper, or the last input).
  virtual Result<Cid> add(const AddRequest& request) = 0;
  // "CID", "CID/a/b", "/ipfs/CID/a/b".
  virtual Result<Cid> resolve(std::string_view path) = 0;
  virtual Result<unixfs::NodeInfo> stat(std::string_view path) = 0;
  // Bytes [offset, offset + length) of a file; an offset past the end is an error.
  virtual Status cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length,
                     const unixfs::ContentFn& out) = 0;
  virtual Status ls(std::string_view path, const unixfs::EntryFn& fn) = 0;
  // Writes the file, directory or symlink at `path` to the local path `out`
  // (which must not exist). Names from the DAG are untrusted: nothing is
  // written outside `out`.
  virtual Status get(std::string_view path, const std::string& out, const unixfs::ProgressFn& progress) = 0;
  virtual Status refs(std::string_view path, bool recursive, bool unique, const std::function<Status(const Cid&)>& fn) = 0;
  virtual Status refs_local(const std::function<Status(const Cid&)>& fn) = 0;

  // ---- blocks and DAGs ----
  virtual Result<Bytes> block_get(const Cid& cid) = 0;
  virtual Result<core::BlockStat> block_put(ByteView data, const BlockPutRequest& request) = 0;
  virtual Result<core::BlockStat> block_stat(const Cid& cid) = 0;
  // Each CID's outcome goes to `on_result` (NotFound for an absent block,
  // refused for a pinned one).
  virtual Status block_rm(const std::vector<Cid>& cids, const ItemFn& on_result) = 0;
  // CARv1 of the DAG (Kubo's `dag export`).
  virtual Status dag_export(const Cid& root, const std::function<Status(ByteView)>& out) = 0;
  // Every block's hash is checked before it is stored; `on_root` gets each
  // root and whether pinning it worked.
  virtual Result<core::ImportReport> dag_import(ByteReader& car, bool pin_roots,
                                                const std::function<void(const Cid&, const Status&)>& on_root,
                                                const CancelToken* cancel = nullptr) = 0;
  virtual Result<core::DagStat> dag_stat(const Cid& root) = 0;

  // ---- pins ----
  // Pins each request (recursive pins need the whole DAG present). A pin that
  // cannot be made is reported through `on_result` and the others proceed.
  virtual Status pin_add(const std::vector<repo::PinRequest>& pins, const ItemFn& on_result,
                         const CancelToken* cancel = nullptr) = 0;
  // Unpins each CID; one that is not pinned is reported as NotFound.
  virtual Status pin_rm(const std::vector<Cid>& cids, const ItemFn& on_result) = 0;
  virtual Status pin_ls(const core::PinListOptions& options, const std::function<Status(const core::PinEntry&)>& fn) = 0;
  virtual Status pin_update(const Cid& from, const Cid& to, bool unpin) = 0;
  virtual Status pin_verify(const std::function<Status(const core::PinVerifyResult&)>& fn) = 0;

  // ---- repository and node ----
  virtual Result<core::GcReport> gc(const std::function<void(const Cid&)>& on_removed) = 0;
  virtual Result<core::RepoStat> repo_stat() = 0;
  virtual Result<core::VerifyReport> repo_verify(const std::function<void(const Cid&, const Error&)>& on_bad) = 0;
  // Kubo's `id` document: ID, PublicKey, Addresses, AgentVersion, Protocols.
  virtual Result<nlohmann::json> id() = 0;

  // ---- configuration ----
  // The whole document, secrets replaced by "(set)".
  virtual Result<nlohmann::json> config_show() = 0;
  // One key or section (secrets redacted); InvalidArgument for an unknown key.
  virtual Result<nlohmann::json> config_get(const std::string& key) = 0;
  // Validates and stores; returns the stored value. The file is untouched
  // when the value is refused. A running daemon applies it (or names the
  // restart it needs).
  virtual Result<nlohmann::json> config_set(const std::string& key, const std::string& value) = 0;

  // ---- the Pinning Service API's access tokens ----
  // Makes a token named `name` and returns it (it is shown once: only its
  // hash is kept). AlreadyExists when the name is taken.
  virtual Result<std::string> psa_token_create(const std::string& name) = 0;
  // Revokes the token; its pin requests, and the pins they alone held, go.
  virtual Status psa_token_remove(const std::string& name) = 0;
  // [{"name", "created"}], by name.
  virtual Result<nlohmann::json> psa_tokens() = 0;

  // ---- MFS (Kubo's `ipfs files`; mfs/mfs.h has the semantics) ----
  // Every change is durable when it returns. Reads take MFS paths or
  // "/ipfs/<cid>/..." paths. ls `with_details`: each entry's type, size and
  // CID (ls -l). LocalClient and RemoteClient implement them (api/files.cc);
  // a client without MFS answers Unsupported.
  virtual Result<mfs::Stat> files_stat(std::string_view) { return unsupported("this client has no MFS"); }
  virtual Status files_ls(std::string_view, bool, const std::function<Status(const mfs::Listing&)>&) {
    return unsupported("this client has no MFS");
  }
  virtual Status files_read(std::string_view, uint64_t, std::optional<uint64_t>, const std::function<Status(ByteView)>&) {
    return unsupported("this client has no MFS");
  }
  virtual Status files_write(std::string_view, ByteReader&, const mfs::WriteOptions&) { return unsupported("this client has no MFS"); }
  virtual Status files_mkdir(std::string_view, const mfs::MkdirOptions&) { return unsupported("this client has no MFS"); }
  virtual Status files_cp(std::string_view, std::string_view, bool, bool) { return unsupported("this client has no MFS"); }
  virtual Status files_mv(std::string_view, std::string_view) { return unsupported("this client has no MFS"); }
  virtual Status files_rm(const std::vector<std::string>&, bool, bool) { return unsupported("this client has no MFS"); }
  virtual Result<Cid> files_flush(std::string_view) { return unsupported("this client has no MFS"); }
  virtual Status files_chcid(std::string_view, const mfs::CidPrefix&) { return unsupported("this client has no MFS"); }
  virtual Status files_touch(std::string_view, int64_t, std::optional<uint32_t>) { return unsupported("this client has no MFS"); }
  virtual Status files_chmod(std::string_view, uint32_t) { return unsupported("this client has no MFS"); }
};

// Any client's blocks as a BlockSource (for walks and readers that take one:
// CARv2 export, exporters over a remote daemon). Blocks come from
// Client::block_get, which returns only verified bytes.
class ClientBlockSource : public BlockSource {
 public:
  explicit ClientBlockSource(Client& client) : client_(client) {}
  Result<Bytes> get(const Cid& cid) override { return client_.block_get(cid); }
  Result<bool> has(const Cid& cid) override {
    auto st = client_.block_stat(cid);
    if (st) return true;
    if (st.error().code() == Code::kNotFound) return false;
    return tl::unexpected(st.error());
  }

 private:
  Client& client_;
};

}  // namespace ipfskit::api
