// Content identifiers (https://github.com/multiformats/cid).
//
// CIDv0 is a bare sha2-256 multihash, always dag-pb, printed in base58btc
// ("Qm..."). CIDv1 is varint(1) varint(codec) multihash, printed with a
// multibase prefix (base32 "b..." by default, as Kubo does).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"
#include "base/small_bytes.h"
#include "multiformats/multibase.h"
#include "multiformats/multihash.h"

namespace ipfskit {

class Cid {
 public:
  Cid() = default;  // undefined; defined() is false

  // CIDv0 requires a sha2-256 multihash with a 32-byte digest.
  static Result<Cid> v0(Multihash mh);
  static Cid v1(uint64_t codec, Multihash mh);

  // Parses the text form: a CIDv0 ("Qm...", 46 characters) or any multibase
  // string whose bytes are a binary CID.
  static Result<Cid> parse(std::string_view text);
  // Parses a complete binary CID; trailing bytes are an error.
  static Result<Cid> from_bytes(ByteView bytes);
  // Parses a binary CID at the start of `bytes`; returns it and its length.
  static Result<std::pair<Cid, size_t>> read_prefix(ByteView bytes);

  bool defined() const { return !bytes_.empty(); }
  uint64_t version() const { return version_; }
  uint64_t codec() const { return codec_; }
  const Multihash& multihash() const { return mh_; }
  bool is_identity() const { return mh_.code() == multihash::kIdentity; }

  // The binary form.
  ByteView bytes() const { return bytes_.view(); }

  // Kubo's default text: base58btc for v0, base32 for v1.
  std::string to_string() const;
  // Text in `base`. CIDv0 has no multibase prefix and only base58btc.
  Result<std::string> to_string(multibase::Base base) const;

  Cid to_v1() const;
  // Fails unless the codec is dag-pb and the multihash is sha2-256/32.
  Result<Cid> to_v0() const;

  friend bool operator==(const Cid& a, const Cid& b) { return a.bytes_ == b.bytes_; }
  friend bool operator!=(const Cid& a, const Cid& b) { return !(a == b); }
  friend bool operator<(const Cid& a, const Cid& b) { return a.bytes_ < b.bytes_; }

 private:
  SmallBytes<80> bytes_;
  uint64_t version_ = 0;
  uint64_t codec_ = 0;
  Multihash mh_;
};

struct CidHash {
  size_t operator()(const Cid& c) const;
};

}  // namespace ipfskit
