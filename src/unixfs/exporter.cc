#include "unixfs/exporter.h"

#include <bit>
#include <cstdio>
#include <deque>
#include <future>
#include <vector>

#include "codec/dagpb.h"
#include "crypto/hash.h"
#include "multiformats/multicodec.h"

namespace ipfskit::unixfs {

const char* kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::kFile: return "file";
    case NodeKind::kDirectory: return "directory";
    case NodeKind::kHAMTDirectory: return "hamt-sharded-directory";
    case NodeKind::kSymlink: return "symlink";
    case NodeKind::kOther: return "other";
  }
  return "other";
}

namespace {

// A fetched block with its dag-pb and UnixFS views decoded. Move-only: the
// views point into heap storage (`owned`'s or `scratch`'s), which a move
// keeps in place.
struct Loaded {
  Cid cid;
  Bytes owned;            // the block, when read with BlockSource::get
  ScratchBuffer scratch;  // the block, when read with BlockReader::read_verified
  ByteView block;
  std::optional<FileExtent> extent;  // where `block` lies in a file, if known
  bool raw = false;
  dagpb::Node pb;
  std::optional<Data> fs;

  Loaded() = default;
  Loaded(Loaded&&) = default;
  Loaded& operator=(Loaded&&) = default;
  Loaded(const Loaded&) = delete;

