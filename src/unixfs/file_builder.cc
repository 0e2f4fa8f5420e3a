#include "unixfs/file_builder.h"

#include <algorithm>

#include "base/varint.h"
#include "codec/dagpb.h"

namespace ipfskit::unixfs {

namespace {

// Room kept before and after each chunk so that the UnixFS leaf wrapper can
// be written around the data in place (at most 12 bytes before, 5 after).
constexpr size_t kHeadroom = kLeafHeadroom;
constexpr size_t kTailroom = kLeafTailroom;

// Encodes, names and stores one leaf whose `n` data bytes sit at `data`
// (with kHeadroom writable bytes before them and kTailroom after).
Result<NodeRef> make_leaf(uint8_t* data, size_t n, const CidBuilder& cids, bool raw, DataType type,
                          BlockSink* sink) {
  ByteView block;
  Cid cid;
  if (raw) {
    block = ByteView(data, n);
    cid = TRY(cids.make(multicodec::kRaw, block));
  } else {
    // PBNode{Data: UnixFS{Type, Data, filesize}} around the bytes:
    //   0a len(inner) | 08 type 12 len(n) | data | 18 n
    const size_t vn = varint::encoded_size(n);
    const size_t inner = 2 + 1 + vn + n + 1 + vn;
    uint8_t head[kHeadroom];
    size_t h = 0;
    head[h++] = 0x0a;
    h += varint::encode_to(inner, head + h);
    head[h++] = 0x08;
    head[h++] = static_cast<uint8_t>(type);
    head[h++] = 0x12;
    h += varint::encode_to(n, head + h);
    std::copy(head, head + h, data - h);
    uint8_t* tail = data + n;
    size_t t = 0;
    tail[t++] = 0x18;
    t += varint::encode_to(n, tail + t);
    block = ByteView(data - h, h + n + t);
    cid = TRY(cids.make(multicodec::kDagPb, block));
  }
  if (sink != nullptr && !cid.is_identity()) TRY_STATUS(sink->put(cid, block));
  return NodeRef{std::move(cid), block.size(), n};
}

// Kubo's empty file: a raw empty block with raw leaves, else a File node
// with filesize 0 and no Data field (bytes 0a 04 08 02 18 00).
Result<NodeRef> empty_file(const CidBuilder& cids, const DagOptions& opts, BlockSink* sink) {
  if (opts.raw_leaves) {
    Cid cid = TRY(cids.make(multicodec::kRaw, ByteView()));
    if (sink != nullptr && !cid.is_identity()) TRY_STATUS(sink->put(cid, ByteView()));
    return NodeRef{std::move(cid), 0, 0};
  }
  return put_file_node(cids, sink, {});
}

// ---- balanced layout (boxo importer/balanced) ----
//
// Each time a DAG of some depth is full (max_links children per node), it
// becomes the first child of a new root one level deeper, which is filled in
// turn. A trailing partial subtree keeps its depth: 175 chunks give a root
// with two children, the second an internal node over one leaf.

class Balanced {
 public:
  Balanced(LeafStream& leaves, const CidBuilder& cids, const DagOptions& o, BlockSink* sink)
      : leaves_(leaves), cids_(cids), o_(o), sink_(sink) {}

  Result<NodeRef> build() {
    if (!TRY(leaves_.has_next())) return empty_file(cids_, o_, sink_);
    NodeRef root = TRY(leaves_.next());
    for (int depth = 1; TRY(leaves_.has_next()); ++depth) {
      std::vector<NodeRef> children{std::move(root)};
      root = TRY(fill(std::move(children), depth));
    }
    return root;
  }

 private:
  Result<NodeRef> fill(std::vector<NodeRef> children, int depth) {
    while (children.size() < o_.max_links && TRY(leaves_.has_next())) {
      if (depth == 1) {
        children.push_back(TRY(leaves_.next()));
      } else {
        children.push_back(TRY(fill({}, depth - 1)));
      }
    }
    return put_file_node(cids_, sink_, children);
  }

  LeafStream& leaves_;
  const CidBuilder& cids_;
  const DagOptions& o_;
  BlockSink* sink_;
};

// ---- trickle layout (boxo importer/trickle) ----
//
// The root takes up to max_links leaves, then repeatedly (for depth 1, 2, ...)
// four subtrees of that depth, each built the same way with a depth limit.
// Leaves without raw leaves are Type=Raw; the root is always an internal node.

class Trickle {
 public:
  static constexpr int kDepthRepeat = 4;

  Trickle(LeafStream& leaves, const CidBuilder& cids, const DagOptions& o, BlockSink* sink)
      : leaves_(leaves), cids_(cids), o_(o), sink_(sink) {}

  Result<NodeRef> build() { return fill(-1); }

