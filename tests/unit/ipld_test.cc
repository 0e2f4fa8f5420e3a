#include "ipld/ipld.h"

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "multiformats/multicodec.h"

namespace ipfskit::ipld {
namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST(Ipld, DagJsonToDagCborMatchesReference) {
  // {"hello":"world"} in dag-cbor: a1 65 68656c6c6f 65 776f726c64 (the CID
  // bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae, as Kubo's
  // `echo '{"hello":"world"}' | ipfs dag put` prints it).
  auto v = decode_dag_json(R"({"hello":"world"})");
  ASSERT_TRUE(v);
  EXPECT_EQ(encode_dag_cbor(*v), hex("a16568656c6c6f65776f726c64"));
  auto mh = Multihash::compute(multihash::kSha2_256, {encode_dag_cbor(*v)});
  EXPECT_EQ(Cid::v1(multicodec::kDagCbor, *mh).to_string(), "bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae");
}

TEST(Ipld, RoundTripsEveryKind) {
  const std::string json =
      R"({"a":[1,-1,-18446744073709551616,18446744073709551615,1.5,true,false,null],)"
      R"("bytes":{"/":{"bytes":"AAEC"}},"link":{"/":"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"},)"
      R"("nested":{"zz":"\u00e9\n","b":{}},"s":"x"})";
  auto v = decode_dag_json(json);
  ASSERT_TRUE(v) << v.error().message();
  auto cbor = encode_dag_cbor(*v);
  auto back = decode_dag_cbor(cbor);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, *v);
  // dag-json output sorts keys bytewise; dag-cbor length first.
  EXPECT_EQ(encode_dag_json(*back),
            R"({"a":[1,-1,-18446744073709551616,18446744073709551615,1.5,true,false,null],)"
            R"("bytes":{"/":{"bytes":"AAEC"}},"link":{"/":"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"},)"
            R"("nested":{"b":{},"zz":"é\n"},"s":"x"})");
  const Value* nested = step(*v, "nested", false);
  ASSERT_NE(nested, nullptr);
  ASSERT_NE(step(*nested, "zz", false), nullptr);
  EXPECT_NE(step(*step(*v, "a", false), "4", false), nullptr);
  EXPECT_EQ(step(*step(*v, "a", false), "8", false), nullptr);
}

TEST(Ipld, DagCborIsStrict) {
  const char* bad[] = {
      "1817",            // 23 in two bytes: not shortest
      "9f01ff",          // indefinite list
      "a2616201616101",  // keys out of order (b before a)
      "a2616101616101",  // duplicate key
      "fa3fc00000",      // 32-bit float
      "fb7ff8000000000000",  // NaN
      "c1781a",          // tag 1
      "d82a4101",        // tag 42 without the 0x00 prefix
      "a10101",          // integer key
      "0101",            // trailing data
      "62c328",          // invalid UTF-8
      "9b00000000ffffffff",  // list longer than the input
      "f7",              // undefined
  };
  for (const char* h : bad) EXPECT_FALSE(decode_dag_cbor(hex(h))) << h;
  std::string deep(1000, '\x81');
  deep += '\x01';
  EXPECT_FALSE(decode_dag_cbor(as_bytes(deep)));
}

TEST(Ipld, DagJsonIsStrict) {
  const char* bad[] = {
      R"({"a":1,"a":2})", R"([1,])", R"({"/":"not a cid"})", R"({"/":{"bytes":"!!"}})", R"({"/":5})",
      "01", "1.", "\"\\ud800\"", "[1] x", "18446744073709551616", "\"\x01\"", "nul",
  };
  for (const char* j : bad) EXPECT_FALSE(decode_dag_json(j)) << j;
  EXPECT_FALSE(decode_dag_json(std::string(1000, '[') + std::string(1000, ']')));
}

TEST(Ipld, DagPbThroughTheDataModel) {
  // The empty directory: Data = 0801, no links.
  Bytes block = hex("0a020801");
  auto v = decode_dag_pb(block);
  ASSERT_TRUE(v);
  EXPECT_EQ(encode_dag_json(*v), R"({"Data":{"/":{"bytes":"CAE"}},"Links":[]})");
  auto again = encode_dag_pb(*v);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, block);
  EXPECT_FALSE(encode_dag_pb(*decode_dag_json(R"({"Links":[],"Extra":1})")));
  EXPECT_FALSE(encode_dag_pb(*decode_dag_json(R"({"Links":[{"Name":"x"}]})")));
}

}  // namespace
}  // namespace ipfskit::ipld
