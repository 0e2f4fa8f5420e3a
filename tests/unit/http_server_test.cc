// The HTTP server's streaming exchange: write_from_file under each sendfile
// policy, its fallback when a descriptor cannot be sent from, Content-Length
// kept honest, and a declared body over a route's limit.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "http/server.h"
#include "test_util.h"

namespace ipfskit {
namespace {

// A blocking client socket to 127.0.0.1:port.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& s) { return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()); }
  // Everything until the server closes (or 10 s pass: closed_by_server() false).
  std::string read_to_close() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = n == 0;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }
  bool closed_by_server() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false, closed_ = false;
};

std::string body_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

// A server with one streaming route at /r.
struct TestServer {
  explicit TestServer(http::StreamFn fn, http::Sendfile policy = http::Sendfile::kToOtherHosts, uint64_t max_body = 0)
      : server("test", http::Limits{}) {
    http::Route r;
    r.method = "";
    r.path = "/r";
    r.stream_handler = std::move(fn);
    r.max_body_bytes = max_body;
    server.add_route(std::move(r));
    server.set_sendfile(policy);
    EXPECT_TRUE(server.listen("127.0.0.1:0"));
    server.start(1, 2);
  }
  ~TestServer() { server.stop(0); }
  std::string get(const std::string& extra_headers = "") {
    Client c(server.port());
    EXPECT_TRUE(c.connected());
    c.send("GET /r HTTP/1.1\r\nHost: x\r\n" + extra_headers + "Connection: close\r\n\r\n");
    return c.read_to_close();
  }
  http::Server server;
};

// A file holding `content`; its descriptor stays open while the object lives.
struct TempFile {
  explicit TempFile(const std::string& content) {
    test::write_file(dir.file("f"), as_bytes(content));
    fd = ::open(dir.file("f").c_str(), O_RDONLY);
  }
  ~TempFile() { ::close(fd); }
  test::TempDir dir;
  int fd = -1;
};

// The route breaks write_from_file's promise on purpose (the bytes passed
// differ from the file's), so the response shows which of the two was sent.
http::StreamFn send_pieces(const TempFile& file, const std::string& memory) {
  return [&file, memory](http::Exchange& x) {
    if (!x.begin(200, {}, memory.size())) return;
    for (size_t at = 0; at < memory.size(); at += 1000) {
      std::string_view piece = std::string_view(memory).substr(at, 1000);
      if (!x.write_from_file(as_bytes(piece), file.fd, at)) return x.abort();
    }
    (void)x.end();
  };
}

const std::string kOnDisk(5000, 'd');
const std::string kInMemory(5000, 'm');

TEST(HttpServer, SendfileAlwaysSendsFromTheFile) {
  TempFile file(kOnDisk);
  TestServer s(send_pieces(file, kInMemory), http::Sendfile::kAlways);
  EXPECT_EQ(body_of(s.get()), kOnDisk);
}

TEST(HttpServer, LoopbackPeersGetTheCopyByDefault) {
  TempFile file(kOnDisk);
  TestServer s(send_pieces(file, kInMemory), http::Sendfile::kToOtherHosts);
  EXPECT_EQ(body_of(s.get()), kInMemory);
  TestServer never(send_pieces(file, kInMemory), http::Sendfile::kNever);
  EXPECT_EQ(body_of(never.get()), kInMemory);
}

TEST(HttpServer, ADescriptorThatCannotBeSentFromFallsBackToTheBytes) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const std::string memory(3000, 'm');
  TestServer s(
      [&](http::Exchange& x) {
        if (!x.begin(200, {}, memory.size())) return;
        if (!x.write_from_file(as_bytes(memory), p[0], 0)) return x.abort();  // sendfile from a pipe: ESPIPE
        (void)x.end();
      },
      http::Sendfile::kAlways);
  EXPECT_EQ(body_of(s.get()), memory);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(HttpServer, HeadAnswersCarryNoBodyFromTheFile) {
  TempFile file(kOnDisk);
  TestServer s(send_pieces(file, kInMemory), http::Sendfile::kAlways);
  Client c(s.server.port());
  c.send("HEAD /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string r = c.read_to_close();
  EXPECT_NE(r.find("Content-Length: 5000"), std::string::npos) << r;
  EXPECT_EQ(body_of(r), "");
}

// A body that ends before its Content-Length must not leave the connection
// open for another request: the client could not tell where it ended.
TEST(HttpServer, AShortFixedLengthBodyClosesTheConnection) {
  TestServer s([](http::Exchange& x) {
    if (!x.begin(200, {}, 100)) return;
    (void)x.write(as_bytes(std::string(50, 's')));
    (void)x.end();
  });
  Client c(s.server.port());
  c.send("GET /r HTTP/1.1\r\nHost: x\r\n\r\n");  // keep-alive
  std::string r = c.read_to_close();
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(body_of(r), std::string(50, 's'));
}

// An inline route's body is read by the server: a declared length over the
// route's limit is answered at once, and the answer reaches a client that is
// still sending (the server reads and drops the rest before closing).
TEST(HttpServer, ADeclaredBodyOverAnInlineRoutesLimitGets413AtOnce) {
  http::Server server("test", http::Limits{});
  server.add_route(http::Route{"POST", "/inline", false,
                               [](const http::Request&) { return http::Response::text(200, "read\n"); }, nullptr, 1000});
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 1);
  {
    Client c(server.port());
    c.send("POST /inline HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n");
    std::string got = c.read_to_close();
    EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
    EXPECT_TRUE(c.closed_by_server());
  }
  {
    Client c(server.port());
    const std::string body(3 << 20, 'b');  // sent whole, after the answer is already out
    c.send("POST /inline HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    EXPECT_TRUE(c.send(body)) << "the server reads what is still coming instead of resetting";
    std::string got = c.read_to_close();
    EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  }
  server.stop(0);
}

}  // namespace
}  // namespace ipfskit
