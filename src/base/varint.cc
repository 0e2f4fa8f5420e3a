#include "base/varint.h"

namespace ipfskit::varint {

namespace {

std::optional<Decoded> decode(ByteView in, size_t max_bytes, bool minimal_only) {
  uint64_t value = 0;
  for (size_t i = 0; i < in.size() && i < max_bytes; ++i) {
    uint8_t b = in[i];
    if (i == 9 && b > 1) return std::nullopt;  // the 10th byte holds bit 63 only
    value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (minimal_only && b == 0 && i > 0) return std::nullopt;
      return Decoded{value, i + 1};
    }
  }
  return std::nullopt;  // truncated, or longer than allowed
}

}  // namespace

std::optional<Decoded> decode_multiformats(ByteView in) {
  return decode(in, kMaxMultiformatsBytes, /*minimal_only=*/true);
}

std::optional<Decoded> decode_protobuf(ByteView in, bool minimal_only) {
  return decode(in, kMaxProtobufBytes, minimal_only);
}

}  // namespace ipfskit::varint
