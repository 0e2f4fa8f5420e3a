#include <gtest/gtest.h>
#include <fcntl.h>

#include "base/varint.h"
#include "car/car.h"
#include "test_util.h"
#include "unixfs/importer.h"

namespace ipfskit {
namespace {

std::vector<car::Block> sample_blocks() {
  std::vector<car::Block> blocks;
  for (int i = 0; i < 5; ++i) {
    Bytes data = test::deterministic_bytes("car-" + std::to_string(i), 100 + 1000 * i);
    auto mh = Multihash::compute(multihash::kSha2_256, {data});
    blocks.push_back({Cid::v1(multicodec::kRaw, *mh), data});
  }
  auto id = Multihash::compute(multihash::kIdentity, {as_bytes("inline")});
  blocks.push_back({Cid::v1(multicodec::kRaw, *id), to_bytes(std::string_view("inline"))});
  auto blake = Multihash::compute(multihash::kBlake2b256, {as_bytes("other hash")});
  blocks.push_back({Cid::v1(multicodec::kRaw, *blake), to_bytes(std::string_view("other hash"))});
  return blocks;
}

Result<std::vector<car::Block>> read_car(ByteView bytes, std::vector<Cid>* roots = nullptr, uint64_t* version = nullptr) {
  MemoryReader in(bytes);
  auto r = TRY(car::Reader::open(in));
  if (roots) *roots = r->roots();
  if (version) *version = r->version();
  std::vector<car::Block> out;
  for (;;) {
    auto b = TRY(r->next());
    if (!b) break;
    out.push_back(std::move(*b));
  }
  return out;
}

TEST(Car, V1RoundTrip) {
  auto blocks = sample_blocks();
  Bytes out;
  car::V1Writer w([&](ByteView b) -> Status {
    append(out, b);
    return {};
  });
  ASSERT_TRUE(w.write_header({blocks[0].cid}));
  for (const auto& b : blocks) ASSERT_TRUE(w.write_block(b.cid, b.data));
  std::vector<Cid> roots;
  uint64_t version = 0;
  auto back = read_car(out, &roots, &version);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(version, 1u);
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0], blocks[0].cid);
  ASSERT_EQ(back->size(), blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ((*back)[i].cid, blocks[i].cid);
    EXPECT_EQ((*back)[i].data, blocks[i].data);
  }
}

TEST(Car, V2WithIndexRoundTrip) {
  test::TempDir tmp;
  auto blocks = sample_blocks();
  const std::string path = tmp.file("x.car");
  {
    auto fd = open_file(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ASSERT_TRUE(fd);
    car::V2Writer w(fd->get(), path);
    ASSERT_TRUE(w.begin({blocks[1].cid}));
    for (const auto& b : blocks) ASSERT_TRUE(w.write_block(b.cid, b.data));
    ASSERT_TRUE(w.finish());
  }
  Bytes bytes = *read_file(path);
  EXPECT_TRUE(std::equal(car::kV2Pragma.begin(), car::kV2Pragma.end(), bytes.begin()));
  MemoryReader in(bytes);
  auto r = car::Reader::open(in);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)->version(), 2u);
  EXPECT_EQ((*r)->roots()[0], blocks[1].cid);
  std::vector<car::Block> back;
  for (;;) {
    auto b = (*r)->next();
    ASSERT_TRUE(b) << b.error().message();
    if (!*b) break;
    back.push_back(std::move(**b));
  }
  ASSERT_EQ(back.size(), blocks.size());
  auto index = (*r)->read_index();
  ASSERT_TRUE(index) << index.error().message();
  // Every block but the identity one is indexed, at the offset of its section.
  EXPECT_EQ(index->size(), blocks.size() - 1);
  const auto& hdr = *(*r)->v2_header();
  for (const auto& e : *index) {
    ByteView payload = ByteView(bytes).subspan(hdr.data_offset, hdr.data_size);
    auto len = varint::decode_multiformats(payload.subspan(e.offset));
    ASSERT_TRUE(len);
    auto cid = Cid::read_prefix(payload.subspan(e.offset + len->length));
    ASSERT_TRUE(cid);
    EXPECT_EQ(cid->first.multihash(), e.multihash);
  }
}

TEST(Car, RejectsTruncatedAndGarbageInput) {
  auto blocks = sample_blocks();
  Bytes good;
  car::V1Writer w([&](ByteView b) -> Status {
    append(good, b);
    return {};
  });
  ASSERT_TRUE(w.write_header({blocks[0].cid}));
  for (const auto& b : blocks) ASSERT_TRUE(w.write_block(b.cid, b.data));
  // Every strict prefix that cuts into a section or the header is an error.
  size_t errors = 0;
  for (size_t cut = 1; cut < good.size(); cut += 97) {
    auto r = read_car(ByteView(good).first(cut));
    if (!r) ++errors;
  }
  EXPECT_GT(errors, 0u);
  EXPECT_FALSE(read_car(ByteView(good).first(good.size() - 1)));
  EXPECT_FALSE(read_car(as_bytes("this is not a car file")));
  EXPECT_FALSE(read_car(ByteView()));
  Bytes huge_section = good;
  huge_section.push_back(0xff);
  huge_section.push_back(0xff);
  huge_section.push_back(0xff);
  huge_section.push_back(0x7f);  // a section length of ~268 MB
  EXPECT_FALSE(read_car(huge_section));
}

TEST(Car, IndexDecodeRejectsGarbage) {
  EXPECT_FALSE(car::decode_index(Bytes{}));
  EXPECT_FALSE(car::decode_index(Bytes{0x81, 0x08, 0x01, 0x00, 0x00, 0x00}));  // truncated
  EXPECT_FALSE(car::decode_index(Bytes{0x80, 0x08}));                         // unknown codec 0x0400? no: 0x400 needs buckets
}

}  // namespace
}  // namespace ipfskit
