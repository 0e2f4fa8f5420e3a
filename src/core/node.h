// The embedded IPFS node: one API over the repository for every front end
// (the CLI, and later the daemon's RPC, gateway and MCP server).
//
// Writes hold the repository's shared GC lock for their duration, so garbage
// collection never removes a block an add is writing. Reads verify every
// block they return. All methods are safe to call from several threads.
//
// Reads fall back (core/fallback.h): content reads (resolve, cat, stat, ls,
// lookup, get, get_tar, block_get, dag_export, dag_stat, refs) take a block
// the repository lacks from the fallback, when one is installed. Pin checks,
// pin verification, garbage collection and repository verification look at
// the repository alone: they report what is HERE.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/cancel.h"
#include "base/error.h"
#include "base/io.h"
#include "base/thread_pool.h"
#include "core/fallback.h"
#include "repo/repo.h"
#include "unixfs/exporter.h"
#include "unixfs/importer.h"

namespace ipfskit::core {

// The `meta` key holding the MFS root CID (see src/mfs/mfs.h). Garbage
// collection keeps everything reachable from it.
inline constexpr std::string_view kMfsRootKey = "mfs_root";

struct AddOptions {
  unixfs::ImportOptions import;
  bool only_hash = false;  // compute CIDs, store nothing
  bool pin = true;         // pin the root (recursively)
  std::optional<std::string> pin_name;
  std::map<std::string, std::string> pin_meta;
  const CancelToken* cancel = nullptr;  // checked between blocks: Cancelled, nothing pinned
};

// One item's outcome in a batch (pins, block removals): OK or why not.
using ItemFn = std::function<void(const Cid&, const Status&)>;

struct BlockStat {
  Cid cid;
  uint64_t size = 0;
};

struct DagStat {
  Cid root;
  uint64_t blocks = 0;
  uint64_t size = 0;  // bytes of all unique blocks
};

struct ImportReport {
  uint64_t blocks = 0;
  uint64_t bytes = 0;
  std::vector<Cid> roots;
};

struct PinListOptions {
  repo::PinFilter filter;
  bool indirect = true;  // also list blocks under recursive pins (type "all" or "indirect")
  bool explicit_pins = true;
};

// One line of `pin ls`: an explicit pin or a derived (indirect) one.
struct PinEntry {
  Cid cid;
  std::string type;  // "recursive", "direct" or "indirect"
  std::optional<repo::PinInfo> info;  // explicit pins only
};

struct PinVerifyResult {
  Cid cid;
  bool ok = true;
  std::vector<std::string> problems;  // "missing block X", "corrupt block Y"
};

struct GcReport {
  uint64_t removed_blocks = 0;
  uint64_t removed_bytes = 0;
  uint64_t reclaimed_bytes = 0;  // pack space given back to the file system
};

struct RepoStat {
  uint64_t blocks = 0;
  uint64_t block_bytes = 0;   // sum of block sizes
  uint64_t disk_bytes = 0;    // pack files and index on disk
  uint64_t pins = 0;
  std::string path;
};

struct VerifyReport {
  uint64_t checked = 0;
  uint64_t bad = 0;
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> open(const std::string& repo_path, const std::string& config_path = "",
                                            size_t workers = 0, bool create = true);
  repo::Repo& repo() { return *repo_; }
  size_t workers() const { return workers_; }

  // ---- reads that fall back (core/fallback.h) ----
  // Installs (nullptr: removes) where content reads find blocks the
  // repository does not have.
  void set_fallback(std::shared_ptr<BlockFallback> fallback, FallbackOptions options = {});
  // The repository's blocks, then the fallback: for readers outside the node
  // (the gateway's CARs, the FUSE mount).
  BlockSource& reader() { return *reader_; }
  ReadThroughSource& read_through() { return *reader_; }

  // ---- content ----
  Result<unixfs::NodeRef> add_paths(const std::vector<std::string>& paths, const AddOptions& options,
                                    const unixfs::AddedFn& on_added, const unixfs::ProgressFn& progress = nullptr);
  Result<unixfs::NodeRef> add_stream(ByteReader& input, const std::string& name, const AddOptions& options,
                                     const unixfs::AddedFn& on_added, const unixfs::ProgressFn& progress = nullptr);

  // An upload's entries (the RPC's multipart add), streamed.
  Result<unixfs::NodeRef> add_entries(unixfs::UploadSource& source, const AddOptions& options,
                                      const unixfs::AddedFn& on_added, const unixfs::ProgressFn& progress = nullptr);

