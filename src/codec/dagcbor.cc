#include "codec/dagcbor.h"

#include <string>
#include <string_view>

namespace ipfskit::dagcbor {

namespace {

void put_head(Bytes& out, uint8_t major, uint64_t value) {
  const uint8_t m = static_cast<uint8_t>(major << 5);
  if (value < 24) {
    out.push_back(m | static_cast<uint8_t>(value));
  } else if (value <= 0xff) {
    out.push_back(m | 24);
    out.push_back(static_cast<uint8_t>(value));
  } else if (value <= 0xffff) {
    out.push_back(m | 25);
    for (int i = 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  } else if (value <= 0xffffffffULL) {
    out.push_back(m | 26);
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  } else {
    out.push_back(m | 27);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
}

void put_text(Bytes& out, std::string_view s) {
  put_head(out, 3, s.size());
  append(out, as_bytes(s));
}

void put_cid(Bytes& out, const Cid& c) {
  put_head(out, 6, 42);
  put_head(out, 2, c.bytes().size() + 1);
  out.push_back(0x00);  // the identity multibase prefix dag-cbor requires
  append(out, c.bytes());
}

struct Head {
  uint8_t major;
  uint64_t value;
};

class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool done() const { return pos_ == b_.size(); }

  Result<Head> head(bool allow_simple = false) {
    if (pos_ >= b_.size()) return invalid_argument("dag-cbor: truncated");
    uint8_t ib = b_[pos_++];
    Head h{static_cast<uint8_t>(ib >> 5), 0};
    uint8_t info = ib & 0x1f;
    if (h.major == 7) {
      if (!allow_simple) return invalid_argument("dag-cbor: floats and simple values are not allowed here");
      // false, true, null; and 64-bit floats (dag-cbor allows only those).
      if (info == 20 || info == 21 || info == 22) return h;
      if (info == 27) {
        if (b_.size() - pos_ < 8) return invalid_argument("dag-cbor: truncated float");
        pos_ += 8;
        return h;
      }
      return invalid_argument("dag-cbor: unsupported simple value or float width");
    }
    if (info < 24) {
      h.value = info;
      return h;
    }
    size_t n;
    switch (info) {
      case 24: n = 1; break;
      case 25: n = 2; break;
      case 26: n = 4; break;
      case 27: n = 8; break;
      default: return invalid_argument("dag-cbor: indefinite or reserved length");
    }
    if (b_.size() - pos_ < n) return invalid_argument("dag-cbor: truncated");
    for (size_t i = 0; i < n; ++i) h.value = (h.value << 8) | b_[pos_++];
    // Shortest form: each width must be needed.
    uint64_t min = n == 1 ? 24 : n == 2 ? 0x100 : n == 4 ? 0x10000 : 0x100000000ULL;
    if (h.value < min) return invalid_argument("dag-cbor: non-minimal integer encoding");
    return h;
  }

  Result<ByteView> take(uint64_t n) {
    if (n > b_.size() - pos_) return invalid_argument("dag-cbor: truncated");
    ByteView v = b_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return v;
  }

  Result<std::string_view> text() {
    Head h = TRY(head());
    if (h.major != 3) return invalid_argument("dag-cbor: expected a text string");
    ByteView v = TRY(take(h.value));
    return as_chars(v);
  }

  Result<uint64_t> uint() {
    Head h = TRY(head());
    if (h.major != 0) return invalid_argument("dag-cbor: expected an unsigned integer");
    return h.value;
  }

  Result<Cid> cid() {
    Head h = TRY(head());
    if (h.major != 6 || h.value != 42) return invalid_argument("dag-cbor: expected a CID (tag 42)");
    Head b = TRY(head());
    if (b.major != 2) return invalid_argument("dag-cbor: CID tag must wrap a byte string");
    ByteView v = TRY(take(b.value));
    if (v.empty() || v[0] != 0x00) return invalid_argument("dag-cbor: CID bytes must start with 0x00");
    auto c = Cid::from_bytes(v.subspan(1));
    if (!c) return invalid_argument("dag-cbor: " + c.error().message());
    return std::move(*c);
  }

 private:
  ByteView b_;
  size_t pos_ = 0;

 public:
  // Walks one value, reporting links; `depth` bounds nesting.
  Status walk(int depth, const std::function<Status(const Cid&)>& fn) {
    if (depth > 256) return invalid_argument("dag-cbor: nesting too deep");
    const size_t start = pos_;
    Head h = TRY(head(/*allow_simple=*/true));
    switch (h.major) {
      case 0:
      case 1:
      case 7:
        return {};
      case 2:
      case 3: {
        TRY_STATUS(take(h.value));
        return {};
      }
      case 4:
        if (h.value > b_.size()) return invalid_argument("dag-cbor: list longer than the block");
        for (uint64_t i = 0; i < h.value; ++i) TRY_STATUS(walk(depth + 1, fn));
        return {};
      case 5:
        if (h.value > b_.size()) return invalid_argument("dag-cbor: map larger than the block");
        for (uint64_t i = 0; i < h.value; ++i) {
          Head k = TRY(head());
          if (k.major != 3) return invalid_argument("dag-cbor: map keys must be strings");
          TRY_STATUS(take(k.value));
          TRY_STATUS(walk(depth + 1, fn));
        }
        return {};
      case 6: {
        pos_ = start;
        Cid c = TRY(cid());
        return fn(c);
      }
    }
    return invalid_argument("dag-cbor: unexpected major type");
  }

};

}  // namespace

Status for_each_link(ByteView bytes, const std::function<Status(const Cid&)>& fn) {
  Reader r(bytes);
  TRY_STATUS(r.walk(0, fn));
  if (!r.done()) return invalid_argument("dag-cbor: trailing bytes after the value");
  return {};
}

Bytes encode_car_header(const CarHeader& header) {
  Bytes out;
  if (header.version == 2) {
    put_head(out, 5, 1);
    put_text(out, "version");
    put_head(out, 0, 2);
    return out;
  }
  put_head(out, 5, 2);
  put_text(out, "roots");
  put_head(out, 4, header.roots.size());
  for (const Cid& c : header.roots) put_cid(out, c);
  put_text(out, "version");
  put_head(out, 0, header.version);
  return out;
}

// Limits a header can reach: a CAR with more roots than this is refused.
constexpr uint64_t kMaxRoots = 1 << 16;

Result<CarHeader> decode_car_header(ByteView bytes) {
  Reader r(bytes);
  Head m = TRY(r.head());
  if (m.major != 5) return invalid_argument("car header: not a map");
  if (m.value > 2) return invalid_argument("car header: unexpected keys");
  CarHeader h;
  bool have_version = false, have_roots = false;
  for (uint64_t i = 0; i < m.value; ++i) {
    std::string_view key = TRY(r.text());
    if (key == "version" && !have_version) {
      h.version = TRY(r.uint());
      have_version = true;
    } else if (key == "roots" && !have_roots) {
      Head a = TRY(r.head());
      if (a.major != 4) return invalid_argument("car header: roots is not a list");
      if (a.value > kMaxRoots) return invalid_argument("car header: too many roots");
      for (uint64_t j = 0; j < a.value; ++j) h.roots.push_back(TRY(r.cid()));
      have_roots = true;
    } else {
      return invalid_argument("car header: unexpected key '" + std::string(key) + "'");
    }
  }
  if (!r.done()) return invalid_argument("car header: trailing bytes");
  if (!have_version) return invalid_argument("car header: missing version");
  if (h.version == 1 && !have_roots) return invalid_argument("car header: missing roots");
  if (h.version == 2 && have_roots) return invalid_argument("car header: CARv2 pragma has roots");
  if (h.version != 1 && h.version != 2)
    return invalid_argument("car header: unsupported version " + std::to_string(h.version));
  return h;
}

}  // namespace ipfskit::dagcbor
