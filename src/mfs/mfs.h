// MFS, the mutable file system over UnixFS (Kubo's `ipfs files`; boxo mfs/).
//
// A tree of ordinary UnixFS directories and files whose root CID is kept in
// the index (`meta` key core::kMfsRootKey; empty repository: Kubo's empty
// directory QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn). Every change is
// copy-on-write: new blocks for the changed node and its ancestors, then the
// new root.
//
// Durability and crash safety: a change writes its blocks in one WriteBatch
// and records the new root in the SAME SQLite transaction that commits them
// (after the pack is fdatasync'ed). A crash leaves the old root or the new
// one, never a root naming missing blocks, never a torn file. So every
// operation is flushed when it returns: `--flush=false` is accepted for
// Kubo compatibility and changes nothing (Kubo then keeps changes in memory).
//
// Concurrency: changes are serialized across processes by an exclusive flock
// on <repo>/mfs.lock (the CLI, the daemon and a FUSE mount may share a
// repository) and hold the shared GC lock while they write, so garbage
// collection (which keeps everything under the root) never runs between a
// change's blocks and its root. Reads take no lock: they read the root named
// in the index at that moment. Every method is thread safe.
//
// Paths: MFS paths are absolute ("/a/b"); "." and ".." are resolved as Kubo
// does (path.Clean), empty components ignored. Reading operations (stat, ls,
// read, cp's source) also take content paths "/ipfs/<cid>[/path]".
//
// Layouts (Kubo's semantics, core/commands/files.go and boxo mfs/):
//  - Files written by write()/replace_file() are trickle DAGs, as `files
//    write` builds them (boxo ipld/unixfs/mod's DagModifier appends with
//    trickle.Append): a file written in one go from empty equals `add
//    --trickle` of its bytes under the same CID version, hash and leaves.
//    A write into the middle of an existing file re-lays the whole file out
//    (same bytes; Kubo patches leaves in place, so that CID can differ).
//    Leaves are raw for CIDv1 and dag-pb for CIDv0 unless --raw-leaves says
//    otherwise (or config import.raw_leaves); trickle nodes take 174 links.
//  - A new file or directory takes its parent's CID version and hash unless
//    given; directories become HAMT shards past the configured threshold and
//    back, as boxo's dynamic directory does.
//  - A file's mode and mtime (chmod, touch) survive rewrites.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/io.h"
#include "codec/unixfs_pb.h"
#include "core/node.h"
#include "multiformats/cid.h"
#include "repo/blockstore.h"
#include "unixfs/dag.h"
#include "unixfs/exporter.h"

namespace ipfskit::mfs {

// `files stat` (Kubo's statOutput).
struct Stat {
  Cid cid;
  std::string type;              // "file" or "directory" (Kubo: a symlink is a "file")
  unixfs::NodeKind kind = unixfs::NodeKind::kOther;
  uint64_t size = 0;             // file bytes (UnixFS filesize; a raw block's length); 0 for directories
  uint64_t cumulative_size = 0;  // the block plus its links' Tsize
  size_t blocks = 0;             // links of the root block
  std::optional<uint32_t> mode;  // permission bits as stored (UnixFS 1.5)
  std::optional<unixfs::UnixTime> mtime;
};

// One entry of `files ls -l` (boxo mfs.NodeListing).
struct Listing {
  std::string name;
  int type = 0;        // 0 file, 1 directory (mfs.TFile, mfs.TDir)
  uint64_t size = 0;   // file bytes; 0 for directories
  Cid cid;
};

// What a new node is named with: unset = its parent's (or the existing
// node's) CID version and hash.
struct CidPrefix {
  std::optional<int> cid_version;
  std::optional<std::string> hash;  // multihash name ("sha2-256", "blake2b-256"...)
};

struct WriteOptions {
  uint64_t offset = 0;
  bool create = false;    // -e: create the file when missing
  bool parents = false;   // -p: create missing parent directories
  bool truncate = false;  // -t: empty the file first
  std::optional<uint64_t> count;     // -n: write at most this many bytes of the input
  std::optional<bool> raw_leaves;
  CidPrefix prefix;
};

struct MkdirOptions {
  bool parents = false;  // -p: no error if it exists, make parents as needed
  CidPrefix prefix;
};

// A file's DAG built before it is linked into the tree (the FUSE mount
// builds it while the file is being written). Its blocks are committed
// (durable) but unreferenced; the batch, kept alive here, still holds the
// shared GC lock, so no garbage collection can take them before link_file()
// references them.
struct PreparedFile {
  unixfs::NodeRef ref;
  std::unique_ptr<repo::WriteBatch> batch;
};

class Mfs {
 public:
  // `node` must outlive this object.
  explicit Mfs(core::Node& node);
  ~Mfs();

