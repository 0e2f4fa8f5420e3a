// Unsigned LEB128 varints, in the two dialects we meet.
//
// multiformats (https://github.com/multiformats/unsigned-varint): at most 9
// bytes (63 bits of value) and minimally encoded; a trailing zero byte or an
// over-long encoding is an error, so every value has exactly one encoding.
//
// protobuf: up to 10 bytes for a 64-bit value. Protobuf itself tolerates
// non-minimal encodings; our strict decoders (dag-pb, UnixFS) reject them
// where the format demands canonical bytes, through `minimal_only`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace ipfskit::varint {

inline constexpr size_t kMaxMultiformatsBytes = 9;
inline constexpr size_t kMaxProtobufBytes = 10;

// Number of bytes the encoding of `value` takes.
inline size_t encoded_size(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// Writes the encoding of `value` to `out` (which must have room for 10 bytes)
// and returns the number of bytes written.
inline size_t encode_to(uint64_t value, uint8_t* out) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<uint8_t>(value) | 0x80;
    value >>= 7;
  }
  out[n++] = static_cast<uint8_t>(value);
  return n;
}

inline void append(Bytes& out, uint64_t value) {
  uint8_t buf[kMaxProtobufBytes];
  size_t n = encode_to(value, buf);
  out.insert(out.end(), buf, buf + n);
}

struct Decoded {
  uint64_t value;
  size_t length;  // bytes consumed
};

// Decodes a multiformats varint at the start of `in`. Fails (nullopt) on
// truncated input, more than 9 bytes, or a non-minimal encoding.
std::optional<Decoded> decode_multiformats(ByteView in);

// Decodes a protobuf varint at the start of `in`. Fails on truncated input,
// more than 10 bytes or a value above 2^64-1; with `minimal_only` also on a
// non-minimal encoding (a final 0x00 byte after the first).
std::optional<Decoded> decode_protobuf(ByteView in, bool minimal_only);

}  // namespace ipfskit::varint
