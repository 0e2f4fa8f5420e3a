#include <gtest/gtest.h>

#include "codec/dagpb.h"

namespace ipfskit {
namespace {

Bytes hex(std::string_view h) {
  Bytes b;
  EXPECT_TRUE(from_hex(h, b)) << h;
  return b;
}

const Cid& some_cid() {
  static const Cid c = *Cid::parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  return c;
}

TEST(DagPb, EncodesLinksBeforeDataWithEmptyNames) {
  dagpb::Node n;
  Bytes data = hex("0801");
  n.data = data;
  n.links.push_back({some_cid(), std::string(), 9});
  Bytes enc = dagpb::encode(n);
  // 12 len | 0a 22 <cid> | 12 00 | 18 09, then 0a 02 08 01
  std::string h = to_hex(enc);
  EXPECT_EQ(h.substr(0, 8), "12280a22");
  EXPECT_NE(h.find("12001809"), std::string::npos);
  EXPECT_EQ(h.substr(h.size() - 8), "0a020801");
  EXPECT_EQ(dagpb::encoded_link_size(n.links[0]), 42u);
  auto back = dagpb::decode(enc);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->links.size(), 1u);
  EXPECT_EQ(back->links[0].hash, some_cid());
  EXPECT_EQ(back->links[0].name, std::string());
  EXPECT_EQ(back->links[0].tsize, 9u);
  EXPECT_TRUE(equal(*back->data, data));
}

TEST(DagPb, EmptyAndDataOnlyNodes) {
  auto empty = dagpb::decode(ByteView());
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->links.empty());
  EXPECT_FALSE(empty->data);
  const Bytes empty_file = hex("0a0408021800");  // Kubo's empty file
  auto file = dagpb::decode(empty_file);
  ASSERT_TRUE(file);
  EXPECT_EQ(to_hex(*file->data), "08021800");
  EXPECT_EQ(to_hex(dagpb::encode(*file)), "0a0408021800");
}

TEST(DagPb, AcceptsDataBeforeLinks) {
  dagpb::Node n;
  n.links.push_back({some_cid(), std::string("a"), 1});
  Bytes links_first = dagpb::encode(n);
  Bytes data_first = hex("0a020801");
  append(data_first, links_first);
  auto d = dagpb::decode(data_first);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->links.size(), 1u);
  EXPECT_TRUE(d->data);
}

TEST(DagPb, RejectsMalformedBlocks) {
  dagpb::Node n;
  n.links.push_back({some_cid(), std::string("a"), 1});
  Bytes link = dagpb::encode(n);
  std::vector<std::pair<std::string, Bytes>> cases;
  { Bytes b = link; append(b, hex("0a00")); append(b, link); cases.push_back({"links data links", b}); }
  cases.push_back({"duplicate data", hex("0a00" "0a00")});
  cases.push_back({"unknown field", hex("1a00")});
  cases.push_back({"data as varint", hex("0800")});
  cases.push_back({"truncated data", hex("0a05616263")});
  cases.push_back({"link without hash", hex("1202" "1200")});
  cases.push_back({"link name before hash", hex("1206" "1200" "0a02" "0000")});
  cases.push_back({"link with bad cid", hex("1204" "0a02" "1220")});
  cases.push_back({"unknown link field", hex("1226" "0a22") });
  { Bytes b = hex("1226"); append(b, hex("0a22")); append(b, some_cid().bytes()); append(b, hex("2000"));
    b[1] = static_cast<uint8_t>(b.size() - 2); cases.push_back({"link field 4", b}); }
  cases.push_back({"non-minimal varint tag", hex("8a000a00")});
  for (auto& [name, bytes] : cases) {
    auto d = dagpb::decode(bytes);
    EXPECT_FALSE(d) << name;
    if (!d) { EXPECT_EQ(d.error().code(), Code::kInvalidArgument) << name; }
  }
}

}  // namespace
}  // namespace ipfskit
