// Random access to one UnixFS file, for readers that come back many times
// (a FUSE open file, a ranged reader): the file's layout is learnt once, as
// reads reach it, so each later read fetches only the leaves it covers
// instead of walking from the root again (what made Kubo's old mount 60x
// slower than `cat`).
//
// The layout is a map from file offset to the node covering it. At first the
// root covers everything; a read that lands in a node which turns out to have
// children replaces it by its own data and one entry per child, sized by its
// blocksizes. Every node is checked as in the Exporter: sizes must add up to
// what the parent claimed, types must be File/Raw, depth is bounded, so a
// hostile DAG gives Corruption, never wrong bytes or a crash. Blocks come
// from a verifying BlockSource (hash checked on every read).
//
// Sequential reads fetch the next leaves ahead on a thread pool. Thread safe
// (one mutex: concurrent readers of one handle take turns; give each reader
// its own FileReader for parallelism).
#pragma once

#include <cstdint>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "blockstore/blockstore.h"
#include "multiformats/cid.h"

namespace ipfskit::unixfs {

class FileReader {
 public:
  // `size` is the file's size as its root claims (Exporter::stat). `source`
  // and `pool` (may be null: no read-ahead) must outlive the reader.
  FileReader(BlockSource& source, const Cid& root, uint64_t size, ThreadPool* pool);
  ~FileReader();

  uint64_t size() const { return size_; }
  // Copies bytes [offset, offset + n) (clipped to the file) into `buf`;
  // returns the count, 0 at or past the end.
  Result<size_t> read(uint64_t offset, uint8_t* buf, size_t n);

  // The same bytes without copying them: pieces of the verified blocks, each
  // kept alive by its `owner` (for a writev straight from the blocks).
  struct Piece {
    std::shared_ptr<const Bytes> owner;
    const uint8_t* data = nullptr;
    size_t size = 0;
  };
  Result<size_t> read_pieces(uint64_t offset, size_t n, std::vector<Piece>& out);

 private:
  struct Segment {
    Cid cid;             // undefined: inline data of the parent
    uint64_t size = 0;
    int depth = 0;
    std::shared_ptr<const Bytes> inline_data;  // the parent's own Data bytes
  };
  struct Leaf {
    std::shared_ptr<const Bytes> block;
    size_t data_offset = 0;  // where the file bytes start in the block
    uint64_t size = 0;       // file bytes in this leaf
  };
  // The leaf covering `offset`: expands internal nodes on the way.
  Result<std::pair<uint64_t, Leaf>> leaf_at(uint64_t offset);
  Result<std::shared_ptr<const Bytes>> fetch(const Cid& cid);
  void prefetch_after(uint64_t start);

  BlockSource& source_;
  ThreadPool* pool_;
  uint64_t size_;
  std::mutex mu_;
  std::map<uint64_t, Segment> layout_;  // start offset -> node
  std::unordered_map<Cid, std::shared_future<Result<std::shared_ptr<const Bytes>>>, CidHash> pending_;
  // A few decoded leaves (start offset -> leaf), most recent first.
  std::list<std::pair<uint64_t, Leaf>> recent_;
  uint64_t next_expected_ = 0;  // where a sequential reader reads next
};

}  // namespace ipfskit::unixfs
