// Reads UnixFS DAGs back: file bytes (with ranges), directory listings
// (plain and HAMT-sharded), symlinks, and path resolution ("CID/a/b/c").
//
// DAGs may come from other nodes, so nothing is assumed: every node is
// decoded strictly, sizes are cross-checked (a node's content must be the
// size its parent claims), traversal is iterative (no recursion depth to
// exhaust) and output is bounded by the requested range.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/thread_pool.h"
#include "blockstore/blockstore.h"
#include "codec/unixfs_pb.h"
#include "multiformats/cid.h"

namespace ipfskit::unixfs {

enum class NodeKind { kFile, kDirectory, kHAMTDirectory, kSymlink, kOther };

const char* kind_name(NodeKind k);

struct NodeInfo {
  Cid cid;
  NodeKind kind = NodeKind::kOther;
  uint64_t size = 0;        // file bytes, or the symlink target's length
  uint64_t block_size = 0;  // bytes of the root block
  uint64_t tsize = 0;       // cumulative size: the block plus its links' Tsize
  size_t links = 0;
  std::optional<uint32_t> mode;
  std::optional<UnixTime> mtime;
};

struct DirEntry {
  std::string name;
  Cid cid;
  uint64_t tsize = 0;
};

// Called with consecutive pieces of file content; an error stops the read.
using ContentFn = std::function<Status(ByteView)>;

// A piece of file content, verified against its block's CID. When the block
// source is a BlockReader that knows where the block lies on disk, `file`
// holds these same bytes at `file_offset` (see VerifiedRead::extent), and
// stays open for the duration of the callback: a sender may send them from
// there instead of copying `bytes`.
struct ContentPiece {
  ByteView bytes;
  const UniqueFd* file = nullptr;
  uint64_t file_offset = 0;
};
using PieceFn = std::function<Status(const ContentPiece&)>;
using EntryFn = std::function<Status(const DirEntry&)>;

class Exporter {
 public:
  // `source` must verify blocks (return only bytes that match their CID).
  // With a pool, file reads fetch upcoming blocks in parallel.
  // A source that is also a BlockReader is read into reused buffers.
  explicit Exporter(BlockSource& source, ThreadPool* pool = nullptr)
      : source_(source), reader_(dynamic_cast<BlockReader*>(&source)), pool_(pool) {}

  // Resolves "CID", "CID/a/b" or "/ipfs/CID/a/b" to the CID it names.
  Result<Cid> resolve(std::string_view path);

  Result<NodeInfo> stat(const Cid& cid);

  // Writes bytes [offset, offset + length) of a file; length nullopt means to
  // the end. An offset past the end is an error.
  Status read(const Cid& file, uint64_t offset, std::optional<uint64_t> length, const ContentFn& out);
  // The same, with where each piece lies on disk when the source can say.
  Status read_pieces(const Cid& file, uint64_t offset, std::optional<uint64_t> length, const PieceFn& out);

  // Lists a directory: a plain directory in link (name) order, a HAMT in shard order.
  Status list(const Cid& dir, const EntryFn& fn);

  // Finds one entry of a directory by name; nullopt when absent.
  Result<std::optional<DirEntry>> lookup(const Cid& dir, std::string_view name);

  Result<std::string> read_symlink(const Cid& cid);

 private:
  BlockSource& source_;
  BlockReader* reader_;
  ThreadPool* pool_;
};

}  // namespace ipfskit::unixfs
