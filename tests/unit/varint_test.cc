#include <gtest/gtest.h>

#include "base/varint.h"

namespace ipfskit {
namespace {

Bytes enc(uint64_t v) {
  Bytes b;
  varint::append(b, v);
  return b;
}

TEST(Varint, EncodesLikeLeb128) {
  EXPECT_EQ(enc(0), (Bytes{0x00}));
  EXPECT_EQ(enc(1), (Bytes{0x01}));
  EXPECT_EQ(enc(127), (Bytes{0x7f}));
  EXPECT_EQ(enc(128), (Bytes{0x80, 0x01}));
  EXPECT_EQ(enc(255), (Bytes{0xff, 0x01}));
  EXPECT_EQ(enc(300), (Bytes{0xac, 0x02}));
  EXPECT_EQ(enc(16384), (Bytes{0x80, 0x80, 0x01}));
  EXPECT_EQ(varint::encoded_size(0), 1u);
  EXPECT_EQ(varint::encoded_size(UINT64_MAX), 10u);
}

TEST(Varint, MultiformatsRoundTripsAndRejectsNonMinimal) {
  for (uint64_t v : {0ULL, 1ULL, 127ULL, 128ULL, 0x7fffffffffffffffULL}) {
    Bytes b = enc(v);
    auto d = varint::decode_multiformats(b);
    ASSERT_TRUE(d) << v;
    EXPECT_EQ(d->value, v);
    EXPECT_EQ(d->length, b.size());
  }
  EXPECT_FALSE(varint::decode_multiformats(Bytes{0x80, 0x00}));  // 0 in two bytes
  EXPECT_FALSE(varint::decode_multiformats(Bytes{0x81, 0x80, 0x00}));
  EXPECT_FALSE(varint::decode_multiformats(Bytes{0x80}));          // truncated
  EXPECT_FALSE(varint::decode_multiformats(Bytes{}));
  EXPECT_FALSE(varint::decode_multiformats(enc(UINT64_MAX)));      // 10 bytes: over the 9-byte limit
}

TEST(Varint, ProtobufAcceptsTenBytesButNotOverflow) {
  auto d = varint::decode_protobuf(enc(UINT64_MAX), true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value, UINT64_MAX);
  Bytes overflow = enc(UINT64_MAX);
  overflow[9] = 0x02;  // bit 64
  EXPECT_FALSE(varint::decode_protobuf(overflow, true));
  EXPECT_TRUE(varint::decode_protobuf(Bytes{0x80, 0x00}, false));
  EXPECT_FALSE(varint::decode_protobuf(Bytes{0x80, 0x00}, true));
}

}  // namespace
}  // namespace ipfskit
