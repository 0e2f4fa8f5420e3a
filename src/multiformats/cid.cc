#include "multiformats/cid.h"

#include <cstring>

#include "base/varint.h"
#include "multiformats/multicodec.h"

namespace ipfskit {

namespace {
bool is_v0_multihash(const Multihash& mh) {
  return mh.code() == multihash::kSha2_256 && mh.digest().size() == 32;
}
}  // namespace

Result<Cid> Cid::v0(Multihash mh) {
  if (!is_v0_multihash(mh)) return invalid_argument("CIDv0 requires a sha2-256 multihash");
  Cid c;
  c.version_ = 0;
  c.codec_ = multicodec::kDagPb;
  c.bytes_.assign(mh.bytes());
  c.mh_ = std::move(mh);
  return c;
}

Cid Cid::v1(uint64_t codec, Multihash mh) {
  Cid c;
  c.version_ = 1;
  c.codec_ = codec;
  uint8_t head[2 * varint::kMaxProtobufBytes];
  size_t h = varint::encode_to(1, head);
  h += varint::encode_to(codec, head + h);
  ByteView m = mh.bytes();
  if (h + m.size() <= 160) {
    uint8_t buf[160];
    std::memcpy(buf, head, h);
    std::memcpy(buf + h, m.data(), m.size());
    c.bytes_.assign(ByteView(buf, h + m.size()));
  } else {
    Bytes buf(head, head + h);
    append(buf, m);
    c.bytes_.assign(buf);
  }
  c.mh_ = std::move(mh);
  return c;
}

Result<std::pair<Cid, size_t>> Cid::read_prefix(ByteView bytes) {
  if (bytes.size() >= 2 && bytes[0] == 0x12 && bytes[1] == 0x20) {
    // A bare sha2-256 multihash: CIDv0.
    auto [mh, used] = TRY(Multihash::read_prefix(bytes));
    Cid c = TRY(v0(std::move(mh)));
    return std::make_pair(std::move(c), used);
  }
  auto version = varint::decode_multiformats(bytes);
  if (!version) return invalid_argument("cid: bad version varint");
  if (version->value != 1)
    return invalid_argument("cid: invalid version " + std::to_string(version->value));
  auto codec = varint::decode_multiformats(bytes.subspan(version->length));
  if (!codec) return invalid_argument("cid: bad codec varint");
  size_t header = version->length + codec->length;
  auto [mh, used] = TRY(Multihash::read_prefix(bytes.subspan(header)));
  Cid c = v1(codec->value, std::move(mh));
  return std::make_pair(std::move(c), header + used);
}

Result<Cid> Cid::from_bytes(ByteView bytes) {
  auto [c, used] = TRY(read_prefix(bytes));
  if (used != bytes.size()) return invalid_argument("cid: trailing bytes");
  return c;
}

Result<Cid> Cid::parse(std::string_view text) {
  if (text.size() < 2) return invalid_argument("invalid cid: too short");
  if (text.size() == 46 && text.starts_with("Qm")) {
    auto raw = multibase::decode_raw(multibase::Base::kBase58Btc, text);
    if (!raw) return invalid_argument("invalid cid: " + raw.error().message());
    auto mh = Multihash::from_bytes(*raw);
    if (!mh) return invalid_argument("invalid cid: " + mh.error().message());
    auto c = v0(std::move(*mh));
    if (!c) return invalid_argument("invalid cid: " + c.error().message());
    return c;
  }
  auto decoded = multibase::decode(text);
  if (!decoded) return invalid_argument("invalid cid: " + decoded.error().message());
  auto c = from_bytes(decoded->bytes);
  if (!c) return invalid_argument("invalid cid: " + c.error().message());
  return c;
}

std::string Cid::to_string() const {
  if (!defined()) return "b";
  if (version_ == 0) return multibase::encode_raw(multibase::Base::kBase58Btc, bytes());
  return multibase::encode(multibase::Base::kBase32, bytes());
}

Result<std::string> Cid::to_string(multibase::Base base) const {
  if (version_ == 0) {
    if (base != multibase::Base::kBase58Btc)
      return invalid_argument("CIDv0 can only be encoded in base58btc");
    return multibase::encode_raw(base, bytes());
  }
  return multibase::encode(base, bytes());
}

Cid Cid::to_v1() const {
  if (version_ == 1) return *this;
  return v1(codec_, mh_);
}

Result<Cid> Cid::to_v0() const {
  if (codec_ != multicodec::kDagPb) return invalid_argument("can't convert non-dag-pb nodes to cidv0");
  return v0(mh_);
}

size_t CidHash::operator()(const Cid& c) const {
  if (c.is_identity()) return std::hash<std::string_view>()(as_chars(c.bytes()));
  // A cryptographic digest is already uniformly distributed; take bytes from its end.
  ByteView d = c.multihash().digest();
  size_t h = 0;
  size_t n = std::min(d.size(), sizeof(h));
  if (n > 0) std::memcpy(&h, d.data() + d.size() - n, n);
  return h ^ std::hash<uint64_t>()(c.codec());
}

}  // namespace ipfskit
