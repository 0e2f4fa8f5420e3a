#include "archive/tar.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "test_util.h"

namespace ipfskit::archive {
namespace {

TEST(Tar, SystemTarReadsWhatWeWrite) {
  std::string out;
  TarWriter t([&](ByteView b) -> Status {
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
    return {};
  });
  std::string long_name = "top/" + std::string(150, 'n');
  ASSERT_TRUE(t.directory("top"));
  ASSERT_TRUE(t.file("top/a.txt", 5));
  ASSERT_TRUE(t.content(as_bytes("hello")));
  ASSERT_TRUE(t.file(long_name, 3));
  ASSERT_TRUE(t.content(as_bytes("abc")));
  ASSERT_TRUE(t.symlink("top/link", "a.txt"));
  ASSERT_TRUE(t.finish());
  EXPECT_EQ(out.size() % 512, 0u);

  test::TempDir dir;
  test::write_file(dir.file("x.tar"), as_bytes(out));
  std::string cmd = "tar -tvf " + dir.file("x.tar") + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string listing;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) listing.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << listing;
  EXPECT_NE(listing.find("top/a.txt"), std::string::npos) << listing;
  EXPECT_NE(listing.find(long_name), std::string::npos) << listing;
  EXPECT_NE(listing.find("top/link -> a.txt"), std::string::npos) << listing;
}

TEST(Tar, ContentMustMatchTheHeader) {
  TarWriter t([](ByteView) -> Status { return {}; });
  ASSERT_TRUE(t.file("a", 2));
  EXPECT_FALSE(t.content(as_bytes("abc")));
  TarWriter u([](ByteView) -> Status { return {}; });
  ASSERT_TRUE(u.file("a", 2));
  EXPECT_FALSE(u.finish());
}

}  // namespace
}  // namespace ipfskit::archive
