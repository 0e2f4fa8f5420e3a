#include "unixfs/dag.h"

#include "codec/dagpb.h"

namespace ipfskit::unixfs {

Result<Cid> CidBuilder::make(uint64_t codec, std::initializer_list<ByteView> pieces, size_t size) const {
  if (o_.inline_cids && size <= o_.inline_limit) {
    Multihash mh = TRY(Multihash::compute(multihash::kIdentity, pieces));
    return Cid::v1(codec, std::move(mh));
  }
  if (o_.hash == multihash::kIdentity && size > multihash::kMaxIdentityDigest)
    return invalid_argument("digest too large: identity digest got " + std::to_string(size) + " bytes, maximum " +
                            std::to_string(multihash::kMaxIdentityDigest));
  Multihash mh = TRY(Multihash::compute(o_.hash, pieces));
  if (o_.cid_version == 0 && codec == multicodec::kDagPb) return Cid::v0(std::move(mh));
  return Cid::v1(codec, std::move(mh));
}

Status validate(const DagOptions& o) {
  if (o.cid_version > 1) return invalid_argument("unknown CID version: " + std::to_string(o.cid_version));
  auto info = multihash::info(o.hash);
  if (!info || !info->implemented)
    return unsupported("unsupported hash function " + multihash::name_of(o.hash));
  if (o.cid_version == 0 && o.hash != multihash::kSha2_256)
    return invalid_argument("CIDv0 only supports sha2-256");
  if (o.inline_cids && o.inline_limit > multihash::kMaxIdentityDigest)
    return invalid_argument("inline-limit " + std::to_string(o.inline_limit) +
                            " exceeds maximum allowed size of " + std::to_string(multihash::kMaxIdentityDigest) +
                            " bytes");
  if (o.max_links < 2) return invalid_argument("max links per file node must be at least 2");
  if (o.hamt_fanout < 8 || o.hamt_fanout > 1024 || (o.hamt_fanout & (o.hamt_fanout - 1)) != 0)
    return invalid_argument("HAMT fanout must be a power of 2 between 8 and 1024");
  return {};
}

Result<NodeRef> put_dagpb(const CidBuilder& cids, BlockSink* sink, const Bytes& block, uint64_t children_tsize,
                          uint64_t file_size) {
  Cid cid = TRY(cids.make(multicodec::kDagPb, block));
  if (sink != nullptr && !cid.is_identity()) TRY_STATUS(sink->put(cid, block));
  return NodeRef{std::move(cid), block.size() + children_tsize, file_size};
}

Result<NodeRef> put_file_node(const CidBuilder& cids, BlockSink* sink, const std::vector<NodeRef>& children,
                              DataType type) {
  dagpb::Node node;
  Data fs;
  fs.type = type;
  uint64_t file_size = 0, children_tsize = 0;
  node.links.reserve(children.size());
  fs.blocksizes.reserve(children.size());
  for (const NodeRef& c : children) {
    node.links.push_back(dagpb::Link{c.cid, std::string(), c.tsize});
    fs.blocksizes.push_back(c.file_size);
    file_size += c.file_size;
    children_tsize += c.tsize;
  }
  fs.filesize = file_size;
  Bytes data = encode(fs);
  node.data = data;
  return put_dagpb(cids, sink, dagpb::encode(node), children_tsize, file_size);
}

Result<NodeRef> put_symlink(const CidBuilder& cids, BlockSink* sink, std::string_view target) {
  Data fs;
  fs.type = DataType::kSymlink;
  fs.data = as_bytes(target);
  dagpb::Node node;
  Bytes data = encode(fs);
  node.data = data;
  return put_dagpb(cids, sink, dagpb::encode(node), 0, 0);
}

}  // namespace ipfskit::unixfs
