#include <gtest/gtest.h>

#include "multiformats/cid.h"
#include "multiformats/multicodec.h"

namespace ipfskit {
namespace {

TEST(Cid, ParsesV0AndPrintsCanonically) {
  auto c = Cid::parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->version(), 0u);
  EXPECT_EQ(c->codec(), multicodec::kDagPb);
  EXPECT_EQ(c->multihash().code(), multihash::kSha2_256);
  EXPECT_EQ(c->to_string(), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  EXPECT_EQ(c->bytes().size(), 34u);
}

TEST(Cid, ConvertsBetweenVersions) {
  auto v0 = *Cid::parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  Cid v1 = v0.to_v1();
  EXPECT_EQ(v1.to_string(), "bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y");
  auto back = v1.to_v0();
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v0);
  auto raw = *Cid::parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_FALSE(raw.to_v0());  // raw codec has no CIDv0
}

TEST(Cid, ParsesEveryMultibaseSpelling) {
  auto c = *Cid::parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  for (const auto& b : multibase::all_bases()) {
    auto text = c.to_string(b.base);
    ASSERT_TRUE(text) << b.name;
    auto back = Cid::parse(*text);
    ASSERT_TRUE(back) << b.name << " " << *text;
    EXPECT_EQ(*back, c) << b.name;
  }
  EXPECT_EQ(*c.to_string(multibase::Base::kBase36), "k2cwueebp9wws0fnm29jatrrbqocjaivp132efhd99cd5phw2odywbit");
  EXPECT_EQ(*c.to_string(multibase::Base::kBase58Btc), "zb2rhmy65F3REf8SZp7De11gxtECBGgUKaLdiDj7MCGCHxbDW");
}

TEST(Cid, V0OnlyInBase58) {
  auto v0 = *Cid::parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  EXPECT_FALSE(v0.to_string(multibase::Base::kBase32));
}

TEST(Cid, RejectsMalformedCids) {
  for (const char* bad : {"", "Q", "Qm", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQ",  // short
                          "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQI",                 // 'I' not base58
                          "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",   // truncated digest
                          "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykuaa", // trailing bytes
                          "hello world", "/ipfs/QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
                          "\xff\xfe"}) {
    auto c = Cid::parse(bad);
    EXPECT_FALSE(c) << bad;
    if (!c) { EXPECT_EQ(c.error().code(), Code::kInvalidArgument); }
  }
}

TEST(Cid, RejectsReservedVersions) {
  for (uint8_t version : {0, 2, 3}) {
    Bytes b = {version, 0x55, 0x12, 0x20};
    b.resize(36, 0xab);
    auto c = Cid::parse(multibase::encode(multibase::Base::kBase32, b));
    EXPECT_FALSE(c) << int(version);
  }
}

TEST(Cid, BinaryPrefixParsing) {
  auto c = *Cid::parse("bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y");
  Bytes buf = to_bytes(c.bytes());
  buf.push_back(0xaa);
  auto p = Cid::read_prefix(buf);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, c);
  EXPECT_EQ(p->second, c.bytes().size());
  EXPECT_FALSE(Cid::from_bytes(buf));
}

TEST(Cid, IdentityCid) {
  auto mh = Multihash::compute(multihash::kIdentity, {as_bytes("hi")});
  Cid c = Cid::v1(multicodec::kRaw, *mh);
  EXPECT_TRUE(c.is_identity());
  EXPECT_EQ(c.to_string(), "bafkqaatine");
  EXPECT_EQ(Cid::parse("bafkqaaa")->multihash().digest().size(), 0u);
}

}  // namespace
}  // namespace ipfskit
