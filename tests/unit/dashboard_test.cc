// The dashboard's pieces that need no browser: the metrics reader, gzip
// negotiation and the embedded files, push responses on the HTTP server (many
// open streams on one worker), and the live feed over a test double of the
// client API.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "api/local.h"
#include "dashboard/assets.h"
#include "dashboard/live.h"
#include "dashboard/prometheus.h"
#include "http/server.h"
#include "mcp_fake_client.h"
#include "test_util.h"

namespace ipfskit::dashboard {
namespace {

using namespace std::chrono_literals;

TEST(Prometheus, ReadsSamplesLabelsEscapesAndSpecialValues) {
  auto s = parse_prometheus(
      "# HELP x_total A counter.\n# TYPE x_total counter\n"
      "x_total{listener=\"api\",code=\"200\"} 12\n"
      "x_total{listener=\"rpc\",code=\"200\"} 3 1700000000000\n"
      "y{path=\"a\\\"b\\\\c\\nd\"} +Inf\n"
      "z -1.5e3\n\n   \n"
      "nan_metric NaN\n");
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->size(), 5u);
  EXPECT_EQ((*s)[0].label("listener"), "api");
  EXPECT_EQ((*s)[1].value, 3);
  EXPECT_EQ((*s)[2].label("path"), "a\"b\\c\nd");
  EXPECT_TRUE(std::isinf((*s)[2].value));
  EXPECT_EQ((*s)[3].value, -1500);
  EXPECT_TRUE(std::isnan((*s)[4].value));
  EXPECT_EQ(sum_samples(*s, "x_total"), 15);
  EXPECT_EQ(sum_samples(*s, "x_total", {{"listener", "rpc"}}), 3);
  EXPECT_EQ(sum_samples(*s, "nan_metric"), 0);  // not finite: left out of sums
}

TEST(Prometheus, RefusesMalformedLinesNamingThem) {
  for (const char* bad : {"x{a=\"1\" 2\n", "x{a=1} 2\n", "x 1 2 3\n", "x\n", "x abc\n", "1x 2\n", "x{a=\"\\q\"} 1\n",
                          "x{=\"a\"} 1\n", "x{a=\"unterminated} 1\n"}) {
    auto s = parse_prometheus(std::string("ok 1\n") + bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code(), Code::kInvalidArgument);
    EXPECT_NE(s.error().message().find("line 2"), std::string::npos) << s.error().message();
  }
  EXPECT_FALSE(parse_prometheus("a 1\nb 2\nc 3\n", 2));
}

TEST(Assets, GzipNegotiation) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.0, *"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=bogus"));
}

TEST(Assets, EveryFileIsEmbeddedCompressedAndNamedByHash) {
  for (const char* name : {"index.html", "app.js", "app.css", "theme.css", "favicon.svg"}) {
    const EmbeddedFile* f = find_asset(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_GT(f->raw.size(), 100u) << name;
    EXPECT_EQ(f->hash.size(), 16u);
    ASSERT_GE(f->gzip.size(), 10u);
    EXPECT_EQ(static_cast<unsigned char>(f->gzip[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>(f->gzip[1]), 0x8b);
  }
  // The page names the others by their current hash; nothing is left unresolved.
  const std::string page(find_asset("index.html")->raw);
  EXPECT_NE(page.find("app.js?v=" + std::string(find_asset("app.js")->hash)), std::string::npos);
  EXPECT_EQ(page.find("@app.js@"), std::string::npos);
  EXPECT_EQ(find_asset("../index.html"), nullptr);
  http::Request req;
  req.method = "GET";
  req.headers.emplace("accept-encoding", "gzip");
  req.query.emplace("v", std::string(find_asset("app.js")->hash));
  http::Response r = asset_response(req, *find_asset("app.js"));
  EXPECT_EQ(r.body.size(), find_asset("app.js")->gzip.size());
  bool immutable = false;
  for (auto& [k, v] : r.headers)
    if (k == "Cache-Control") immutable = v.find("immutable") != std::string::npos;
  EXPECT_TRUE(immutable);
}

// The log tail the logs page shows is read backwards from the end of the
// file; it must give exactly the lines a front-to-back read gives.
TEST(LogTail, ReadingBackwardsMatchesAForwardRead) {
  test::TempDir dir;
  ASSERT_EQ(::mkdir(dir.file("logs").c_str(), 0755), 0);
  const std::string levels[] = {"info", "debug", "warning", "error"};
  uint64_t seed = 7;
  auto next = [&] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull, seed >> 33; };
  for (int round = 0; round < 6; ++round) {
    std::string text;
    const int n = round == 0 ? 0 : round * 4000;
    for (int i = 0; i < n; ++i) {
      if (next() % 50 == 0) text += "\n";  // empty lines too
      text += "ts=" + std::to_string(i) + " level=" + levels[next() % 4] + " msg=\"" + std::string(next() % 120, 'x') + "\"\n";
    }
    if (round % 2 == 1 && !text.empty()) text.pop_back();  // no final newline
    test::write_file(dir.file("logs/daemon.log"), as_bytes(text));
    for (size_t want : {size_t{1}, size_t{5}, size_t{200}, size_t{100000}}) {
      for (const std::string level : {"", "ERROR"}) {
        // The forward read: every line, filtered, the last `want`.
        std::vector<std::string> all;
        size_t start = 0;
        while (start < text.size()) {
          size_t nl = text.find('\n', start);
          std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
          if (level.empty() || line.find("level=error ") != std::string::npos) all.push_back(line);
          if (nl == std::string::npos) break;
          start = nl + 1;
        }
        std::vector<std::string> expect(all.size() > want ? all.end() - static_cast<std::ptrdiff_t>(want) : all.begin(), all.end());
        api::LogQuery q;
        q.lines = want;
        q.level = level;
        auto got = api::read_log_lines(dir.path(), q);
        ASSERT_TRUE(got) << got.error().message();
        ASSERT_EQ(*got, expect) << "round " << round << " lines " << want << " level " << level;
      }
    }
  }
}

// ---- push responses ----

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until `needle` has arrived (or the peer closes, or 5 s pass).
std::string read_until(int fd, const std::string& needle, std::string so_far = "") {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  char buf[4096];
  while (so_far.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    so_far.append(buf, static_cast<size_t>(n));
  }
  return so_far;
}

void send_text(int fd, const std::string& s) { ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size())); }

