#include <gtest/gtest.h>

#include "multiformats/multibase.h"

namespace ipfskit {
namespace {

using multibase::Base;

// multiformats/multibase tests/basic.csv and two_leading_zeros.csv.
struct Vector {
  const char* name;
  const char* basic;  // "yes mani !"
  const char* zeros;  // "\0\0yes mani !"
};

const Vector kVectors[] = {
    {"base2", "001111001011001010111001100100000011011010110000101101110011010010010000000100001",
     "0000000000000000001111001011001010111001100100000011011010110000101101110011010010010000000100001"},
    {"base10", "9573277761329450583662625", "900573277761329450583662625"},
    {"base16", "f796573206d616e692021", "f0000796573206d616e692021"},
    {"base16upper", "F796573206D616E692021", "F0000796573206D616E692021"},
    {"base32", "bpfsxgidnmfxgsibb", "baaahszltebwwc3tjeaqq"},
    {"base32upper", "BPFSXGIDNMFXGSIBB", "BAAAHSZLTEBWWC3TJEAQQ"},
    {"base32hex", "vf5in683dc5n6i811", "v0007ipbj41mm2rj940gg"},
    {"base32hexupper", "VF5IN683DC5N6I811", "V0007IPBJ41MM2RJ940GG"},
    {"base32pad", "cpfsxgidnmfxgsibb", "caaahszltebwwc3tjeaqq===="},
    {"base32padupper", "CPFSXGIDNMFXGSIBB", "CAAAHSZLTEBWWC3TJEAQQ===="},
    {"base32hexpad", "tf5in683dc5n6i811", "t0007ipbj41mm2rj940gg===="},
    {"base32hexpadupper", "TF5IN683DC5N6I811", "T0007IPBJ41MM2RJ940GG===="},
    {"base32z", "hxf1zgedpcfzg1ebb", "hyyy813murbssn5ujryoo"},
    {"base36", "k2lcpzo5yikidynfl", "k002lcpzo5yikidynfl"},
    {"base36upper", "K2LCPZO5YIKIDYNFL", "K002LCPZO5YIKIDYNFL"},
    {"base58flickr", "Z7Pznk19XTTzBtx", "Z117Pznk19XTTzBtx"},
    {"base58btc", "z7paNL19xttacUY", "z117paNL19xttacUY"},
    {"base64", "meWVzIG1hbmkgIQ", "mAAB5ZXMgbWFuaSAh"},
    {"base64pad", "MeWVzIG1hbmkgIQ==", "MAAB5ZXMgbWFuaSAh"},
    {"base64url", "ueWVzIG1hbmkgIQ", "uAAB5ZXMgbWFuaSAh"},
    {"base64urlpad", "UeWVzIG1hbmkgIQ==", "UAAB5ZXMgbWFuaSAh"},
};

TEST(Multibase, SpecVectorsEncodeAndDecode) {
  const Bytes basic = to_bytes(std::string_view("yes mani !"));
  Bytes zeros{0, 0};
  append(zeros, basic);
  for (const Vector& v : kVectors) {
    auto base = multibase::base_by_name(v.name);
    ASSERT_TRUE(base) << v.name;
    EXPECT_EQ(multibase::encode(*base, basic), v.basic) << v.name;
    EXPECT_EQ(multibase::encode(*base, zeros), v.zeros) << v.name;
    auto d = multibase::decode(v.basic);
    ASSERT_TRUE(d) << v.name << ": " << d.error().message();
    EXPECT_EQ(d->base, *base);
    EXPECT_EQ(d->bytes, basic) << v.name;
    auto dz = multibase::decode(v.zeros);
    ASSERT_TRUE(dz) << v.name;
    EXPECT_EQ(dz->bytes, zeros) << v.name;
  }
}

// base8 is left out of the spec vectors above: the multibase CSV left-pads the
// bits while js-multiformats pads at the end; we follow js-multiformats.
TEST(Multibase, Base8MatchesJsMultiformats) {
  EXPECT_EQ(multibase::encode(Base::kBase8, as_bytes("yes mani !")), "7362625631006654133464440102");
}

TEST(Multibase, EmptyInputRoundTrips) {
  for (const auto& b : multibase::all_bases()) {
    std::string s = multibase::encode(b.base, ByteView());
    auto d = multibase::decode(s);
    ASSERT_TRUE(d) << b.name;
    EXPECT_TRUE(d->bytes.empty()) << b.name;
  }
}

TEST(Multibase, RandomBytesRoundTripInEveryBase) {
  uint32_t x = 12345;
  for (int len = 0; len < 70; ++len) {
    Bytes data(static_cast<size_t>(len));
    for (auto& c : data) c = static_cast<uint8_t>((x = x * 1103515245 + 12345) >> 16);
    if (len % 5 == 0 && len > 0) data[0] = 0;  // leading zeros matter for big-number bases
    for (const auto& b : multibase::all_bases()) {
      auto d = multibase::decode(multibase::encode(b.base, data));
      ASSERT_TRUE(d) << b.name << " len " << len;
      EXPECT_EQ(d->bytes, data) << b.name << " len " << len;
    }
  }
}

TEST(Multibase, RejectsMalformedInput) {
  EXPECT_FALSE(multibase::decode(""));
  EXPECT_FALSE(multibase::decode("!abc"));                // unknown prefix
  EXPECT_FALSE(multibase::decode("bPFSXG"));              // upper case in a lower-case base
  EXPECT_FALSE(multibase::decode("z0OIl"));               // not in the base58 alphabet
  EXPECT_TRUE(multibase::decode("bme"));                  // "a"
  EXPECT_FALSE(multibase::decode("bmf"));                 // non-zero trailing bits
  EXPECT_FALSE(multibase::decode("b" + std::string(1, 'a')));  // a dangling character
  EXPECT_FALSE(multibase::decode("MeWVzIG1hbmkgIQ="));    // wrong padding
  EXPECT_FALSE(multibase::decode("meWVzIG1hbmkgIQ=="));   // padding in an unpadded base
  EXPECT_FALSE(multibase::decode("f7g"));                 // odd hex
  EXPECT_FALSE(multibase::decode("z" + std::string(5000, '2')));  // over the big-number length cap
}

TEST(Multibase, Base16AcceptsEitherCaseLikeGo) {
  auto d = multibase::decode("f796573206D616E692021");
  ASSERT_TRUE(d);
  EXPECT_EQ(as_chars(d->bytes), "yes mani !");
}

}  // namespace
}  // namespace ipfskit
