// Where blocks go and come from.
//
// Modules ask for the narrowest capability they need: the importer only puts
// (BlockSink), the exporter only gets (BlockSource). Implementations key
// blocks by multihash, so a CIDv0 and a raw CIDv1 of the same bytes share
// storage, and never store identity CIDs (their data is in the CID).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/io.h"
#include "multiformats/cid.h"

namespace ipfskit {

class BlockSink {
 public:
  virtual ~BlockSink() = default;
  // Stores `data` under `cid`. The caller guarantees that `data` hashes to
  // `cid` (importers compute the CID from the data). Thread safe.
  virtual Status put(const Cid& cid, ByteView data) = 0;
  // Stores several blocks; implementations may write them in one go.
  virtual Status put_many(const std::vector<std::pair<Cid, ByteView>>& blocks) {
    for (const auto& [cid, data] : blocks) TRY_STATUS(put(cid, data));
    return {};
  }
};

// Collects blocks (copies) to hand to another sink in one put_many call.
class CollectingSink : public BlockSink {
 public:
  Status put(const Cid& cid, ByteView data) override {
    blocks_.emplace_back(cid, Bytes(data.begin(), data.end()));
    return {};
  }
  Status flush_to(BlockSink& target) {
    std::vector<std::pair<Cid, ByteView>> views;
    views.reserve(blocks_.size());
    for (const auto& [cid, data] : blocks_) views.emplace_back(cid, ByteView(data));
    TRY_STATUS(target.put_many(views));
    blocks_.clear();
    return {};
  }

 private:
  std::vector<std::pair<Cid, Bytes>> blocks_;
};

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // The block's bytes; NotFound when absent. Thread safe.
  virtual Result<Bytes> get(const Cid& cid) = 0;
  virtual Result<bool> has(const Cid& cid) = 0;
};

// Where a stored block's bytes lie, verbatim, in a file. Holding the extent
// keeps the file open, and so its bytes readable at `offset`, even after the
// store has moved the block elsewhere or deleted the file.
struct FileExtent {
  std::shared_ptr<const UniqueFd> file;
  uint64_t offset = 0;  // of the block's first byte
};

// A block read into a caller's buffer and checked against its CID.
struct VerifiedRead {
  ByteView data;  // in the caller's buffer (an identity CID's: in the CID)
  // Where exactly these verified bytes lie in a file, when the store keeps
  // blocks verbatim and never rewrites a stored range in place: a sender may
  // then send them from the file (sendfile) instead of copying `data`.
  std::optional<FileExtent> extent;
};

// An optional extra of a BlockSource (found with dynamic_cast): reads into
// reusable buffers instead of a new allocation per block, and says where the
// verified bytes lie on disk.
class BlockReader {
 public:
  virtual ~BlockReader() = default;
  // Reads `cid` into `buffer` (grown as needed) and verifies its hash:
  // NotFound when absent, Corruption when the stored bytes do not match.
  // Thread safe, with one buffer per concurrent call; `data` is valid until
  // the buffer is reused. Identity CIDs are answered from the CID.
  virtual Result<VerifiedRead> read_verified(const Cid& cid, ScratchBuffer& buffer) = 0;
};

class BlockStore : public BlockSink, public BlockSource {
 public:
  virtual Status remove(const Cid& cid) = 0;
};

// Recomputes the hash of `data` and compares it with `cid`. Corruption when
// they differ, Unsupported when we cannot compute the CID's hash function.
Status verify_block(const Cid& cid, ByteView data);

// Returns an identity CID's embedded bytes without touching `source`, and
// otherwise the block from `source`.
Result<Bytes> fetch_block(BlockSource& source, const Cid& cid);

// Keeps blocks in memory. For tests and for `--only-hash`-style dry runs
// that still need to read back what they wrote.
class MemoryBlockStore : public BlockStore {
 public:
  Status put(const Cid& cid, ByteView data) override;
  Result<Bytes> get(const Cid& cid) override;
  Result<bool> has(const Cid& cid) override;
  Status remove(const Cid& cid) override;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bytes> blocks_;  // key: multihash bytes
};

// Accepts and discards blocks (`add --only-hash`).
class NullBlockSink : public BlockSink {
 public:
  Status put(const Cid&, ByteView) override { return {}; }
};

}  // namespace ipfskit
