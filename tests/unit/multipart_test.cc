#include "http/multipart.h"

#include <gtest/gtest.h>

#include <cstring>

#include <string>
#include <vector>

namespace ipfskit::http {
namespace {

// Hands out its input a few bytes at a time, to exercise every buffer edge.
class TrickleReader : public ByteReader {
 public:
  TrickleReader(std::string data, size_t step) : data_(std::move(data)), step_(step) {}
  Result<size_t> read(uint8_t* buf, size_t n) override {
    size_t take = std::min({n, step_, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::string data_;
  size_t step_, pos_ = 0;
};

struct ParsedPart {
  Part part;
  std::string content;
};

Result<std::vector<ParsedPart>> parse(const std::string& body, const std::string& boundary, size_t step) {
  TrickleReader in(body, step);
  MultipartReader reader(in, boundary);
  std::vector<ParsedPart> out;
  for (;;) {
    auto part = TRY(reader.next());
    if (!part) break;
    ParsedPart p{*part, ""};
    uint8_t buf[7];
    for (;;) {
      size_t n = TRY(reader.content().read(buf, sizeof buf));
      if (n == 0) break;
      p.content.append(reinterpret_cast<char*>(buf), n);
    }
    out.push_back(std::move(p));
  }
  return out;
}

TEST(Multipart, KuboRpcClientBody) {
  // What kubo-rpc-client sends for addAll([{path:'a', content:'hello'}, {path:'d'}, {path:'d/b', content}]).
  const std::string b = "-----------------------------abc";
  std::string body = "--" + b + "\r\n" +
                     "Content-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\nhello\r\n--" + b + "\r\n" +
                     "Content-Disposition: form-data; name=\"dir-1\"; filename=\"d\"\r\n"
                     "Content-Type: application/x-directory\r\n\r\n\r\n--" + b + "\r\n" +
                     "Content-Disposition: form-data; name=\"file-2\"; filename=\"d%2Fb\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n" + std::string("\r\n--" + b.substr(0, 10)) +
                     "tail\r\n--" + b + "--\r\n";
  for (size_t step : {1, 2, 3, 5, 64, 100000}) {
    auto parts = parse(body, b, step);
    ASSERT_TRUE(parts) << parts.error().message();
    ASSERT_EQ(parts->size(), 3u);
    EXPECT_EQ((*parts)[0].part.name, "file");
    EXPECT_EQ((*parts)[0].part.filename, "a");
    EXPECT_EQ((*parts)[0].part.content_type, "application/octet-stream");
    EXPECT_EQ((*parts)[0].content, "hello");
    EXPECT_EQ((*parts)[1].part.content_type, "application/x-directory");
    EXPECT_EQ((*parts)[1].content, "");
    EXPECT_EQ((*parts)[2].part.filename, "d%2Fb");
    // A near-delimiter inside the content stays content.
    EXPECT_EQ((*parts)[2].content, "\r\n--" + b.substr(0, 10) + "tail");
  }
}

TEST(Multipart, PreambleAndLargeContent) {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 997) big[i] = '\r';
  std::string body = "preamble\r\n--XY\r\nContent-Type: text/plain\r\n\r\n" + big + "\r\n--XY--";
  auto parts = parse(body, "XY", 65536);
  ASSERT_TRUE(parts) << parts.error().message();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].content, big);
}

TEST(Multipart, SkipsUnreadContent) {
  std::string body = "--B\r\n\r\nfirst\r\n--B\r\n\r\nsecond\r\n--B--\r\n";
  TrickleReader in(body, 3);
  MultipartReader r(in, "B");
  ASSERT_TRUE(r.next().value().has_value());
  auto second = r.next();  // without reading "first"
  ASSERT_TRUE(second && second->has_value());
  uint8_t buf[16];
  size_t n = r.content().read_full(buf, sizeof buf).value();
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), n), "second");
  EXPECT_FALSE(r.next().value().has_value());
}

TEST(Multipart, MalformedBodies) {
  const char* bad[] = {
      "",                                          // nothing at all
      "--B\r\n\r\nno closing delimiter",           // truncated content
      "--B\r\nContent-Type: x\r\n",                // truncated headers
      "--B\r\nno colon here\r\n\r\nx\r\n--B--",    // bad header line
      "--B junk\r\n\r\nx\r\n--B--",                // junk after the boundary
      "no delimiter anywhere",
  };
  for (const char* body : bad) {
    auto parts = parse(body, "B", 4);
    EXPECT_FALSE(parts) << "accepted: " << body;
  }
  std::string huge_header = "--B\r\nX: " + std::string(20000, 'a') + "\r\n\r\nx\r\n--B--";
  EXPECT_FALSE(parse(huge_header, "B", 4096));
}

TEST(Multipart, Boundary) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc").value(), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=x; boundary=\"a b\"").value(), "a b");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  HeaderValue v = parse_header_value("form-data; name=\"file\"; filename=\"we\\\"ird;name\"");
  EXPECT_EQ(v.value, "form-data");
  EXPECT_EQ(v.params["name"], "file");
  EXPECT_EQ(v.params["filename"], "we\"ird;name");
}

}  // namespace
}  // namespace ipfskit::http
