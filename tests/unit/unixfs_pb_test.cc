#include <gtest/gtest.h>

#include "codec/unixfs_pb.h"

namespace ipfskit {
namespace {

Bytes hex(std::string_view h) {
  Bytes b;
  EXPECT_TRUE(from_hex(h, b));
  return b;
}

TEST(UnixFsPb, EncodesFieldsInOrder) {
  unixfs::Data d;
  d.type = unixfs::DataType::kFile;
  d.filesize = 524288;
  d.blocksizes = {262144, 262144};
  EXPECT_EQ(to_hex(unixfs::encode(d)), "0802" "18808020" "20808010" "20808010");
  unixfs::Data dir;
  dir.type = unixfs::DataType::kDirectory;
  EXPECT_EQ(to_hex(unixfs::encode(dir)), "0801");
  unixfs::Data shard;
  shard.type = unixfs::DataType::kHAMTShard;
  Bytes bits = hex("01");
  shard.data = bits;
  shard.hash_type = 0x22;
  shard.fanout = 256;
  EXPECT_EQ(to_hex(unixfs::encode(shard)), "0805" "120101" "2822" "308002");
}

TEST(UnixFsPb, DecodesAllFields) {
  unixfs::Data d;
  d.type = unixfs::DataType::kFile;
  Bytes payload = to_bytes(std::string_view("abc"));
  d.data = payload;
  d.filesize = 3;
  d.mode = 0644;
  d.mtime = unixfs::UnixTime{1700000000, 500};
  Bytes enc = unixfs::encode(d);
  auto back = unixfs::decode(enc);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->type, unixfs::DataType::kFile);
  EXPECT_EQ(as_chars(*back->data), "abc");
  EXPECT_EQ(back->filesize, 3u);
  EXPECT_EQ(back->mode, 0644u);
  EXPECT_EQ(back->mtime->seconds, 1700000000);
  EXPECT_EQ(back->mtime->nanos, 500u);
}

TEST(UnixFsPb, AcceptsPackedBlocksizes) {
  const Bytes packed = hex("0802" "2204" "8010" "0001");  // field 4 packed: [2048, 0, 1]
  auto d = unixfs::decode(packed);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->blocksizes, (std::vector<uint64_t>{2048, 0, 1}));
}

TEST(UnixFsPb, RejectsMalformed) {
  for (const char* bad : {"", "1203616263",      // missing Type
                          "0806",                // type 6 does not exist
                          "08020802",            // duplicate Type
                          "0802180118 01",       // (spaces are not hex: rejected by from_hex)
                          "08024800",            // unknown field 9
                          "080212",              // truncated Data
                          "0802420408011001"}) { // mtime with a duplicate field
    Bytes b;
    if (!from_hex(bad, b)) continue;
    EXPECT_FALSE(unixfs::decode(b)) << bad;
  }
  const Bytes dup = hex("080218011801");  // duplicate filesize
  EXPECT_FALSE(unixfs::decode(dup));
}

}  // namespace
}  // namespace ipfskit