  NodeKind kind() const {
    if (raw) return NodeKind::kFile;
    if (!fs) return NodeKind::kOther;
    switch (fs->type) {
      case DataType::kFile:
      case DataType::kRaw: return NodeKind::kFile;
      case DataType::kDirectory: return NodeKind::kDirectory;
      case DataType::kHAMTShard: return NodeKind::kHAMTDirectory;
      case DataType::kSymlink: return NodeKind::kSymlink;
      case DataType::kMetadata: return NodeKind::kOther;
    }
    return NodeKind::kOther;
  }
};

// Decodes `l.block` (already set) in place.
Result<Loaded> decode_loaded(Loaded l) {
  if (l.cid.codec() == multicodec::kRaw) {
    l.raw = true;
    return l;
  }
  if (l.cid.codec() != multicodec::kDagPb) return l;  // some other IPLD codec: kOther
  auto pb = dagpb::decode(l.block);
  if (!pb) return corruption("block " + l.cid.to_string() + " is not valid dag-pb: " + pb.error().message());
  l.pb = std::move(*pb);
  if (l.pb.data) {
    auto fs = unixfs::decode(*l.pb.data);
    if (!fs) return corruption("block " + l.cid.to_string() + " has invalid UnixFS data: " + fs.error().message());
    l.fs = std::move(*fs);
  }
  return l;
}

Result<Loaded> load(BlockSource& source, const Cid& cid) {
  Loaded l;
  l.cid = cid;
  l.owned = TRY(fetch_block(source, cid));
  l.block = l.owned;
  return decode_loaded(std::move(l));
}

// Like load(), reading into `scratch` (reused from block to block) when the
// source is a BlockReader, and keeping where the block lies on disk.
Result<Loaded> load_into(BlockSource& source, BlockReader* reader, const Cid& cid, ScratchBuffer scratch) {
  if (reader == nullptr || cid.is_identity()) return load(source, cid);
  Loaded l;
  l.cid = cid;
  l.scratch = std::move(scratch);
  VerifiedRead r = TRY(reader->read_verified(cid, l.scratch));
  l.block = r.data;
  l.extent = std::move(r.extent);
  return decode_loaded(std::move(l));
}

// Content size of a file node: its own data plus its children's, as claimed.
Result<uint64_t> file_content_size(const Loaded& n) {
  if (n.raw) return n.block.size();
  const Data& fs = *n.fs;
  if (fs.blocksizes.size() != n.pb.links.size())
    return corruption("file node " + n.cid.to_string() + " has " + std::to_string(n.pb.links.size()) +
                      " links but " + std::to_string(fs.blocksizes.size()) + " block sizes");
  uint64_t total = fs.data ? fs.data->size() : 0;
  for (uint64_t b : fs.blocksizes) {
    if (total + b < total) return corruption("file node " + n.cid.to_string() + " sizes overflow");
    total += b;
  }
  if (fs.filesize && *fs.filesize != total)
    return corruption("file node " + n.cid.to_string() + " claims " + std::to_string(*fs.filesize) +
                      " bytes but its parts add up to " + std::to_string(total));
  return total;
}

struct Shape {
  int width;  // hex digits in link name prefixes
  int bits;   // hash bits per level
};

Result<Shape> hamt_shape(const Loaded& n) {
  const Data& fs = *n.fs;
  if (!fs.hash_type || *fs.hash_type != multihash::kMurmur3X64_64)
    return unsupported("HAMT " + n.cid.to_string() + " uses an unsupported hash function");
  if (!fs.fanout || *fs.fanout < 8 || *fs.fanout > 1024 || std::popcount(*fs.fanout) != 1)
    return corruption("HAMT " + n.cid.to_string() + " has an invalid fanout");
  int width = std::snprintf(nullptr, 0, "%X", static_cast<unsigned>(*fs.fanout - 1));
  return Shape{width, std::countr_zero(*fs.fanout)};
}

bool is_hex_prefix(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace

Result<NodeInfo> Exporter::stat(const Cid& cid) {
  Loaded n = TRY(load(source_, cid));
  NodeInfo info;
  info.cid = cid;
  info.kind = n.kind();
  info.block_size = n.block.size();
  info.links = n.pb.links.size();
  info.tsize = n.block.size();
  for (const auto& l : n.pb.links) info.tsize += l.tsize.value_or(0);
  if (n.fs) {
    info.mode = n.fs->mode;
    info.mtime = n.fs->mtime;
  }
  if (info.kind == NodeKind::kFile) info.size = TRY(file_content_size(n));
  if (info.kind == NodeKind::kSymlink) info.size = n.fs->data ? n.fs->data->size() : 0;
  return info;
}

Result<std::string> Exporter::read_symlink(const Cid& cid) {
  Loaded n = TRY(load(source_, cid));
  if (n.kind() != NodeKind::kSymlink) return invalid_argument(cid.to_string() + " is not a symlink");
  return std::string(n.fs->data ? as_chars(*n.fs->data) : std::string_view());
}

Status Exporter::list(const Cid& dir, const EntryFn& fn) {
  Loaded root = TRY(load(source_, dir));
  if (root.kind() == NodeKind::kDirectory) {
    for (const auto& l : root.pb.links) TRY_STATUS(fn(DirEntry{l.name.value_or(""), l.hash, l.tsize.value_or(0)}));
    return {};
  }
  if (root.kind() != NodeKind::kHAMTDirectory) return invalid_argument(dir.to_string() + " is not a directory");

  const Shape shape = TRY(hamt_shape(root));
  // Depth-first over shards in link order, with an explicit stack.
  std::vector<Loaded> stack;
  stack.push_back(std::move(root));
  std::vector<size_t> positions{0};
  while (!stack.empty()) {
    Loaded& shard = stack.back();
    size_t& i = positions.back();
    if (i == shard.pb.links.size()) {
      stack.pop_back();
      positions.pop_back();
      continue;
    }
    const dagpb::Link& l = shard.pb.links[i++];
    const std::string name = l.name.value_or("");
    if (name.size() < static_cast<size_t>(shape.width) || !is_hex_prefix(std::string_view(name).substr(0, shape.width)))
      return corruption("HAMT " + shard.cid.to_string() + " has a malformed link name");
    if (name.size() > static_cast<size_t>(shape.width)) {
      TRY_STATUS(fn(DirEntry{name.substr(shape.width), l.hash, l.tsize.value_or(0)}));
      continue;
    }
    if (stack.size() > 64 / static_cast<size_t>(shape.bits))
      return corruption("HAMT " + dir.to_string() + " is deeper than its hash allows");
    Loaded sub = TRY(load(source_, l.hash));
    if (sub.kind() != NodeKind::kHAMTDirectory || !sub.fs->fanout || *sub.fs->fanout != *stack.front().fs->fanout)
      return corruption("HAMT " + dir.to_string() + " links to a shard that is not a matching HAMT");
    stack.push_back(std::move(sub));
    positions.push_back(0);
  }
  return {};
}

Result<std::optional<DirEntry>> Exporter::lookup(const Cid& dir, std::string_view name) {
  Loaded node = TRY(load(source_, dir));
  if (node.raw) return invalid_argument("no link named \"" + std::string(name) + "\" under " + dir.to_string());
  if (node.kind() != NodeKind::kHAMTDirectory) {
    // Plain directories, and any other dag-pb node, resolve by link name.
    if (node.cid.codec() != multicodec::kDagPb)
      return unsupported("cannot resolve a path through codec " + multicodec::codec_name(node.cid.codec()));
    for (const auto& l : node.pb.links)
      if (l.name && *l.name == name) return DirEntry{*l.name, l.hash, l.tsize.value_or(0)};
    return std::optional<DirEntry>();
  }
  const Shape shape = TRY(hamt_shape(node));
  const uint64_t h = crypto::murmur3_x64_64(as_bytes(name));
  for (int consumed = 0; consumed + shape.bits <= 64; consumed += shape.bits) {
    const unsigned index = static_cast<unsigned>((h << consumed) >> (64 - shape.bits));
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%0*X", shape.width, index);
    const dagpb::Link* next = nullptr;
    for (const auto& l : node.pb.links) {
      if (!l.name || l.name->compare(0, shape.width, prefix) != 0) continue;
      if (l.name->size() == static_cast<size_t>(shape.width)) {
        next = &l;
        break;
      }
      if (std::string_view(*l.name).substr(shape.width) == name) return DirEntry{std::string(name), l.hash, l.tsize.value_or(0)};
    }
    if (next == nullptr) return std::optional<DirEntry>();
    Loaded sub = TRY(load(source_, next->hash));
    if (sub.kind() != NodeKind::kHAMTDirectory) return corruption("HAMT shard link to a non-shard node");
    node = std::move(sub);
  }
  return std::optional<DirEntry>();
}

Result<Cid> Exporter::resolve(std::string_view path) {
  if (path.starts_with("/ipfs/")) path.remove_prefix(6);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  size_t slash = path.find('/');
  Cid cid = TRY(Cid::parse(path.substr(0, slash)));
  if (slash == std::string_view::npos) return cid;
  std::string_view rest = path.substr(slash + 1);
  std::string walked = cid.to_string();
  while (!rest.empty()) {
    size_t s = rest.find('/');
    std::string_view seg = rest.substr(0, s);
    rest = s == std::string_view::npos ? std::string_view() : rest.substr(s + 1);
    if (seg.empty() || seg == ".") continue;
    auto entry = TRY(lookup(cid, seg));
    if (!entry) return not_found("no link named \"" + std::string(seg) + "\" under " + walked);
    cid = entry->cid;
    walked += "/" + std::string(seg);
  }
  return cid;
}

Status Exporter::read(const Cid& file, uint64_t offset, std::optional<uint64_t> length, const ContentFn& out) {
  return read_pieces(file, offset, length, [&](const ContentPiece& piece) { return out(piece.bytes); });
}

Status Exporter::read_pieces(const Cid& file, uint64_t offset, std::optional<uint64_t> length, const PieceFn& out) {
  // Work items in output order. Each names a node and the slice of its
  // content to emit; `expected` is the content size its parent claims.
  struct Item {
    Cid cid;
    uint64_t expected = 0;  // UINT64_MAX for the root
    uint64_t skip = 0;
    uint64_t take = 0;
    std::optional<std::future<Result<Loaded>>> block;
  };
  constexpr uint64_t kUnknown = UINT64_MAX;

  Loaded root = TRY(load(source_, file));
  if (root.kind() == NodeKind::kDirectory || root.kind() == NodeKind::kHAMTDirectory)
    return invalid_argument("this dag node is a directory");
  if (root.kind() != NodeKind::kFile) return invalid_argument(file.to_string() + " is not a file");
  const uint64_t size = TRY(file_content_size(root));
  if (offset > size)
    return invalid_argument("offset was past the end of the file (" + std::to_string(offset) + " > " +
                            std::to_string(size) + ")");
  const uint64_t take = std::min(size - offset, length.value_or(kUnknown));
  if (take == 0) return {};

  // Blocks are read (and verified, and decoded) ahead on the pool, into
  // buffers that go back to `spare` once their content is out: a long read
  // allocates a window's worth of buffers once, not one per block.
  const size_t window = pool_ != nullptr ? pool_->size() * 4 : 0;
  std::deque<Item> items;
  std::vector<ScratchBuffer> spare;
  auto take_spare = [&] {
    if (spare.empty()) return ScratchBuffer();
    ScratchBuffer b = std::move(spare.back());
    spare.pop_back();
    return b;
  };
  auto launch = [&] {
    size_t n = 0;
    for (Item& it : items) {
      if (n++ >= window) break;
      if (!it.block && !it.cid.is_identity())
        it.block = pool_->submit([src = &source_, reader = reader_, cid = it.cid, buf = take_spare()]() mutable {
          return load_into(*src, reader, cid, std::move(buf));
        });
    }
  };

  // Content of `n` goes out with its place on disk when the source knows it.
  auto emit = [&](const Loaded& n, ByteView bytes) -> Status {
    ContentPiece piece{bytes};
    if (n.extent && bytes.data() >= n.block.data() && bytes.data() + bytes.size() <= n.block.data() + n.block.size()) {
      piece.file = n.extent->file.get();
      piece.file_offset = n.extent->offset + static_cast<uint64_t>(bytes.data() - n.block.data());
    }
    return out(piece);
  };

  // Expands a loaded file node: emits its own data, queues its children.
  auto expand = [&](Loaded& n, uint64_t expected, uint64_t skip, uint64_t want) -> Status {
    const uint64_t content = TRY(file_content_size(n));
    if (expected != kUnknown && content != expected)
      return corruption("node " + n.cid.to_string() + " holds " + std::to_string(content) +
                        " bytes where its parent expects " + std::to_string(expected));
    if (n.raw) return emit(n, n.block.subspan(skip, want));
    uint64_t pos = 0;
    const uint64_t end = skip + want;
    if (n.fs->data) {
      const uint64_t dlen = n.fs->data->size();
      if (skip < dlen) TRY_STATUS(emit(n, n.fs->data->subspan(skip, std::min(dlen, end) - skip)));
      pos = dlen;
    }
    std::vector<Item> children;
    for (size_t i = 0; i < n.pb.links.size() && pos < end; ++i) {
      const uint64_t len = n.fs->blocksizes[i];
      const uint64_t cstart = pos, cend = pos + len;
      pos = cend;
      if (cend <= skip || len == 0) continue;
      const uint64_t s = skip > cstart ? skip - cstart : 0;
      const uint64_t e = std::min(cend, end) - cstart;
      children.push_back(Item{n.pb.links[i].hash, len, s, e - s, std::nullopt});
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) items.push_front(std::move(*it));
    return {};
  };

  TRY_STATUS(expand(root, kUnknown, offset, take));
  while (!items.empty()) {
    if (window > 0) launch();
    Item it = std::move(items.front());
    items.pop_front();
    Loaded n = it.block ? TRY(it.block->get()) : TRY(load_into(source_, reader_, it.cid, take_spare()));
    if (n.kind() != NodeKind::kFile)
      return corruption("file " + file.to_string() + " links to a " + kind_name(n.kind()) + " node");
    TRY_STATUS(expand(n, it.expected, it.skip, it.take));
    if (n.scratch.capacity() > 0) spare.push_back(std::move(n.scratch));
  }
  return {};
}

}  // namespace ipfskit::unixfs
