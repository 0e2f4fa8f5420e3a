// The protobuf wire format, just enough for dag-pb and UnixFS.
//
// We write these two messages by hand rather than with protoc: the bytes must
// match Kubo's exactly (field order, an empty link name written as `12 00`),
// and the decoders must refuse what a permissive protobuf parser would guess
// at (duplicate fields, unknown fields, truncated values).
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/error.h"
#include "base/varint.h"

namespace ipfskit::pb {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  WireType wire_type = kVarint;
  uint64_t varint = 0;  // kVarint, kFixed64, kFixed32
  ByteView bytes;       // kLengthDelimited
};

// Iterates over the fields of one message.
class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  // Reads the next field. Fails on truncation, an invalid tag, or group wire types.
  Result<Field> next();

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// ---- writing ----

inline void put_tag(Bytes& out, uint32_t field, WireType type) {
  varint::append(out, (static_cast<uint64_t>(field) << 3) | type);
}
inline void put_varint_field(Bytes& out, uint32_t field, uint64_t value) {
  put_tag(out, field, kVarint);
  varint::append(out, value);
}
inline void put_bytes_field(Bytes& out, uint32_t field, ByteView value) {
  put_tag(out, field, kLengthDelimited);
  varint::append(out, value.size());
  append(out, value);
}
// Size of a length-delimited field with a one-byte tag and `len` bytes of payload.
inline size_t bytes_field_size(size_t len) { return 1 + varint::encoded_size(len) + len; }
inline size_t varint_field_size(uint64_t v) { return 1 + varint::encoded_size(v); }

}  // namespace ipfskit::pb