  // "CID", "CID/a/b", "/ipfs/CID/a/b".
  Result<Cid> resolve(std::string_view path);
  Status cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length, const unixfs::ContentFn& out);
  // A file's bytes as verified pieces, each with where it lies in a pack
  // file (for senders that can send from there: the gateway's sendfile).
  Status cat_pieces(const Cid& file, uint64_t offset, std::optional<uint64_t> length, const unixfs::PieceFn& out);
  Result<unixfs::NodeInfo> stat(const Cid& cid);
  Status ls(const Cid& dir, const unixfs::EntryFn& fn);
  // One entry of a directory by name; nullopt when absent.
  Result<std::optional<unixfs::DirEntry>> lookup(const Cid& dir, std::string_view name);
  Result<std::string> read_symlink(const Cid& cid);
  // Writes the file, directory or symlink at `path` to `out` (which must not
  // exist). Names from the DAG are untrusted: a name that is empty, ".", "..",
  // or contains '/' or NUL is refused, and nothing is written outside `out`.
  Status get(std::string_view path, const std::string& out, const unixfs::ProgressFn& progress = nullptr);

  // The file, directory or symlink at `path` as a tar stream (the RPC's
  // `get`) whose top entry is called `name`. Unsafe entry names are refused.
  Status get_tar(std::string_view path, const std::string& name, const std::function<Status(ByteView)>& out);

  // ---- blocks and DAGs ----
  // `local_only`: the repository alone (Kubo's --offline; requests that are
  // themselves another node's fallback).
  Result<Bytes> block_get(const Cid& cid, bool local_only = false);
  Result<Cid> block_put(ByteView data, uint64_t codec, uint64_t hash, int cid_version, bool pin);
  Result<BlockStat> block_stat(const Cid& cid);
  Status block_rm(const Cid& cid);
  // Kubo's `dag export`: CARv1 with the root, blocks depth first, each once.
  Status dag_export(const Cid& root, const std::function<Status(ByteView)>& out, bool local_only = false);
  // CARv2 with an index, written to a seekable file descriptor.
  Status dag_export_v2(const Cid& root, int fd, const std::string& name);
  // Imports CARs: every block's hash is verified before it is stored; roots
  // are pinned recursively when `pin_roots` (each root's DAG must be complete).
  Result<ImportReport> dag_import(ByteReader& car, bool pin_roots,
                                  const std::function<void(const Cid& root, const Status& pinned)>& on_root = nullptr);
  Result<DagStat> dag_stat(const Cid& root);
  Status refs(const Cid& root, bool recursive, bool unique, const std::function<Status(const Cid&)>& fn);
  Status refs_local(const std::function<Status(const Cid&)>& fn);

  // ---- pins ----
  // Recursive pins need the whole DAG present; direct pins the block.
  // Every request is checked first. With `all_or_nothing`, one that cannot be
  // pinned fails the call and nothing is recorded. Otherwise those that can
  // be pinned are recorded and the others reported: `on_result` gets every
  // item's outcome, a success once its pin is recorded (in batches: a
  // progress signal). Cancellation stops between items; what was recorded
  // stays.
  Status pin_add(const std::vector<repo::PinRequest>& pins, const ItemFn& on_result = nullptr,
                 bool all_or_nothing = true, const CancelToken* cancel = nullptr);
  // Unpins all of `cids`, or (all_or_nothing) fails with NotFound naming the
  // first that is not pinned and removes nothing.
  Result<std::vector<Cid>> pin_rm(const std::vector<Cid>& cids);
  // Unpins each CID; one that is not pinned is reported as NotFound.
  Status pin_rm_each(const std::vector<Cid>& cids, const ItemFn& on_result);
  Status pin_ls(const PinListOptions& options, const std::function<Status(const PinEntry&)>& fn);
  // Pins `to` like `from` (type, name, metadata), then unpins `from` unless !unpin.
  Status pin_update(const Cid& from, const Cid& to, bool unpin);
  Status pin_verify(const std::function<Status(const PinVerifyResult&)>& fn, bool only_failures = false);

  // ---- repository ----
  // Stores the empty UnixFS directory (QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn)
  // when it is missing. Health checks resolve it (as Kubo's container health
  // check does), so the daemon stores it at start and gc() never removes it.
  Status ensure_empty_directory();
  Result<GcReport> gc(const std::function<void(const Cid&)>& on_removed = nullptr);
  Result<RepoStat> repo_stat();
  // Re-hashes every block; `on_bad` names each bad block.
  Result<VerifyReport> repo_verify(const std::function<void(const Cid&, const Error&)>& on_bad);

 private:
  Node() = default;
  ThreadPool& pool();
  unixfs::Exporter exporter();

  std::unique_ptr<repo::Repo> repo_;
  std::unique_ptr<ReadThroughSource> reader_;  // over repo_'s blocks: declared after it, destroyed first
  size_t workers_ = 1;
  std::unique_ptr<ThreadPool> pool_;
  std::mutex pool_mu_;
};

}  // namespace ipfskit::core