  // The current root (creating the empty root on first use is not a write:
  // an absent key reads as the empty directory).
  Result<Cid> root();

  // The CID at an MFS path or a content path ("/ipfs/<cid>/a").
  Result<Cid> resolve(std::string_view path);
  Result<Stat> stat(std::string_view path);
  // A directory's entries in link order (HAMT: shard order), or the one
  // entry of a file. `with_details` fills type, size and CID (reads each
  // entry's root block).
  Status ls(std::string_view path, bool with_details, const std::function<Status(const Listing&)>& fn);
  // Bytes [offset, offset+count) of a file; an offset past the end is an error.
  Status read(std::string_view path, uint64_t offset, std::optional<uint64_t> count, const unixfs::ContentFn& out);

  // Kubo's `files write`: `data` (at most options.count bytes of it) at
  // options.offset; past the end the gap is zero-filled.
  Status write(std::string_view path, ByteReader& data, const WriteOptions& options);
  // Makes the file at `path` hold exactly the bytes [0, size) of `fd`
  // (read with pread; the FUSE mount's spool), creating it when missing.
  Status replace_file(std::string_view path, int fd, uint64_t size);
  // Builds the DAG `replace_file` would build from `data`, named like the
  // file at `path` (or its parent, for a new file) as of now.
  Result<PreparedFile> prepare_file(std::string_view path, ByteReader& data);
  // Makes `file` the content at `path` (created when missing; its mode and
  // mtime kept), as one change.
  Status link_file(std::string_view path, PreparedFile file);
  Status mkdir(std::string_view path, const MkdirOptions& options);
  // A UnixFS symlink at `path` (which must not exist) pointing at `target`,
  // encoded as `add` encodes symlinks, with its parent's CID prefix.
  Status symlink(std::string_view path, std::string_view target);
  // Links `src` (MFS or content path) at `dst` without copying content; a
  // `dst` ending in '/' takes the source's base name. Existing `dst` is an
  // error unless `force` (files only, as Kubo).
  Status cp(std::string_view src, std::string_view dst, bool force, bool parents);
  // Moves `src` to `dst`. Into `dst` when it is a directory (as Kubo); over
  // an existing file at `dst` (POSIX rename; Kubo's mv too).
  Status mv(std::string_view src, std::string_view dst);
  // rename(2): `src` takes the name `dst`, replacing what is there (the
  // caller checks POSIX's type rules first; a directory inside itself is
  // refused here). `dst`'s parent must exist.
  Status rename(std::string_view src, std::string_view dst);
  // Removes; a directory needs `recursive` (or `force`). `force` also makes
  // a missing path no error.
  Status rm(std::string_view path, bool recursive, bool force);
  // Every change is already durable: returns the CID at `path`.
  Result<Cid> flush(std::string_view path);
  // Re-encodes the directory at `path` (not its children) with a new CID
  // version and/or hash (Kubo's `files chcid`).
  Status chcid(std::string_view path, const CidPrefix& prefix);
  Status touch(std::string_view path, int64_t seconds, std::optional<uint32_t> nanos);
  Status chmod(std::string_view path, uint32_t mode);

  // Exchanges the whole root (`files chroot`): `cid` must be a directory here.
  Status set_root(const Cid& cid);

  // A normalized MFS path's components ("/a/./b/../c" -> {"a", "c"}).
  // InvalidArgument for a relative path, a NUL, or a name over 255 bytes.
  static Result<std::vector<std::string>> split_path(std::string_view path);
  static bool is_content_path(std::string_view path);

 private:
  struct Change;
  // Runs `fn` as one change: locks, batch, current root in; new root out
  // (committed with the batch). `fn` returns the new root.
  Status change(const std::function<Result<Cid>(Change&)>& fn);

  core::Node& node_;
  std::string lock_path_;
  std::string spool_dir_;
  std::mutex mu_;  // changes within this process, before the flock
};

// The permission bits `chmod` takes: Kubo parses the mode argument as octal
// ("0755", "755"); symbolic modes are refused.
Result<uint32_t> parse_mode(std::string_view text);

}  // namespace ipfskit::mfs
