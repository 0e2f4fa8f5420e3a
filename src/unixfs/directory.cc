#include "unixfs/directory.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <map>

#include "base/varint.h"
#include "codec/dagpb.h"
#include "crypto/hash.h"

namespace ipfskit::unixfs {

namespace {

// The UnixFS Data field of a plain directory without mode or mtime: 0a 02 08 01.
constexpr uint64_t kBasicDirDataFieldSize = 4;

// Bytes one link adds to a PBNode (boxo's linkSerializedSize).
uint64_t link_serialized_size(size_t name_len, size_t cid_len, uint64_t tsize) {
  uint64_t link = 1 + varint::encoded_size(cid_len) + cid_len + 1 + varint::encoded_size(name_len) + name_len + 1 +
                  varint::encoded_size(tsize);
  return 1 + varint::encoded_size(link) + link;
}

// Reads `bits` bits of `hash` (as 8 big-endian bytes, most significant bit
// first) starting at bit `offset`.
uint32_t hash_bits(uint64_t hash, int offset, int bits) {
  return static_cast<uint32_t>((hash << offset) >> (64 - bits));
}

}  // namespace

void DirectoryBuilder::add(std::string name, NodeRef child) {
  const size_t cid_len = child.cid.bytes().size();
  if (opts_.hamt_estimation == HamtEstimation::kLinks) {
    estimate_ += name.size() + cid_len;
  } else {
    if (entries_.empty()) estimate_ = kBasicDirDataFieldSize;
    estimate_ += link_serialized_size(name.size(), cid_len, child.tsize);
  }
  entries_.push_back(Entry{std::move(name), std::move(child), 0});
}

Result<NodeRef> DirectoryBuilder::build(const CidBuilder& cids, BlockSink* sink) {
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  for (size_t i = 1; i < entries_.size(); ++i)
    if (entries_[i].name == entries_[i - 1].name)
      return invalid_argument("directory has two entries named '" + entries_[i].name + "'");
  if (!will_shard()) return build_basic(cids, sink);
  std::vector<Entry*> all;
  all.reserve(entries_.size());
  for (Entry& e : entries_) {
    e.hash = crypto::murmur3_x64_64(as_bytes(e.name));
    all.push_back(&e);
  }
  return build_shard(cids, sink, all, 0);
}

Result<NodeRef> DirectoryBuilder::build_basic(const CidBuilder& cids, BlockSink* sink) {
  dagpb::Node node;
  node.links.reserve(entries_.size());
  uint64_t children = 0;
  for (const Entry& e : entries_) {
    node.links.push_back(dagpb::Link{e.node.cid, e.name, e.node.tsize});
    children += e.node.tsize;
  }
  Data fs;
  fs.type = DataType::kDirectory;
  Bytes data = encode(fs);
  node.data = data;
  return put_dagpb(cids, sink, dagpb::encode(node), children, 0);
}

Result<NodeRef> DirectoryBuilder::build_shard(const CidBuilder& cids, BlockSink* sink, std::vector<Entry*>& entries,
                                              int consumed_bits) {
  const int bits = std::countr_zero(opts_.hamt_fanout);
  if (consumed_bits + bits > 64) return invalid_argument("sharded directory too deep: names collide in their hash");
  // Entries by bucket; std::map keeps the buckets in index order.
  std::map<uint32_t, std::vector<Entry*>> buckets;
  for (Entry* e : entries) buckets[hash_bits(e->hash, consumed_bits, bits)].push_back(e);

  char prefix_format[8];
  const int width = static_cast<int>(std::snprintf(nullptr, 0, "%X", static_cast<unsigned>(opts_.hamt_fanout - 1)));
  std::snprintf(prefix_format, sizeof prefix_format, "%%0%dX", width);

  dagpb::Node node;
  Bytes bitfield(opts_.hamt_fanout / 8, 0);
  uint64_t children = 0;
  for (auto& [index, members] : buckets) {
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, prefix_format, index);
    bitfield[bitfield.size() - 1 - index / 8] |= static_cast<uint8_t>(1u << (index % 8));
    if (members.size() == 1) {
      const Entry* e = members.front();
      node.links.push_back(dagpb::Link{e->node.cid, std::string(prefix) + e->name, e->node.tsize});
      children += e->node.tsize;
    } else {
      NodeRef sub = TRY(build_shard(cids, sink, members, consumed_bits + bits));
      node.links.push_back(dagpb::Link{sub.cid, std::string(prefix), sub.tsize});
      children += sub.tsize;
    }
  }
  // go-bitfield's Bytes(): big-endian with leading zero bytes trimmed.
  auto first = std::find_if(bitfield.begin(), bitfield.end(), [](uint8_t b) { return b != 0; });
  Data fs;
  fs.type = DataType::kHAMTShard;
  fs.data = ByteView(bitfield).subspan(static_cast<size_t>(first - bitfield.begin()));
  fs.hash_type = multihash::kMurmur3X64_64;
  fs.fanout = opts_.hamt_fanout;
  Bytes data = encode(fs);
  node.data = data;
  return put_dagpb(cids, sink, dagpb::encode(node), children, 0);
}

Result<NodeRef> put_empty_directory(const CidBuilder& cids, BlockSink* sink) {
  DagOptions unused;
  DirectoryBuilder empty(unused);
  return empty.build(cids, sink);
}

}  // namespace ipfskit::unixfs
