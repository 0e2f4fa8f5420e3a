#include "codec/protobuf.h"

#include <string>

namespace ipfskit::pb {

Result<Field> Reader::next() {
  auto tag = varint::decode_protobuf(data_.subspan(pos_), /*minimal_only=*/true);
  if (!tag) return invalid_argument("protobuf: bad field tag at offset " + std::to_string(pos_));
  if (tag->value > 0xffffffffULL || (tag->value >> 3) == 0)
    return invalid_argument("protobuf: invalid field number at offset " + std::to_string(pos_));
  pos_ += tag->length;
  Field f;
  f.number = static_cast<uint32_t>(tag->value >> 3);
  const uint8_t wt = static_cast<uint8_t>(tag->value & 7);
  ByteView rest = data_.subspan(pos_);
  switch (wt) {
    case kVarint: {
      auto v = varint::decode_protobuf(rest, /*minimal_only=*/true);
      if (!v) return invalid_argument("protobuf: bad varint in field " + std::to_string(f.number));
      f.wire_type = kVarint;
      f.varint = v->value;
      pos_ += v->length;
      return f;
    }
    case kLengthDelimited: {
      auto len = varint::decode_protobuf(rest, /*minimal_only=*/true);
      if (!len) return invalid_argument("protobuf: bad length in field " + std::to_string(f.number));
      if (len->value > rest.size() - len->length)
        return invalid_argument("protobuf: field " + std::to_string(f.number) + " runs past the end");
      f.wire_type = kLengthDelimited;
      f.bytes = rest.subspan(len->length, static_cast<size_t>(len->value));
      pos_ += len->length + static_cast<size_t>(len->value);
      return f;
    }
    case kFixed64:
    case kFixed32: {
      size_t n = wt == kFixed64 ? 8 : 4;
      if (rest.size() < n) return invalid_argument("protobuf: truncated fixed field " + std::to_string(f.number));
      uint64_t v = 0;
      for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(rest[i]) << (8 * i);
      f.wire_type = static_cast<WireType>(wt);
      f.varint = v;
      pos_ += n;
      return f;
    }
    default:
      return invalid_argument("protobuf: unsupported wire type " + std::to_string(wt) + " in field " +
                        std::to_string(f.number));
  }
}

}  // namespace ipfskit::pb
