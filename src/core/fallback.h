// Reads that fall back: when a block is not in the repository (or its copy
// there is corrupt), the node's reads ask a BlockFallback (the backends that
// can serve blocks, see src/retrieval/) and serve what it returns.
//
// Contract:
//  - A BlockFallback returns a block's bytes or an error (NotFound when no
//    source has it, naming what was tried). Whatever it returns is
//    re-hashed here before it is used: a fallback is outside the repository
//    and never trusted.
//  - Fetched blocks may be kept in the repository as a cache
//    (FallbackOptions::cache): written by one background thread in batches,
//    each batch durable (WriteBatch::commit) before it is visible. They are
//    not pinned, so garbage collection removes them unless a pin holds them.
//    A corrupt local copy is replaced by the good one. Caching is best effort:
//    when the queue is full or the repository refuses the write (read-only,
//    disk full) the block is served anyway and the failure counted
//    (FallbackStats::cache_failures).
//  - The read path never waits for the cache: a read returns as soon as the
//    fallback answered.
//
// Thread safety: every method may be called from several threads at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "base/error.h"
#include "blockstore/blockstore.h"
#include "multiformats/cid.h"
#include "repo/blockstore.h"

namespace ipfskit::core {

class BlockFallback {
 public:
  virtual ~BlockFallback() = default;
  // The block from somewhere other than the repository. NotFound when no
  // source has it; other codes when every source failed otherwise.
  virtual Result<Bytes> fetch(const Cid& cid) = 0;
};

struct FallbackOptions {
  bool cache = true;                          // keep fetched blocks in the repository (unpinned)
  size_t cache_queue_bytes = 64 << 20;        // fetched bytes waiting to be written; more are not cached
};

// Counters, for tests and metrics.
struct FallbackStats {
  uint64_t fetched_blocks = 0;  // blocks served from the fallback
  uint64_t fetched_bytes = 0;
  uint64_t refused_blocks = 0;  // blocks the fallback returned that did not hash right
  uint64_t cached_blocks = 0;   // blocks written to the repository
  uint64_t cache_failures = 0;  // blocks that could not be written (served anyway)
};

// The repository's blocks, then the fallback. get() goes to the fallback on
// NotFound and on Corruption from the repository; has() answers for the
// repository only (it never reaches the network). It is a BlockReader as the
// pack store is (reused buffers, file extents for sendfile): a block from
// the repository keeps its extent; one from the fallback is copied into the
// caller's buffer and has none.
class ReadThroughSource : public BlockSource, public BlockReader {
 public:
  explicit ReadThroughSource(repo::PackStore& store);
  ~ReadThroughSource() override;  // writes what is queued for the cache, then returns

  // Installs (or, with nullptr, removes) the fallback.
  void set_fallback(std::shared_ptr<BlockFallback> fallback, FallbackOptions options = {});
  bool has_fallback() const;

  Result<Bytes> get(const Cid& cid) override;
  Result<bool> has(const Cid& cid) override { return store_.has(cid); }
  Result<VerifiedRead> read_verified(const Cid& cid, ScratchBuffer& buffer) override;

  // Blocks until every block queued for the cache has been written (or
  // failed). For tests and for commands that exit right after a read.
  void flush();
  FallbackStats stats() const;

 private:
  // The fallback's answer for a block the repository failed to give
  // (`local`: its error), verified and queued for the cache.
  Result<Bytes> from_fallback(const Cid& cid, const Error& local);
  void write_loop();

  repo::PackStore& store_;
  mutable std::mutex mu_;  // fallback_, options_
  std::shared_ptr<BlockFallback> fallback_;
  FallbackOptions options_;

  struct Pending {
    Cid cid;
    Bytes data;
    bool replace_corrupt;
  };
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  size_t queued_bytes_ = 0;
  size_t writing_ = 0;  // blocks taken by the writer, not yet written
  bool stopping_ = false;
  std::thread writer_;

  std::atomic<uint64_t> fetched_blocks_{0}, fetched_bytes_{0}, refused_blocks_{0}, cached_blocks_{0},
      cache_failures_{0};
};

}  // namespace ipfskit::core