 private:
  Result<NodeRef> fill(int max_depth) {
    std::vector<NodeRef> children;
    while (children.size() < o_.max_links && TRY(leaves_.has_next())) children.push_back(TRY(leaves_.next()));
    for (int depth = 1; max_depth == -1 || depth < max_depth; ++depth) {
      if (!TRY(leaves_.has_next())) break;
      for (int r = 0; r < kDepthRepeat && TRY(leaves_.has_next()); ++r) children.push_back(TRY(fill(depth)));
    }
    return put_file_node(cids_, sink_, children);
  }

  LeafStream& leaves_;
  const CidBuilder& cids_;
  const DagOptions& o_;
  BlockSink* sink_;
};

}  // namespace

ImportContext::ImportContext(size_t workers, uint64_t max_chunk) : max_chunk_(max_chunk) {
  if (workers == 0) workers = ThreadPool::default_size();
  if (workers > 1) pool_ = std::make_unique<ThreadPool>(workers);
  // Enough chunks in flight to keep every worker busy while the reader runs ahead.
  window_ = workers > 1 ? workers * 4 : 1;
  buffers_ = std::make_unique<BufferPool>(kHeadroom + max_chunk + kTailroom, window_ + 1);
}

LeafStream::LeafStream(Chunker& chunker, ImportContext& ctx, const CidBuilder& cids, const DagOptions& opts,
                       DataType leaf_type, BlockSink* sink, ProgressFn progress)
    : chunker_(chunker),
      ctx_(ctx),
      cids_(cids),
      raw_leaves_(opts.raw_leaves),
      leaf_type_(leaf_type),
      sink_(sink),
      progress_(std::move(progress)) {}

LeafStream::~LeafStream() {
  // Tasks hold pooled buffers and refer to this stream's builder: wait for them.
  for (auto& slot : inflight_)
    if (slot.pending.valid()) slot.pending.wait();
}

void LeafStream::submit(PooledBuffer buf, size_t n, bool inline_now) {
  auto job = [buf = std::move(buf), n, &cids = cids_, raw = raw_leaves_, type = leaf_type_,
              sink = sink_]() mutable {
    Result<NodeRef> r = make_leaf(buf.data() + kHeadroom, n, cids, raw, type, sink);
    buf.reset();  // back to the pool as soon as the leaf is stored
    return r;
  };
  if (ctx_.pool() != nullptr && !inline_now) {
    inflight_.push_back(Slot{std::nullopt, ctx_.pool()->submit(std::move(job))});
  } else {
    inflight_.push_back(Slot{job(), {}});
  }
}

Status LeafStream::fill() {
  while (!eof_ && inflight_.size() < ctx_.window()) {
    PooledBuffer buf = ctx_.buffers().acquire();
    size_t n = TRY(chunker_.next(buf.data() + kHeadroom, ctx_.max_chunk()));
    if (n == 0) {
      eof_ = true;
      if (held_) submit(std::move(held_), held_size_, /*inline_now=*/true);
      break;
    }
    if (progress_) progress_(n);
    if (held_) submit(std::move(held_), held_size_, /*inline_now=*/false);
    held_ = std::move(buf);
    held_size_ = n;
  }
  return {};
}

Result<bool> LeafStream::has_next() {
  while (inflight_.empty() && !eof_) TRY_STATUS(fill());
  return !inflight_.empty();
}

Result<NodeRef> LeafStream::next() {
  TRY_STATUS(fill());
  while (inflight_.empty() && !eof_) TRY_STATUS(fill());
  if (inflight_.empty()) return internal_error("LeafStream::next past the end");
  Slot& front = inflight_.front();
  Result<NodeRef> r = front.ready ? std::move(*front.ready) : front.pending.get();
  inflight_.pop_front();
  return r;
}

Result<NodeRef> build_small_file(uint8_t* data, size_t n, const CidBuilder& cids, const DagOptions& opts,
                                 BlockSink* sink) {
  const bool trickle = opts.layout == Layout::kTrickle;
  if (n == 0) {
    // Trickle's root is always a File node, even over nothing.
    if (trickle) return put_file_node(cids, sink, {});
    return empty_file(cids, opts, sink);
  }
  NodeRef leaf = TRY(make_leaf(data, n, cids, opts.raw_leaves, trickle ? DataType::kRaw : DataType::kFile, sink));
  if (trickle) return put_file_node(cids, sink, {leaf});
  return leaf;
}

Result<NodeRef> build_file(ByteReader& input, const ChunkSpec& chunker, const DagOptions& opts,
                           ImportContext& ctx, BlockSink* sink, ProgressFn progress) {
  if (chunker.max_chunk() > ctx.max_chunk()) return internal_error("import context sized for smaller chunks");
  auto splitter = make_chunker(chunker, input);
  CidBuilder cids(opts);
  const DataType leaf_type = opts.layout == Layout::kTrickle ? DataType::kRaw : DataType::kFile;
  LeafStream leaves(*splitter, ctx, cids, opts, leaf_type, sink, std::move(progress));
  if (opts.layout == Layout::kTrickle) return Trickle(leaves, cids, opts, sink).build();
  return Balanced(leaves, cids, opts, sink).build();
}

}  // namespace ipfskit::unixfs
