// Multibase: self-describing base encodings (https://github.com/multiformats/multibase).
//
// A multibase string is one prefix character naming the encoding followed by
// the encoded bytes. Decoding is strict: a character outside the alphabet,
// wrong padding, or non-zero trailing bits is an error, so that one byte
// string has one spelling per base.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace ipfskit::multibase {

enum class Base : char {
  kBase2 = '0',
  kBase8 = '7',
  kBase10 = '9',
  kBase16 = 'f',
  kBase16Upper = 'F',
  kBase32Hex = 'v',
  kBase32HexUpper = 'V',
  kBase32HexPad = 't',
  kBase32HexPadUpper = 'T',
  kBase32 = 'b',
  kBase32Upper = 'B',
  kBase32Pad = 'c',
  kBase32PadUpper = 'C',
  kBase32Z = 'h',
  kBase36 = 'k',
  kBase36Upper = 'K',
  kBase58Btc = 'z',
  kBase58Flickr = 'Z',
  kBase64 = 'm',
  kBase64Pad = 'M',
  kBase64Url = 'u',
  kBase64UrlPad = 'U',
};

struct BaseInfo {
  Base base;
  std::string_view name;  // the canonical name, e.g. "base32"
};

// Every base we implement, ordered by prefix character.
const std::vector<BaseInfo>& all_bases();

// Looks a base up by name ("base32", "base58btc", ...) or by its one-character prefix.
std::optional<Base> base_by_name(std::string_view name_or_prefix);
std::optional<Base> base_by_prefix(char prefix);
std::string_view base_name(Base base);

// Encodes without the multibase prefix.
std::string encode_raw(Base base, ByteView data);
// Encodes with the prefix character.
std::string encode(Base base, ByteView data);

// Decodes without a prefix, in the given base.
Result<Bytes> decode_raw(Base base, std::string_view text);

struct Decoded {
  Base base;
  Bytes bytes;
};
// Decodes a prefixed multibase string.
Result<Decoded> decode(std::string_view text);

}  // namespace ipfskit::multibase
