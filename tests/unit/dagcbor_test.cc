#include <gtest/gtest.h>

#include "codec/dagcbor.h"

namespace ipfskit {
namespace {

TEST(DagCbor, CarHeaderRoundTrip) {
  dagcbor::CarHeader h;
  h.roots.push_back(*Cid::parse("bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y"));
  h.roots.push_back(*Cid::parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"));
  Bytes enc = dagcbor::encode_car_header(h);
  // {"roots": [...], "version": 1}: "roots" sorts before "version" (shorter key first).
  EXPECT_EQ(to_hex(ByteView(enc).first(8)), "a265726f6f747382");
  auto back = dagcbor::decode_car_header(enc);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->version, 1u);
  ASSERT_EQ(back->roots.size(), 2u);
  EXPECT_EQ(back->roots[0], h.roots[0]);
  EXPECT_EQ(back->roots[1], h.roots[1]);
}

TEST(DagCbor, V2Pragma) {
  dagcbor::CarHeader h;
  h.version = 2;
  EXPECT_EQ(to_hex(dagcbor::encode_car_header(h)), "a16776657273696f6e02");
  auto d = dagcbor::decode_car_header(dagcbor::encode_car_header(h));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version, 2u);
}

TEST(DagCbor, RejectsMalformedHeaders) {
  for (const char* bad : {
           "",                                  // nothing
           "a0",                                // no version
           "a16776657273696f6e01",              // v1 without roots
           "a16776657273696f6e03",              // v3
           "a16776657273696f6e1801",            // non-minimal integer
           "a26776657273696f6e0167766572736916" // truncated
           "6f6e01",
           "a165726f6f747380",                  // roots without version
           "bf6776657273696f6e01ff",            // indefinite-length map
           "a16776657273696f6efb3ff0000000000000",  // float
           "a265726f6f747381d82a4100" "6776657273696f6e01",  // CID bytes without the 0x00 prefix? (0x00 alone: empty CID)
           "a265726f6f747381d82b41006776657273696f6e01",  // tag 43
           "a3657a7a7a7a7a006776657273696f6e01",  // three keys
       }) {
    Bytes b;
    ASSERT_TRUE(from_hex(bad, b)) << bad;
    EXPECT_FALSE(dagcbor::decode_car_header(b)) << bad;
  }
}

}  // namespace
}  // namespace ipfskit
