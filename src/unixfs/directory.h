// Builds UnixFS directories: a plain directory node, or a HAMT-sharded
// directory once the entries outgrow DagOptions::hamt_threshold, exactly as
// Kubo decides and lays them out (boxo ipld/unixfs/io/directory.go and hamt).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "blockstore/blockstore.h"
#include "unixfs/dag.h"

namespace ipfskit::unixfs {

class DirectoryBuilder {
 public:
  explicit DirectoryBuilder(const DagOptions& opts) : opts_(opts) {}

  // Adds an entry. Names must be unique within the directory.
  void add(std::string name, NodeRef child);
  size_t size() const { return entries_.size(); }

  // The size measure compared against the HAMT threshold (see HamtEstimation).
  uint64_t estimated_size() const { return estimate_; }
  bool will_shard() const { return estimate_ > opts_.hamt_threshold; }

  // Writes the directory (and its shards) and returns its root.
  Result<NodeRef> build(const CidBuilder& cids, BlockSink* sink);

 private:
  struct Entry {
    std::string name;
    NodeRef node;
    uint64_t hash = 0;  // murmur3 h1 of the name, for sharding
  };
  Result<NodeRef> build_basic(const CidBuilder& cids, BlockSink* sink);
  Result<NodeRef> build_shard(const CidBuilder& cids, BlockSink* sink, std::vector<Entry*>& entries,
                              int consumed_bits);

  const DagOptions& opts_;
  std::vector<Entry> entries_;
  uint64_t estimate_ = 0;
};

// An empty directory's root (Kubo's QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn under v0).
Result<NodeRef> put_empty_directory(const CidBuilder& cids, BlockSink* sink);

}  // namespace ipfskit::unixfs
