#include "multiformats/multihash.h"

#include <algorithm>
#include <cstring>
#include <deque>

#include "base/varint.h"
#include "crypto/hash.h"

namespace ipfskit {

namespace multihash {

namespace {

std::vector<HashInfo> build_table() {
  std::vector<HashInfo> t = {
      {0x00, "identity", 0, true, true},
      {0x11, "sha1", 20, true, true},
      {0x12, "sha2-256", 32, true, true},
      {0x13, "sha2-512", 64, true, true},
      {0x14, "sha3-512", 64, true, true},
      {0x15, "sha3-384", 48, true, true},
      {0x16, "sha3-256", 32, true, true},
      {0x17, "sha3-224", 28, true, true},
      {0x18, "shake-128", 32, false, false},
      {0x19, "shake-256", 64, true, true},
      {0x1a, "keccak-224", 28, false, true},
      {0x1b, "keccak-256", 32, false, true},
      {0x1c, "keccak-384", 48, false, true},
      {0x1d, "keccak-512", 64, false, true},
      {0x1e, "blake3", 32, false, true},
      {0x20, "sha2-384", 48, true, false},
      {0x22, "murmur3-x64-64", 8, false, false},
      {0x56, "dbl-sha2-256", 32, true, true},
      {0xd5, "md5", 16, false, false},
  };
  // Generated names live in a deque, whose elements never move.
  static std::deque<std::string> names;
  // blake2b-8 .. blake2b-512: codes 0xb201..0xb240, length = n/8 bytes.
  for (uint64_t i = 1; i <= 64; ++i) {
    names.push_back("blake2b-" + std::to_string(i * 8));
    t.push_back({0xb200 + i, names.back(), i, true, i >= 20});
  }
  // blake2s-8 .. blake2s-256: codes 0xb241..0xb260; we compute only the full 256 bits.
  for (uint64_t i = 1; i <= 32; ++i) {
    names.push_back("blake2s-" + std::to_string(i * 8));
    t.push_back({0xb240 + i, names.back(), i, i == 32, i >= 20});
  }
  std::sort(t.begin(), t.end(), [](const HashInfo& a, const HashInfo& b) { return a.code < b.code; });
  return t;
}

}  // namespace

const std::vector<HashInfo>& all_hashes() {
  static const std::vector<HashInfo> table = build_table();
  return table;
}

std::optional<HashInfo> info(uint64_t code) {
  const auto& t = all_hashes();
  auto it = std::lower_bound(t.begin(), t.end(), code,
                             [](const HashInfo& h, uint64_t c) { return h.code < c; });
  if (it != t.end() && it->code == code) return *it;
  return std::nullopt;
}

std::optional<HashInfo> by_name(std::string_view name) {
  for (const auto& h : all_hashes())
    if (h.name == name) return h;
  return std::nullopt;
}

std::string name_of(uint64_t code) {
  auto i = info(code);
  if (i) return std::string(i->name);
  return "hash?" + std::to_string(code);
}

}  // namespace multihash

Result<std::pair<Multihash, size_t>> Multihash::read_prefix(ByteView bytes) {
  auto code = varint::decode_multiformats(bytes);
  if (!code) return invalid_argument("multihash: bad function code varint");
  auto len = varint::decode_multiformats(bytes.subspan(code->length));
  if (!len) return invalid_argument("multihash: bad length varint");
  size_t header = code->length + len->length;
  if (len->value > bytes.size() - header)
    return invalid_argument("multihash: digest length " + std::to_string(len->value) +
                            " exceeds the " + std::to_string(bytes.size() - header) + " bytes available");
  Multihash mh;
  size_t total = header + static_cast<size_t>(len->value);
  mh.bytes_.assign(bytes.first(total));
  mh.code_ = code->value;
  mh.digest_offset_ = header;
  return std::make_pair(std::move(mh), total);
}

Result<Multihash> Multihash::from_bytes(ByteView bytes) {
  auto [mh, used] = TRY(read_prefix(bytes));
  if (used != bytes.size()) return invalid_argument("multihash: trailing bytes after digest");
  return mh;
}

Multihash Multihash::wrap(uint64_t code, ByteView digest) {
  Multihash mh;
  uint8_t head[2 * varint::kMaxProtobufBytes];
  size_t h = varint::encode_to(code, head);
  h += varint::encode_to(digest.size(), head + h);
  if (h + digest.size() <= 128) {
    uint8_t buf[128];
    std::memcpy(buf, head, h);
    if (!digest.empty()) std::memcpy(buf + h, digest.data(), digest.size());
    mh.bytes_.assign(ByteView(buf, h + digest.size()));
  } else {
    Bytes buf(head, head + h);
    append(buf, digest);
    mh.bytes_.assign(buf);
  }
  mh.digest_offset_ = h;
  mh.code_ = code;
  return mh;
}

Result<Multihash> Multihash::compute(uint64_t code, std::initializer_list<ByteView> pieces) {
  using crypto::Algorithm;
  if (code == multihash::kIdentity) {
    Bytes all;
    for (ByteView p : pieces) append(all, p);
    return wrap(code, all);
  }
  if (code == multihash::kSha2_256) {
    auto d = crypto::sha256(pieces);
    return wrap(code, d);
  }
  if (code > 0xb200 && code <= 0xb240) {
    Bytes d = crypto::digest(Algorithm::kBlake2b, static_cast<size_t>(code - 0xb200), pieces);
    return wrap(code, d);
  }
  Algorithm a;
  switch (code) {
    case 0x11: a = Algorithm::kSha1; break;
    case 0x13: a = Algorithm::kSha2_512; break;
    case 0x14: a = Algorithm::kSha3_512; break;
    case 0x15: a = Algorithm::kSha3_384; break;
    case 0x16: a = Algorithm::kSha3_256; break;
    case 0x17: a = Algorithm::kSha3_224; break;
    case 0x19: a = Algorithm::kShake256; break;
    case 0x20: a = Algorithm::kSha2_384; break;
    case 0x56: a = Algorithm::kDoubleSha2_256; break;
    case 0xb260: a = Algorithm::kBlake2s256; break;
    default:
      return unsupported("hash function " + multihash::name_of(code) + " is not supported");
  }
  Bytes d = crypto::digest(a, 0, pieces);
  return wrap(code, d);
}

}  // namespace ipfskit
