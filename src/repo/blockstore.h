// The repository's block store: append-only pack files under blocks/ and a
// SQLite index (multihash -> pack, offset, size).
//
// Durability and crash safety:
//  - Writes happen in a WriteBatch. Its blocks are appended to a pack file
//    this process owns (an exclusive flock), from any number of threads at
//    once (each record's place is reserved atomically, then pwrite).
//  - commit() makes the pack durable (fdatasync), then records the blocks,
//    the pack's new committed length and any pins in ONE SQLite transaction
//    (WAL, synchronous=FULL). Only after that does anything see the blocks.
//  - A crash before commit leaves bytes past the committed length; the next
//    writer of that pack truncates them. Nothing in the index points there.
//  - So the index never names a block whose bytes were not synced, and no
//    pin is ever recorded without its blocks.
//
// Concurrency: any number of processes read while others write (SQLite WAL
// readers do not block, packs are append-only). Two writers use different
// packs; their transactions serialize in SQLite.
//
// Integrity: every read re-hashes the block against its multihash; a flipped
// bit is reported as Corruption, never returned as content.
//
// Layout of a record in a pack (documented for recovery tools):
//   0xB1 | varint(len(multihash)) | multihash | varint(len(data)) | data
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/io.h"
#include "base/small_bytes.h"
#include "blockstore/blockstore.h"
#include "repo/sqlite.h"

namespace ipfskit::repo {

struct BlockLocation {
  int64_t pack;
  uint64_t offset;  // of the block's data within the pack
  uint64_t size;
};

struct PinRequest;  // pins.h
class PackStore;

// A set of block writes (and pins) that become visible and durable together.
// put() is thread safe. Destroying a batch without commit() discards it.
class WriteBatch : public BlockSink {
 public:
  ~WriteBatch() override;
  Status put(const Cid& cid, ByteView data) override;
  // Small blocks in one reservation and one write (many small files).
  Status put_many(const std::vector<std::pair<Cid, ByteView>>& blocks) override;
  // Blocks written in this batch that are new to the store.
  size_t new_blocks() const;
  uint64_t new_bytes() const;
  // Makes every put durable and visible; runs `in_transaction` (for pins)
  // inside the same SQLite transaction. After commit the batch is spent.
  Status commit(const std::function<Status(sql::Database&)>& in_transaction = nullptr);

 private:
  friend class PackStore;
  WriteBatch(PackStore& store, int64_t pack, UniqueFd fd, uint64_t start, UniqueFd lock);
  void start_writeback(uint64_t upto);
  struct Pending {
    SmallBytes<72> multihash;
    uint64_t codec;
    uint64_t offset;
    uint64_t size;
  };
  PackStore& store_;
  int64_t pack_;
  UniqueFd fd_;
  UniqueFd lock_;  // held for the batch's life: shared GC lock
  std::atomic<uint64_t> end_;
  std::atomic<uint64_t> flushed_to_{0};  // writeback started up to here
  mutable std::mutex mu_;
  std::vector<Pending> pending_;
  std::unordered_set<std::string> seen_;  // multihashes put in this batch
  std::atomic<uint64_t> write_error_{0};
  Error first_error_{Code::kInternal, ""};
  bool committed_ = false;
};

class PackStore : public BlockStore, public BlockReader {
 public:
  // `dir` is the repository's blocks/ directory; `db` the shared index.
  PackStore(std::string dir, sql::Database& db, std::string gc_lock_path);
  ~PackStore() override;

  // BlockStore: get/has read the index; get verifies the hash.
  Result<Bytes> get(const Cid& cid) override;
  // BlockReader: the block read into `buffer` and verified, with its place
  // in the pack file. A committed range of a pack is never written again
  // (writers append past `committed`, truncation only cuts uncommitted
  // tails, compaction writes new packs and unlinks old ones), so the extent
  // holds exactly the verified bytes for as long as it keeps the file open.
  Result<VerifiedRead> read_verified(const Cid& cid, ScratchBuffer& buffer) override;
  Result<bool> has(const Cid& cid) override;
  // Single-block put and remove, each its own durable transaction.
  Status put(const Cid& cid, ByteView data) override;
  Status remove(const Cid& cid) override;

  // Starts a batch. Takes the shared GC lock (so a GC waits for it).
  Result<std::unique_ptr<WriteBatch>> begin();

  Result<std::optional<BlockLocation>> locate(const Multihash& mh);

  // Every stored block (multihash and the codec it was first stored with).
  Status for_each(const std::function<Status(const Multihash&, uint64_t codec, uint64_t size)>& fn);

  // Totals from the index.
  Result<std::pair<uint64_t, uint64_t>> count_and_size();

  // Rewrites packs where less than half the bytes are still referenced,
  // then deletes them. Call with the GC lock held exclusively.
  Result<uint64_t> compact();

  const std::string& dir() const { return dir_; }
  const std::string& gc_lock_path() const { return gc_lock_path_; }
  std::string pack_path(int64_t pack) const;

 private:
  friend class WriteBatch;
  using PackFile = std::shared_ptr<const UniqueFd>;
  // Cached read descriptors, shared: a reader keeps its pack open while it
  // uses it, whatever drop_fd() does meanwhile.
  Result<PackFile> pack_file(int64_t pack);
  void drop_fd(int64_t pack);
  // True when the cached descriptor no longer names the file at the pack's
  // path (another process compacted it and the id was reused).
  bool is_stale(int64_t pack, const UniqueFd& file) const;
  struct ReadPlace {
    PackFile file;
    BlockLocation location;
  };
  // Finds `cid`, reads it into `buffer_for(size)` and verifies it.
  Result<ReadPlace> read_block(const Cid& cid, const std::function<uint8_t*(uint64_t size)>& buffer_for);

  std::string dir_;
  sql::Database& db_;
  std::string gc_lock_path_;
  std::mutex fds_mu_;
  std::unordered_map<int64_t, PackFile> fds_;
};

// Exclusive or shared flock on `path` (created if missing); blocks until granted.
Result<UniqueFd> lock_file(const std::string& path, bool exclusive, bool wait = true);

}  // namespace ipfskit::repo
