#include "car/car.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "base/varint.h"
#include "codec/dagcbor.h"

namespace ipfskit::car {

namespace {

void put_le(Bytes& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t get_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

// ---- CARv1 writer ----

Status V1Writer::emit(ByteView b) {
  written_ += b.size();
  return out_(b);
}

Status V1Writer::write_header(const std::vector<Cid>& roots) {
  Bytes header = dagcbor::encode_car_header({1, roots});
  Bytes out;
  varint::append(out, header.size());
  append(out, header);
  return emit(out);
}

Status V1Writer::write_block(const Cid& cid, ByteView data) {
  Bytes head;
  varint::append(head, cid.bytes().size() + data.size());
  append(head, cid.bytes());
  TRY_STATUS(emit(head));
  return emit(data);
}

// ---- indexes ----

Bytes encode_multihash_index(std::vector<IndexEntry> entries) {
  // code -> digest width -> sorted (digest, offset)
  std::map<uint64_t, std::map<size_t, std::vector<std::pair<Bytes, uint64_t>>>> groups;
  for (auto& e : entries) {
    if (e.multihash.code() == multihash::kIdentity) continue;
    ByteView d = e.multihash.digest();
    groups[e.multihash.code()][d.size()].emplace_back(to_bytes(d), e.offset);
  }
  Bytes out;
  varint::append(out, 0x0401);
  put_le(out, groups.size(), 4);
  for (auto& [code, widths] : groups) {
    put_le(out, code, 8);
    put_le(out, widths.size(), 4);
    for (auto& [width, list] : widths) {
      std::sort(list.begin(), list.end());
      const uint64_t record = width + 8;
      put_le(out, record, 4);
      put_le(out, record * list.size(), 8);  // go-car writes the byte length here
      for (auto& [digest, offset] : list) {
        append(out, digest);
        put_le(out, offset, 8);
      }
    }
  }
  return out;
}

namespace {

class IndexReader {
 public:
  explicit IndexReader(ByteView b) : b_(b) {}
  Result<uint64_t> le(int bytes) {
    if (b_.size() - pos_ < static_cast<size_t>(bytes)) return invalid_argument("car index: truncated");
    uint64_t v = get_le(b_.data() + pos_, bytes);
    pos_ += static_cast<size_t>(bytes);
    return v;
  }
  Result<ByteView> take(uint64_t n) {
    if (n > b_.size() - pos_) return invalid_argument("car index: truncated");
    ByteView v = b_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return v;
  }
  bool done() const { return pos_ == b_.size(); }

  // A multi-width index: int32 bucket count, then (uint32 width, uint64 byte length, records).
  Status buckets(uint64_t code, std::vector<IndexEntry>& out) {
    uint64_t count = TRY(le(4));
    if (count > 0x7fffffff) return invalid_argument("car index: bucket count overflows");
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t width = TRY(le(4));
      uint64_t bytes = TRY(le(8));
      if (width <= 8) return invalid_argument("car index: record width must exceed 8");
      if (bytes % width != 0) return invalid_argument("car index: bucket size is not a multiple of its width");
      ByteView records = TRY(take(bytes));
      for (size_t off = 0; off < records.size(); off += width) {
        ByteView digest = records.subspan(off, width - 8);
        out.push_back(IndexEntry{Multihash::wrap(code, digest), get_le(records.data() + off + width - 8, 8)});
      }
    }
    return {};
  }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<IndexEntry>> decode_index(ByteView bytes, uint64_t assumed_code) {
  auto codec = varint::decode_multiformats(bytes);
  if (!codec) return invalid_argument("car index: bad codec varint");
  IndexReader r(bytes.subspan(codec->length));
  std::vector<IndexEntry> out;
  if (codec->value == 0x0400) {
    TRY_STATUS(r.buckets(assumed_code, out));
  } else if (codec->value == 0x0401) {
    uint64_t codes = TRY(r.le(4));
    if (codes > 0x7fffffff) return invalid_argument("car index: code count overflows");
    for (uint64_t i = 0; i < codes; ++i) {
      uint64_t code = TRY(r.le(8));
      TRY_STATUS(r.buckets(code, out));
    }
  } else {
    return unsupported("car index: unknown index codec 0x" + to_hex(bytes.first(codec->length)));
  }
  if (!r.done()) return invalid_argument("car index: trailing bytes");
  return out;
}

// ---- CARv2 writer ----

Status V2Writer::write(ByteView b) {
  TRY_STATUS(write_all(fd_, b, name_));
  pos_ += b.size();
  return {};
}

Status V2Writer::begin(const std::vector<Cid>& roots) {
  // Pragma and a provisional header; finish() fills in the sizes.
  TRY_STATUS(write(kV2Pragma));
  Bytes header(kV2HeaderSize, 0);
  TRY_STATUS(write(header));
  v1_ = std::make_unique<V1Writer>([this](ByteView b) { return write(b); });
  return v1_->write_header(roots);
}

Status V2Writer::write_block(const Cid& cid, ByteView data) {
  if (!cid.is_identity()) index_.push_back(IndexEntry{cid.multihash(), v1_->bytes_written()});
  return v1_->write_block(cid, data);
}

Status V2Writer::finish() {
  const uint64_t data_offset = kV2Pragma.size() + kV2HeaderSize;
  const uint64_t data_size = v1_->bytes_written();
  const uint64_t index_offset = data_offset + data_size;
  TRY_STATUS(write(encode_multihash_index(std::move(index_))));
  Bytes header(16, 0);  // characteristics: none
  put_le(header, data_offset, 8);
  put_le(header, data_size, 8);
  put_le(header, index_offset, 8);
  if (::pwrite(fd_, header.data(), header.size(), static_cast<off_t>(kV2Pragma.size())) !=
      static_cast<ssize_t>(header.size()))
    return tl::unexpected(errno_error("write CARv2 header to " + name_));
  return {};
}

// ---- reader ----

Result<bool> Reader::read_exact(uint8_t* buf, size_t n) {
  size_t got = TRY(in_.read_full(buf, n));
  consumed_ += got;
  if (got == 0 && n > 0) return false;
  if (got < n) return invalid_argument("car: unexpected end of data (truncated file)");
  return true;
}

Result<std::optional<uint64_t>> Reader::read_varint() {
  uint8_t buf[varint::kMaxMultiformatsBytes];
  for (size_t i = 0; i < sizeof buf; ++i) {
    bool ok = TRY(read_exact(&buf[i], 1));
    if (!ok) {
      if (i == 0) return std::optional<uint64_t>();
      return invalid_argument("car: unexpected end of data inside a varint");
    }
    if ((buf[i] & 0x80) == 0) {
      auto v = varint::decode_multiformats(ByteView(buf, i + 1));
      if (!v) return invalid_argument("car: invalid varint");
      return std::optional<uint64_t>(v->value);
    }
  }
  return invalid_argument("car: varint too long");
}

Status Reader::skip(uint64_t n) {
  uint8_t buf[4096];
  while (n > 0) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, sizeof buf));
    bool ok = TRY(read_exact(buf, take));
    if (!ok) return invalid_argument("car: unexpected end of data");
    n -= take;
  }
  return {};
}

Result<std::unique_ptr<Reader>> Reader::open(ByteReader& in) {
  std::unique_ptr<Reader> r(new Reader(in));
  auto read_v1_header = [&]() -> Result<dagcbor::CarHeader> {
    auto len = TRY(r->read_varint());
    if (!len) return invalid_argument("car: empty input");
    if (*len == 0 || *len > kMaxHeaderSize) return invalid_argument("car: invalid header length " + std::to_string(*len));
    Bytes header(static_cast<size_t>(*len));
    if (!TRY(r->read_exact(header.data(), header.size()))) return invalid_argument("car: truncated header");
    return dagcbor::decode_car_header(header);
  };

  dagcbor::CarHeader h = TRY(read_v1_header());
  if (h.version == 2) {
    // The pragma is exactly what we just read; now the fixed CARv2 header.
    uint8_t raw[kV2HeaderSize];
    if (!TRY(r->read_exact(raw, sizeof raw))) return invalid_argument("car: truncated CARv2 header");
    V2Header v2;
    std::memcpy(v2.characteristics.data(), raw, 16);
    v2.data_offset = get_le(raw + 16, 8);
    v2.data_size = get_le(raw + 24, 8);
    v2.index_offset = get_le(raw + 32, 8);
    if (v2.data_offset < r->consumed_) return invalid_argument("car: CARv2 data offset points inside the header");
    if (v2.data_size > UINT64_MAX - v2.data_offset) return invalid_argument("car: CARv2 data size overflows");
    if (v2.index_offset != 0 && v2.index_offset < v2.data_offset + v2.data_size)
      return invalid_argument("car: CARv2 index offset points inside the data payload");
    TRY_STATUS(r->skip(v2.data_offset - r->consumed_));
    r->payload_end_ = v2.data_offset + v2.data_size;
    r->v2_ = v2;
    dagcbor::CarHeader inner = TRY(read_v1_header());
    if (inner.version != 1) return invalid_argument("car: CARv2 payload must be a CARv1");
    if (r->consumed_ > r->payload_end_) return invalid_argument("car: CARv1 header runs past the CARv2 data size");
    r->version_ = 2;
    r->roots_ = std::move(inner.roots);
  } else {
    r->roots_ = std::move(h.roots);
  }
  return r;
}

Result<std::optional<Block>> Reader::next() {
  if (v2_ && consumed_ == payload_end_) return std::optional<Block>();
  auto len = TRY(read_varint());
  if (!len) {
    if (v2_) return invalid_argument("car: CARv2 payload shorter than its data size");
    return std::optional<Block>();
  }
  if (*len == 0) return invalid_argument("car: empty section");
  if (*len > kMaxSectionSize) return invalid_argument("car: section of " + std::to_string(*len) + " bytes exceeds the limit");
  if (v2_ && consumed_ + *len > payload_end_) return invalid_argument("car: section runs past the CARv2 data size");
  Bytes section(static_cast<size_t>(*len));
  if (!TRY(read_exact(section.data(), section.size()))) return invalid_argument("car: truncated section");
  auto parsed = Cid::read_prefix(section);
  if (!parsed) return invalid_argument("car: invalid CID in section: " + parsed.error().message());
  Block b;
  b.cid = std::move(parsed->first);
  b.data.assign(section.begin() + static_cast<ptrdiff_t>(parsed->second), section.end());
  return std::optional<Block>(std::move(b));
}

Result<std::vector<IndexEntry>> Reader::read_index() {
  if (!v2_ || v2_->index_offset == 0) return not_found("car: no index");
  if (consumed_ > v2_->index_offset) return internal_error("car: read_index before the payload was read");
  TRY_STATUS(skip(v2_->index_offset - consumed_));
  Bytes rest;
  uint8_t buf[65536];
  for (;;) {
    size_t n = TRY(in_.read(buf, sizeof buf));
    if (n == 0) break;
    rest.insert(rest.end(), buf, buf + n);
    if (rest.size() > (256u << 20)) return invalid_argument("car: index too large");
  }
  return decode_index(rest);
}

}  // namespace ipfskit::car
