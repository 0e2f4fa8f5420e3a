// How UnixFS nodes are encoded and named: the options every builder shares,
// and the CID builder that applies them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "blockstore/blockstore.h"
#include "codec/unixfs_pb.h"
#include "multiformats/cid.h"
#include "multiformats/multicodec.h"
#include "multiformats/multihash.h"

namespace ipfskit::unixfs {

enum class Layout { kBalanced, kTrickle };

// How a basic directory's size is measured against the HAMT threshold.
enum class HamtEstimation {
  kLinks,  // sum of name length + CID length (unixfs-v0-2015, Kubo's legacy "links")
  kBlock,  // the serialized dag-pb block size (unixfs-v1-2025, "block")
};

// Everything that decides the bytes (and so the CIDs) of a DAG. The defaults
// are the unixfs-v0-2015 profile, Kubo's default.
struct DagOptions {
  uint64_t cid_version = 0;
  uint64_t hash = multihash::kSha2_256;
  bool raw_leaves = false;
  bool inline_cids = false;   // --inline
  uint64_t inline_limit = 32; // --inline-limit: blocks at or under this size become identity CIDs
  Layout layout = Layout::kBalanced;
  uint64_t max_links = 174;   // children per internal file node
  uint64_t hamt_threshold = 262144;  // shard when the estimate is strictly greater
  HamtEstimation hamt_estimation = HamtEstimation::kLinks;
  uint64_t hamt_fanout = 256;
};

// The result of writing a node: its CID, its cumulative DAG size (Tsize: the
// block's bytes plus its children's Tsize) and the file bytes under it.
struct NodeRef {
  Cid cid;
  uint64_t tsize = 0;
  uint64_t file_size = 0;
};

// Kubo's CID builder: version, codec and hash from the options, with raw
// blocks always CIDv1, and identity CIDs for small blocks when inlining.
class CidBuilder {
 public:
  explicit CidBuilder(const DagOptions& o) : o_(o) {}
  // The CID of a block given as the concatenation of `pieces` of `size` bytes.
  Result<Cid> make(uint64_t codec, std::initializer_list<ByteView> pieces, size_t size) const;
  Result<Cid> make(uint64_t codec, ByteView block) const { return make(codec, {block}, block.size()); }

 private:
  const DagOptions& o_;
};

// Validates a combination of options (e.g. CIDv0 with a non-sha2-256 hash).
Status validate(const DagOptions& o);

// Encodes, names and stores one dag-pb node. `sink` may be null (hash only);
// identity CIDs are never stored.
Result<NodeRef> put_dagpb(const CidBuilder& cids, BlockSink* sink, const Bytes& block,
                          uint64_t children_tsize, uint64_t file_size);

// An internal file node over `children`: Type=File, filesize = sum of the
// children's file sizes, one blocksize per child, links with empty names.
Result<NodeRef> put_file_node(const CidBuilder& cids, BlockSink* sink, const std::vector<NodeRef>& children,
                              DataType type = DataType::kFile);

// A symlink node pointing at `target`.
Result<NodeRef> put_symlink(const CidBuilder& cids, BlockSink* sink, std::string_view target);

}  // namespace ipfskit::unixfs