TEST(PushResponses, ManyOpenStreamsHoldNoWorkerAndEndCleanly) {
  http::Server server("test", http::Limits{});
  std::mutex mu;
  std::vector<std::shared_ptr<http::PushStream>> streams;
  http::Route push;
  push.method = "GET";
  push.path = "/events";
  push.inline_handler = [&](const http::Request&) {
    http::Response r;
    r.headers = {{"Content-Type", "text/event-stream"}};
    r.push = [&](std::shared_ptr<http::PushStream> s) {
      s->send("hello\n");
      std::lock_guard lock(mu);
      streams.push_back(std::move(s));
    };
    return r;
  };
  server.add_route(push);
  http::Route work;
  work.method = "GET";
  work.path = "/work";
  work.stream_handler = [](http::Exchange& ex) {
    if (ex.begin(200, {}, 2)) (void)ex.write(as_bytes(std::string_view("ok")));
  };
  server.add_route(work);
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 1);  // one worker: a stream that held it would block /work

  std::vector<int> fds;
  for (int i = 0; i < 40; ++i) {
    int fd = connect_to(server.port());
    ASSERT_GE(fd, 0);
    send_text(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string got = read_until(fd, "hello\n");
    ASSERT_NE(got.find("Transfer-Encoding: chunked"), std::string::npos) << got;
    ASSERT_NE(got.find("hello\n"), std::string::npos);
    fds.push_back(fd);
  }
  int w = connect_to(server.port());
  send_text(w, "GET /work HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(read_until(w, "\r\n\r\nok").find("\r\n\r\nok"), std::string::npos) << "the worker is free";
  ::close(w);

  {
    std::lock_guard lock(mu);
    ASSERT_EQ(streams.size(), 40u);
    for (auto& s : streams) EXPECT_TRUE(s->send("event 2\n"));
  }
  for (int fd : fds) EXPECT_NE(read_until(fd, "event 2\n").find("event 2\n"), std::string::npos);

  // A client that leaves is noticed: its stream refuses further sends.
  ::close(fds[0]);
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {
    std::this_thread::sleep_for(20ms);
    std::lock_guard lock(mu);
    closed = !streams[0]->send("x") || streams[0]->closed();
  }
  EXPECT_TRUE(closed);

  // Closing a stream ends the chunked body with its last chunk.
  {
    std::lock_guard lock(mu);
    streams[1]->close();
    EXPECT_FALSE(streams[1]->send("after close"));
  }
  EXPECT_NE(read_until(fds[1], "0\r\n\r\n").find("0\r\n\r\n"), std::string::npos);

  // Stopping the server ends the rest; streams kept by their owner stay safe to use.
  server.stop(1);
  for (size_t i = 2; i < fds.size(); ++i) {
    std::string tail = read_until(fds[i], "0\r\n\r\n");
    EXPECT_NE(tail.find("0\r\n\r\n"), std::string::npos);
    ::close(fds[i]);
  }
  ::close(fds[1]);
  std::lock_guard lock(mu);
  for (auto& s : streams) EXPECT_FALSE(s->send("too late"));
}

TEST(PushResponses, ASlowReaderIsDroppedNotBuffered) {
  http::Server server("test", http::Limits{});
  std::shared_ptr<http::PushStream> stream;
  std::mutex mu;
  http::Route push;
  push.method = "GET";
  push.path = "/events";
  push.inline_handler = [&](const http::Request&) {
    http::Response r;
    r.push_queue_limit = 64 * 1024;
    r.push = [&](std::shared_ptr<http::PushStream> s) {
      std::lock_guard lock(mu);
      stream = std::move(s);
    };
    return r;
  };
  server.add_route(push);
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 1);
  int fd = connect_to(server.port());
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  send_text(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  for (int i = 0; i < 100 && !stream; ++i) std::this_thread::sleep_for(10ms);
  std::lock_guard lock(mu);
  ASSERT_TRUE(stream);
  // Never read: the socket buffers fill, then the queue, then the stream is dropped.
  const std::string chunk(16 * 1024, 'x');
  bool refused = false;
  for (int i = 0; i < 4096 && !refused; ++i) refused = !stream->send(chunk);
  EXPECT_TRUE(refused) << "a reader that never reads is dropped";
  ::close(fd);
  server.stop(0);
}

TEST(PushResponses, AStreamOutlivesTheIdleTimeoutWhileItIsWrittenTo) {
  http::Limits limits;
  limits.idle_timeout_seconds = 1;
  http::Server server("test", limits);
  std::shared_ptr<http::PushStream> stream;
  std::mutex mu;
  http::Route push;
  push.method = "GET";
  push.path = "/events";
  push.inline_handler = [&](const http::Request&) {
    http::Response r;
    r.push = [&](std::shared_ptr<http::PushStream> s) {
      std::lock_guard lock(mu);
      stream = std::move(s);
    };
    return r;
  };
  server.add_route(push);
  ASSERT_TRUE(server.listen("127.0.0.1:0"));
  server.start(1, 1);
  int fd = connect_to(server.port());
  send_text(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard lock(mu);
    if (stream) break;
  }
  std::string got;
  for (int i = 0; i < 10; ++i) {  // 3 s: three idle timeouts
    std::this_thread::sleep_for(300ms);
    {
      std::lock_guard lock(mu);
      ASSERT_TRUE(stream->send("tick " + std::to_string(i) + "\n")) << i;
    }
    got = read_until(fd, "tick " + std::to_string(i) + "\n", got);
  }
  EXPECT_NE(got.find("tick 9\n"), std::string::npos);
  ::close(fd);
  server.stop(0);
}

// ---- the live feed ----

TEST(LiveFeed, SnapshotThenTicksToEveryStreamAndFramesAreOneDataLine) {
  mcp::FakeClient client;
  LiveOptions o;
  o.active_interval = 50ms;
  o.idle_interval = 50ms;
  LiveFeed feed(client, o);
  const std::string framed = LiveFeed::frame("log", nlohmann::json{{"lines", {"a\nb", "c"}}});
  EXPECT_EQ(framed.find('\n'), framed.find("\ndata: "));
  EXPECT_EQ(framed.substr(framed.size() - 2), "\n\n");
  EXPECT_EQ(std::count(framed.begin(), framed.end(), '\n'), 3);

  struct Collect : http::PushStream {
    std::mutex mu;
    std::string got;
    bool open = true;
    bool send(std::string data) override {
      std::lock_guard lock(mu);
      got += data;
      return open;
    }
    void close() override { open = false; }
    bool closed() const override { return !open; }
  };
  auto a = std::make_shared<Collect>(), b = std::make_shared<Collect>();
  feed.start();
  feed.subscribe(a);
  feed.subscribe(b);
  std::this_thread::sleep_for(300ms);
  feed.publish("sync", nlohmann::json{{"state", "running"}}, true);
  EXPECT_EQ(feed.snapshot()["sync"]["state"], "running");
  {
    std::lock_guard lock(a->mu);
    EXPECT_EQ(a->got.find("event: snapshot"), a->got.find("event: "));
    EXPECT_NE(a->got.find("event: tick"), std::string::npos);
    EXPECT_NE(a->got.find("\"12D3KooWfake\""), std::string::npos);
    EXPECT_NE(a->got.find("event: sync"), std::string::npos);
  }
  // A stream that refuses data is let go of.
  b->open = false;
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(feed.subscribers(), 1u);
  feed.stop();
  EXPECT_TRUE(a->closed());
}

}  // namespace
}  // namespace ipfskit::dashboard
