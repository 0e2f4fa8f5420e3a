#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_util.h"
#include "unixfs/chunker.h"

namespace ipfskit {
namespace {

using unixfs::ChunkSpec;

// Returns at most `step` bytes per read, to exercise chunkers' buffering.
class TrickleReader : public ByteReader {
 public:
  TrickleReader(ByteView data, size_t step) : inner_(data), step_(step) {}
  Result<size_t> read(uint8_t* buf, size_t n) override { return inner_.read(buf, std::min(n, step_)); }

 private:
  MemoryReader inner_;
  size_t step_;
};

std::vector<size_t> chunk_lengths(const std::string& spec_text, ByteView data, size_t step = SIZE_MAX) {
  auto spec = unixfs::parse_chunker(spec_text, 262144);
  EXPECT_TRUE(spec) << spec_text;
  TrickleReader in(data, step);
  auto chunker = unixfs::make_chunker(*spec, in);
  std::vector<uint8_t> buf(spec->max_chunk());
  std::vector<size_t> out;
  for (;;) {
    auto n = chunker->next(buf.data(), buf.size());
    EXPECT_TRUE(n);
    if (!n || *n == 0) break;
    out.push_back(*n);
  }
  return out;
}

// Fixture files hold boxo's output as "length count" runs.
std::vector<size_t> load_lengths(const std::string& name) {
  std::ifstream f(test::fixture_path("chunker/" + name));
  EXPECT_TRUE(f.good()) << name;
  std::vector<size_t> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    size_t len, count;
    s >> len >> count;
    out.insert(out.end(), count, len);
  }
  return out;
}

Bytes input(const std::string& name) {
  if (name == "random") return test::deterministic_bytes("chunker-random", 6303457);
  if (name == "zeros") return Bytes(3145728, 0);
  std::string s;
  char line[128];
  for (int i = 0; i < 100000; ++i) {
    std::snprintf(line, sizeof line, "line %d of a text-like file with repeats\n", i % 997);
    s += line;
  }
  return to_bytes(s);
}

class ChunkerVectors : public ::testing::TestWithParam<std::tuple<std::string, std::string, std::string>> {};

// The boundaries boxo produces (generated with boxo's chunker sources; see
// tests/fixtures/chunker/README.md) for three kinds of input.
TEST_P(ChunkerVectors, MatchesBoxo) {
  auto [in_name, spec, fixture] = GetParam();
  Bytes data = input(in_name);
  auto want = load_lengths(in_name + "." + fixture + ".txt");
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(chunk_lengths(spec, data), want);
  EXPECT_EQ(chunk_lengths(spec, data, 4093), want) << "with short reads";
}

INSTANTIATE_TEST_SUITE_P(
    All, ChunkerVectors,
    ::testing::Combine(::testing::Values("random", "zeros", "text"),
                       ::testing::Values("buzhash"), ::testing::Values("buzhash")));
INSTANTIATE_TEST_SUITE_P(
    Rabin, ChunkerVectors,
    ::testing::Values(std::make_tuple("random", "rabin", "rabin-default"),
                      std::make_tuple("zeros", "rabin", "rabin-default"),
                      std::make_tuple("text", "rabin", "rabin-default"),
                      std::make_tuple("random", "rabin-16-256-4096", "rabin-16-256-4096"),
                      std::make_tuple("zeros", "rabin-16-256-4096", "rabin-16-256-4096"),
                      std::make_tuple("text", "rabin-16-256-4096", "rabin-16-256-4096"),
                      std::make_tuple("random", "rabin-min:1000-avg:65536-max:80000", "rabin-1000-65536-80000"),
                      std::make_tuple("zeros", "rabin-1000-65536-80000", "rabin-1000-65536-80000"),
                      std::make_tuple("text", "rabin-1000-65536-80000", "rabin-1000-65536-80000")));

TEST(Chunker, FixedSize) {
  Bytes data(1000, 7);
  EXPECT_EQ(chunk_lengths("size-300", data), (std::vector<size_t>{300, 300, 300, 100}));
  EXPECT_EQ(chunk_lengths("size-300", data, 7), (std::vector<size_t>{300, 300, 300, 100}));
  EXPECT_TRUE(chunk_lengths("size-300", ByteView()).empty());
  EXPECT_EQ(chunk_lengths("default", data), (std::vector<size_t>{1000}));
}

TEST(Chunker, ParsesKuboSpellings) {
  EXPECT_EQ(unixfs::parse_chunker("size-1024", 262144)->size, 1024u);
  EXPECT_EQ(unixfs::parse_chunker("", 1048576)->size, 1048576u);
  auto r = unixfs::parse_chunker("rabin", 262144);
  EXPECT_EQ(r->kind, ChunkSpec::Kind::kRabin);
  EXPECT_EQ(r->min, 87381u);
  EXPECT_EQ(r->max, 393216u);
  auto r2 = unixfs::parse_chunker("rabin-min:100-avg:200-max:300", 262144);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->min, 100u);
  EXPECT_EQ(unixfs::parse_chunker("buzhash", 0)->kind, ChunkSpec::Kind::kBuzhash);
  EXPECT_EQ(unixfs::parse_chunker("size-2096896", 0)->size, 2096896u);
}

TEST(Chunker, RejectsBadSpecs) {
  for (const char* bad : {"size-0", "size--5", "size-", "size-abc", "size-2096897", "size-1-2", "rabin-12-512-1024",
                          "rabin-100-50-300", "rabin-100-200-150", "rabin-1-2", "rabin-100-200-3000000",
                          "rabin-max:1-avg:2-min:3", "fastcdc", "foo-1"}) {
    auto s = unixfs::parse_chunker(bad, 262144);
    EXPECT_FALSE(s) << bad;
    if (!s) { EXPECT_EQ(s.error().code(), Code::kInvalidArgument); }
  }
}

}  // namespace
}  // namespace ipfskit
