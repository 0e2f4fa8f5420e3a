// Turns a byte stream into a UnixFS file DAG.
//
// Reading and DAG building are sequential and streaming; encoding, hashing
// and storing the leaves (almost all of the work) run on a thread pool, a
// bounded number of chunks ahead of the layout. Memory is bounded by that
// window (a few chunks per worker), whatever the input size.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>

#include "base/buffer_pool.h"
#include "base/error.h"
#include "base/io.h"
#include "base/thread_pool.h"
#include "blockstore/blockstore.h"
#include "unixfs/chunker.h"
#include "unixfs/dag.h"

namespace ipfskit::unixfs {

// Called with the number of bytes just read, possibly from worker threads.
using ProgressFn = std::function<void(uint64_t bytes)>;

// Shared machinery for importing many files: the worker pool and the chunk
// buffers. One per import; not thread safe.
class ImportContext {
 public:
  // `workers` == 0 picks the machine's CPU count; 1 hashes on the calling thread.
  ImportContext(size_t workers, uint64_t max_chunk);
  ThreadPool* pool() { return pool_.get(); }
  BufferPool& buffers() { return *buffers_; }
  size_t window() const { return window_; }
  uint64_t max_chunk() const { return max_chunk_; }

 private:
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<BufferPool> buffers_;
  size_t window_;
  uint64_t max_chunk_;
};

// Produces the leaves of one file in order, computing them ahead in parallel.
class LeafStream {
 public:
  LeafStream(Chunker& chunker, ImportContext& ctx, const CidBuilder& cids, const DagOptions& opts,
             DataType leaf_type, BlockSink* sink, ProgressFn progress);
  ~LeafStream();

  // True when another leaf follows (reads ahead as needed).
  Result<bool> has_next();
  Result<NodeRef> next();

 private:
  Status fill();
  void submit(PooledBuffer buf, size_t n, bool inline_now);

  Chunker& chunker_;
  ImportContext& ctx_;
  const CidBuilder& cids_;
  bool raw_leaves_;
  DataType leaf_type_;
  BlockSink* sink_;
  ProgressFn progress_;
  // Leaves in output order: computed inline (ready) or on a worker (future).
  struct Slot {
    std::optional<Result<NodeRef>> ready;
    std::future<Result<NodeRef>> pending;
  };
  std::deque<Slot> inflight_;
  // The newest chunk read, not yet handed to a worker: if it turns out to be
  // the last one it is encoded on this thread, so one-chunk files never pay
  // for a thread handoff.
  PooledBuffer held_;
  size_t held_size_ = 0;
  bool eof_ = false;
};

// Room a caller must leave before and after data passed to build_small_file().
inline constexpr size_t kLeafHeadroom = 16;
inline constexpr size_t kLeafTailroom = 16;

// Builds a file that fits in one fixed-size chunk (`n` bytes at `data`, with
// kLeafHeadroom writable bytes before and kLeafTailroom after), giving the
// same DAG build_file() would. Thread safe.
Result<NodeRef> build_small_file(uint8_t* data, size_t n, const CidBuilder& cids, const DagOptions& opts,
                                 BlockSink* sink);

// Builds the file DAG with the layout in `opts` and returns its root. An
// empty input gives Kubo's empty file node.
Result<NodeRef> build_file(ByteReader& input, const ChunkSpec& chunker, const DagOptions& opts,
                           ImportContext& ctx, BlockSink* sink, ProgressFn progress = nullptr);

}  // namespace ipfskit::unixfs
