// Multihash: self-describing hash digests (https://github.com/multiformats/multihash).
//
// Wire form: varint(function code) varint(digest length) digest.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/small_bytes.h"

namespace ipfskit {

namespace multihash {

inline constexpr uint64_t kIdentity = 0x00;
inline constexpr uint64_t kSha1 = 0x11;
inline constexpr uint64_t kSha2_256 = 0x12;
inline constexpr uint64_t kSha2_512 = 0x13;
inline constexpr uint64_t kBlake2b256 = 0xb220;
inline constexpr uint64_t kMurmur3X64_64 = 0x22;

struct HashInfo {
  uint64_t code;
  std::string_view name;
  size_t default_length;  // digest bytes when computed with the default length
  bool implemented;       // we can compute it (for `add --hash`, block verification)
  bool allowed;           // Kubo's default allowlist: acceptable for blocks
};

// The hash functions we can name, ordered by code.
const std::vector<HashInfo>& all_hashes();
std::optional<HashInfo> info(uint64_t code);
std::optional<HashInfo> by_name(std::string_view name);
// "sha2-256", or "hash?<code>" for an unknown code (as go-cidutil prints).
std::string name_of(uint64_t code);

// Longest identity digest accepted for a block (Kubo's verifcid limit).
inline constexpr size_t kMaxIdentityDigest = 128;

}  // namespace multihash

class Multihash {
 public:
  Multihash() = default;

  // Parses a complete multihash: trailing bytes are an error.
  static Result<Multihash> from_bytes(ByteView bytes);

  // Parses a multihash at the start of `bytes`; returns it and its length.
  static Result<std::pair<Multihash, size_t>> read_prefix(ByteView bytes);

  // Wraps an existing digest.
  static Multihash wrap(uint64_t code, ByteView digest);

  // Hashes the concatenation of `pieces` with the function `code`. Identity
  // copies the input. Fails for functions we cannot compute.
  static Result<Multihash> compute(uint64_t code, std::initializer_list<ByteView> pieces);

  uint64_t code() const { return code_; }
  ByteView digest() const { return bytes_.view().subspan(digest_offset_); }
  // The wire form: varint(code) varint(length) digest.
  ByteView bytes() const { return bytes_.view(); }
  bool empty() const { return bytes_.empty(); }

  friend bool operator==(const Multihash& a, const Multihash& b) { return a.bytes_ == b.bytes_; }
  friend bool operator<(const Multihash& a, const Multihash& b) { return a.bytes_ < b.bytes_; }

 private:
  // Inline up to 72 bytes: every hash but a long identity digest.
  SmallBytes<72> bytes_;
  uint64_t code_ = 0;
  size_t digest_offset_ = 0;
};

}  // namespace ipfskit
