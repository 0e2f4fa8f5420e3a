#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "multiformats/multihash.h"

namespace ipfskit {
namespace {

TEST(Hash, Sha256KnownAnswer) {
  auto d = crypto::sha256(as_bytes("abc"));
  EXPECT_EQ(to_hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto pieces = crypto::sha256({as_bytes("a"), as_bytes(""), as_bytes("bc")});
  EXPECT_EQ(pieces, d);
}

TEST(Hash, Blake2bRfc7693) {
  // RFC 7693 Appendix A: BLAKE2b-512("abc").
  EXPECT_EQ(to_hex(crypto::blake2b(as_bytes("abc"), 64)),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
  EXPECT_EQ(to_hex(crypto::blake2b(as_bytes("abc"), 32)),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  EXPECT_EQ(to_hex(crypto::blake2b(ByteView(), 64)),
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
            "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce");
}

TEST(Hash, Blake2bMatchesOpenSslAcrossBlockBoundaries) {
  // Our BLAKE2b against OpenSSL's BLAKE2b-512 for lengths around the 128-byte block.
  for (size_t n : {0u, 1u, 127u, 128u, 129u, 255u, 256u, 257u, 1000u}) {
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
    auto ours = crypto::blake2b(data, 64);
    auto mh = Multihash::compute(0xb240, {data});
    ASSERT_TRUE(mh);
    EXPECT_EQ(to_hex(ours), to_hex(mh->digest())) << n;
  }
}

TEST(Hash, Murmur3KnownAnswers) {
  // MurmurHash3_x64_128 with seed 0, first half.
  EXPECT_EQ(crypto::murmur3_x64_64(ByteView()), 0x0000000000000000ULL);
  EXPECT_EQ(crypto::murmur3_x64_64(as_bytes("hello")), 0xcbd8a7b341bd9b02ULL);
  EXPECT_EQ(crypto::murmur3_x64_64(as_bytes("The quick brown fox jumps over the lazy dog")), 0xe34bbc7bbc071b6cULL);
}

TEST(Multihash, ComputesAndParses) {
  auto mh = Multihash::compute(multihash::kSha2_256, {as_bytes("abc")});
  ASSERT_TRUE(mh);
  EXPECT_EQ(to_hex(mh->bytes()), "1220ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto back = Multihash::from_bytes(mh->bytes());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *mh);
  Bytes truncated(mh->bytes().begin(), mh->bytes().end() - 1);
  EXPECT_FALSE(Multihash::from_bytes(truncated));
  Bytes trailing = to_bytes(mh->bytes());
  trailing.push_back(0);
  EXPECT_FALSE(Multihash::from_bytes(trailing));
  EXPECT_EQ(Multihash::compute(0x1e, {as_bytes("x")}).error().code(), Code::kUnsupported);  // blake3
}

TEST(Multihash, TableNamesMatchKubo) {
  EXPECT_EQ(multihash::name_of(0x12), "sha2-256");
  EXPECT_EQ(multihash::name_of(0xb220), "blake2b-256");
  EXPECT_EQ(multihash::name_of(0x99999), "hash?629145");
  EXPECT_EQ(multihash::by_name("sha2-512")->code, 0x13u);
}

}  // namespace
}  // namespace ipfskit
