#include "unixfs/file_reader.h"

#include <cstring>

#include "codec/dagpb.h"
#include "codec/unixfs_pb.h"
#include "multiformats/multicodec.h"

namespace ipfskit::unixfs {

namespace {
constexpr int kMaxDepth = 64;          // far beyond any real layout (1 GiB balanced: depth 2)
constexpr size_t kRecentLeaves = 4;    // reads straddling leaves, and re-reads
constexpr size_t kReadAhead = 8;       // leaves fetched ahead of a sequential reader
constexpr size_t kMaxPending = 16;
}  // namespace

FileReader::FileReader(BlockSource& source, const Cid& root, uint64_t size, ThreadPool* pool)
    : source_(source), pool_(pool), size_(size) {
  if (size > 0) layout_[0] = Segment{root, size, 0, nullptr};
}

FileReader::~FileReader() {
  // Read-ahead tasks use source_: let them finish first.
  for (auto& [cid, f] : pending_) f.wait();
}

Result<std::shared_ptr<const Bytes>> FileReader::fetch(const Cid& cid) {
  auto it = pending_.find(cid);
  if (it != pending_.end()) {
    auto f = std::move(it->second);
    pending_.erase(it);
    return f.get();
  }
  Bytes b = TRY(source_.get(cid));
  return std::make_shared<const Bytes>(std::move(b));
}

void FileReader::prefetch_after(uint64_t start) {
  auto it = layout_.upper_bound(start);
  if (it != layout_.begin()) --it;
  size_t queued = 0;
  for (; it != layout_.end() && queued < kReadAhead && pending_.size() < kMaxPending; ++it) {
    const Segment& s = it->second;
    if (!s.cid.defined() || it->first + s.size <= start) continue;
    bool cached = false;
    for (const auto& r : recent_) cached = cached || r.first == it->first;
    if (cached || pending_.count(s.cid)) {
      ++queued;
      continue;
    }
    BlockSource* src = &source_;
    Cid cid = s.cid;
    pending_.emplace(cid, pool_->submit([src, cid]() -> Result<std::shared_ptr<const Bytes>> {
                       Bytes b = TRY(src->get(cid));
                       return std::make_shared<const Bytes>(std::move(b));
                     }).share());
    ++queued;
  }
}

Result<std::pair<uint64_t, FileReader::Leaf>> FileReader::leaf_at(uint64_t offset) {
  for (auto r = recent_.begin(); r != recent_.end(); ++r) {
    if (offset >= r->first && offset - r->first < r->second.size) {
      recent_.splice(recent_.begin(), recent_, r);
      return recent_.front();
    }
  }
  for (;;) {
    auto it = layout_.upper_bound(offset);
    if (it == layout_.begin()) return internal_error("no layout entry covers offset " + std::to_string(offset));
    --it;
    const uint64_t start = it->first;
    Segment seg = it->second;
    if (offset - start >= seg.size) return corruption("file layout has a gap at offset " + std::to_string(offset));
    Leaf leaf;
    leaf.size = seg.size;
    if (seg.inline_data) {
      leaf.block = seg.inline_data;
    } else {
      auto block = TRY(fetch(seg.cid));
      if (seg.cid.codec() == multicodec::kRaw) {
        if (block->size() != seg.size)
          return corruption("block " + seg.cid.to_string() + " holds " + std::to_string(block->size()) +
                            " bytes, its parent claims " + std::to_string(seg.size));
        leaf.block = block;
      } else if (seg.cid.codec() == multicodec::kDagPb) {
        dagpb::Node node = TRY(dagpb::decode(ByteView(*block)));
        if (!node.data) return corruption("node " + seg.cid.to_string() + " has no UnixFS data");
        Data d = TRY(decode(*node.data));
        if (d.type != DataType::kFile && d.type != DataType::kRaw)
          return corruption("node " + seg.cid.to_string() + " inside a file is a " + type_name(d.type));
        const uint64_t own = d.data ? d.data->size() : 0;
        if (node.links.empty()) {
          if (own != seg.size)
            return corruption("leaf " + seg.cid.to_string() + " holds " + std::to_string(own) + " bytes, its parent claims " +
                              std::to_string(seg.size));
          leaf.block = block;
          leaf.data_offset = d.data ? static_cast<size_t>(d.data->data() - block->data()) : 0;
        } else {
          if (d.blocksizes.size() != node.links.size())
            return corruption("node " + seg.cid.to_string() + " has " + std::to_string(node.links.size()) + " links but " +
                              std::to_string(d.blocksizes.size()) + " blocksizes");
          uint64_t total = own;
          for (uint64_t b : d.blocksizes) {
            if (b > size_ || total + b < total) return corruption("node " + seg.cid.to_string() + " claims impossible sizes");
            total += b;
          }
          if (total != seg.size)
            return corruption("node " + seg.cid.to_string() + " covers " + std::to_string(total) + " bytes, its parent claims " +
                              std::to_string(seg.size));
          if (seg.depth >= kMaxDepth) return corruption("file DAG deeper than " + std::to_string(kMaxDepth));
          layout_.erase(it);
          uint64_t pos = start;
          if (own > 0) {
            auto data = std::make_shared<const Bytes>(d.data->begin(), d.data->end());
            layout_[pos] = Segment{Cid(), own, seg.depth + 1, std::move(data)};
            pos += own;
          }
          for (size_t i = 0; i < node.links.size(); ++i) {
            if (d.blocksizes[i] == 0) continue;
            layout_[pos] = Segment{node.links[i].hash, d.blocksizes[i], seg.depth + 1, nullptr};
            pos += d.blocksizes[i];
          }
          continue;  // look again: the offset now falls in a child
        }
      } else {
        return corruption("block " + seg.cid.to_string() + " is not a UnixFS file node");
      }
    }
    recent_.emplace_front(start, leaf);
    if (recent_.size() > kRecentLeaves) recent_.pop_back();
    return recent_.front();
  }
}

Result<size_t> FileReader::read_pieces(uint64_t offset, size_t n, std::vector<Piece>& out) {
  std::lock_guard lock(mu_);
  if (offset >= size_ || n == 0) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  const bool sequential = offset == next_expected_ || offset == 0;
  size_t done = 0;
  while (done < n) {
    const uint64_t at = offset + done;
    auto [start, leaf] = TRY(leaf_at(at));
    const uint64_t within = at - start;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n - done, leaf.size - within));
    out.push_back(Piece{leaf.block, leaf.block->data() + leaf.data_offset + within, take});
    done += take;
  }
  next_expected_ = offset + n;
  if (sequential && pool_) prefetch_after(next_expected_);
  return n;
}

Result<size_t> FileReader::read(uint64_t offset, uint8_t* buf, size_t n) {
  std::vector<Piece> pieces;
  size_t total = TRY(read_pieces(offset, n, pieces));
  size_t pos = 0;
  for (const Piece& p : pieces) {
    std::memcpy(buf + pos, p.data, p.size);
    pos += p.size;
  }
  return total;
}

}  // namespace ipfskit::unixfs
