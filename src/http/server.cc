#include "http/server.h"

#include <poll.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <csignal>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <limits>
#include <mutex>

namespace ipfskit::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// ---- small helpers ----

std::optional<std::string> Request::header(std::string_view name) const {
  std::string key(name);
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = headers.find(key);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::params(std::string_view name) const {
  std::vector<std::string> out;
  auto range = query.equal_range(std::string(name));
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

Response Response::text(int status, std::string body, std::string type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", std::move(type));
  return r;
}

Response Response::on_worker(std::function<Response()> fn) {
  Response r;
  r.stream = [fn = std::move(fn)](Exchange& ex) {
    Response res = fn();
    std::vector<std::pair<std::string, std::string>> headers = res.headers;
    if (headers.empty()) headers.emplace_back("Content-Type", "application/json");
    if (ex.begin(res.status, headers, res.body.size())) (void)ex.write(as_bytes(res.body));
  };
  return r;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;  // needs two hex digits
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi << 4 | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string percent_encode_path(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string_view reason(int status) {
  auto r = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return std::string_view(r.data(), r.size());  // a static string
}

namespace {

// Waits until `fd` is readable (events=POLLIN) or writable (POLLOUT).
Status wait_fd(int fd, short events, int timeout_seconds) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_seconds * 1000);
    if (r > 0) return {};
    if (r == 0) return make_error(Code::kTimeout, "connection timed out");
    if (errno != EINTR) return tl::unexpected(errno_error("poll"));
  }
}

Status send_all(int fd, ByteView data, int timeout_seconds) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      TRY_STATUS(wait_fd(fd, POLLOUT, timeout_seconds));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return make_error(Code::kUnavailable, "client went away");
  }
  return {};
}

}  // namespace

// ---- server internals ----

class PushChannel;

struct Server::Impl {
  std::string name;
  Limits limits;
  std::vector<Route> routes;
  const Filter* filter = nullptr;
  const Observer* observer = nullptr;
  // One io_context per I/O thread: a connection lives on one of them, so
  // its handlers never contend for a shared scheduler lock. The acceptor
  // runs on the first and hands sockets out in turn.
  std::vector<std::unique_ptr<net::io_context>> contexts;
  size_t next_context = 0;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::unique_ptr<ThreadPool> workers;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::atomic<size_t> connections{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  Sendfile sendfile = Sendfile::kToOtherHosts;
  // Open push responses, so that stop() can end them.
  std::mutex push_mu;
  std::vector<std::weak_ptr<PushChannel>> pushes;

  void add_push(const std::shared_ptr<PushChannel>& p);
  // Ends every push response (gracefully, or at once when `drop`).
  void close_pushes(bool drop);
  // True while a push response still has bytes to write.
  bool pushes_unfinished();

  const Route* find(const std::string& method, const std::string& path) const {
    const Route* best = nullptr;
    for (const Route& r : routes) {
      if (!r.method.empty() && r.method != method) continue;
      if (!r.prefix) {
        if (r.path == path) return &r;
      } else if (path.compare(0, r.path.size(), r.path) == 0) {
        if (best == nullptr || r.path.size() > best->path.size()) best = &r;
      }
    }
    return best;
  }

  void do_accept();
};

namespace {

// The Exchange of a streaming route: synchronous I/O on the connection's
// socket, from a worker thread, with timeouts.
class SyncExchange final : public Exchange, public ByteReader {
 public:
  SyncExchange(const Request& req, int fd, beast::flat_buffer& buffer,
               bhttp::request_parser<bhttp::buffer_body>& parser, const Limits& limits, bool head, bool sendfile)
      : req_(req), fd_(fd), buffer_(buffer), parser_(parser), limits_(limits), head_(head), sendfile_(sendfile) {}

  const Request& request() const override { return req_; }
  ByteReader& body() override { return *this; }

  // ByteReader: the request body.
  Result<size_t> read(uint8_t* buf, size_t n) override {
    if (n == 0) return 0;
    for (;;) {
      if (parser_.is_done()) return 0;
      parser_.get().body().data = buf;
      parser_.get().body().size = n;
      if (buffer_.size() > 0) {
        beast::error_code ec;
        size_t used = parser_.put(buffer_.data(), ec);
        buffer_.consume(used);
        // need_buffer: our buffer is full; need_more: the input ends inside
        // chunk framing. Both mean "go on", not "malformed".
        if (ec == bhttp::error::need_buffer || ec == bhttp::error::need_more) ec = {};
        if (ec == bhttp::error::body_limit) return make_error(Code::kResourceExhausted, "request body too large");
        if (ec) return invalid_argument("malformed request body: " + ec.message());
        size_t got = n - parser_.get().body().size;
        if (got > 0) return got;
        if (parser_.is_done()) return 0;
        if (used > 0) continue;  // chunk framing consumed; try again
      }
      // Need more bytes from the socket.
      auto space = buffer_.prepare(65536);
      ssize_t r = ::recv(fd_, space.data(), space.size(), 0);
      if (r > 0) {
        buffer_.commit(static_cast<size_t>(r));
        continue;
      }
      if (r == 0) return make_error(Code::kUnavailable, "client closed the connection mid-request");
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        TRY_STATUS(wait_fd(fd_, POLLIN, limits_.read_timeout_seconds));
        continue;
      }
      if (errno == EINTR) continue;
      return make_error(Code::kUnavailable, "client connection failed");
    }
  }

  Status begin(int status, const std::vector<std::pair<std::string, std::string>>& headers,
               std::optional<uint64_t> content_length) override {
    if (started_) return internal_error("response already started");
    started_ = true;
    status_ = status;
    chunked_ = !content_length.has_value();
    content_length_ = content_length.value_or(0);
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status)) + "\r\n";
    for (const auto& [k, v] : headers) h += k + ": " + v + "\r\n";
    if (chunked_) h += "Transfer-Encoding: chunked\r\n";
    else h += "Content-Length: " + std::to_string(*content_length) + "\r\n";
    if (!keep_alive()) h += "Connection: close\r\n";
    h += "\r\n";
    return send_all(fd_, as_bytes(h), limits_.idle_timeout_seconds);
  }

  Status write_from_file(ByteView data, int file, uint64_t offset) override {
    if (!started_) return internal_error("write before begin");
    if (head_ || data.empty()) return {};
    if (chunked_ || !sendfile_) return write(data);
    bytes_out_ += data.size();
    size_t done = 0;
    while (done < data.size()) {
      off_t at = static_cast<off_t>(offset + done);
      ssize_t n = ::sendfile(fd_, file, &at, data.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        TRY_STATUS(wait_fd(fd_, POLLOUT, limits_.idle_timeout_seconds));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN || errno == ETIMEDOUT))
        return make_error(Code::kUnavailable, "client went away");
      // The file cannot be sent from (a file system without sendfile, a read
      // error, a file shorter than promised): the caller's bytes are the
      // same bytes, so the rest goes from memory, and so does what follows.
      sendfile_ = false;
      return send_all(fd_, data.subspan(done), limits_.idle_timeout_seconds);
    }
    return {};
  }

  Status write(ByteView data) override {
    if (!started_) return internal_error("write before begin");
    if (head_ || data.empty()) return {};
    bytes_out_ += data.size();
    if (!chunked_) return send_all(fd_, data, limits_.idle_timeout_seconds);
    char size[24];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    TRY_STATUS(send_all(fd_, ByteView(reinterpret_cast<uint8_t*>(size), static_cast<size_t>(n)),
                        limits_.idle_timeout_seconds));
    TRY_STATUS(send_all(fd_, data, limits_.idle_timeout_seconds));
    return send_all(fd_, as_bytes("\r\n"), limits_.idle_timeout_seconds);
  }

  void abort() override {
    aborted_ = true;
    ended_ = true;
  }
  bool aborted() const { return aborted_; }

  void end_with_stream_error(std::string_view message) override {
    if (!started_ || ended_) return;
    if (!chunked_ || head_) return abort();
    ended_ = true;
    // A header value is one line of visible characters.
    std::string trailer = "0\r\nX-Stream-Error: ";
    for (char ch : message.substr(0, 4096)) trailer += (ch == '\r' || ch == '\n' || ch == '\0') ? ' ' : ch;
    trailer += "\r\n\r\n";
    if (!send_all(fd_, as_bytes(trailer), limits_.idle_timeout_seconds)) aborted_ = true;
  }

  Status end() override {
    if (ended_) return {};
    ended_ = true;
    if (started_ && chunked_ && !head_) return send_all(fd_, as_bytes("0\r\n\r\n"), limits_.idle_timeout_seconds);
    if (started_ && !chunked_ && !head_ && bytes_out_ != content_length_) {
      // Fewer (or more) bytes than announced: the client cannot find where
      // this response ends, so the connection must not carry another.
      aborted_ = true;
      return make_error(Code::kInternal, "response body length differs from its Content-Length");
    }
    return {};
  }

  bool started() const override { return started_; }

  bool peer_closed() override {
    pollfd p{fd_, static_cast<short>(POLLIN | POLLRDHUP), 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) return true;
    if ((p.revents & POLLIN) != 0) {
      char c;
      ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
      return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
    return false;
  }
  bool keep_alive() const { return parser_.get().keep_alive(); }
  int status() const { return status_; }
  uint64_t bytes_out() const { return bytes_out_; }

  // Reads and discards what is left of the body (bounded), so the connection
  // can carry the next request. False when it cannot be reused.
  bool drain_body() {
    uint8_t sink[16384];
    uint64_t drained = 0;
    while (!parser_.is_done()) {
      auto n = read(sink, sizeof sink);
      if (!n || *n == 0) return parser_.is_done();
      drained += *n;
      if (drained > (16u << 20)) return false;
    }
    return true;
  }

 private:
  const Request& req_;
  int fd_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  const Limits& limits_;
  bool head_;
  bool started_ = false, chunked_ = false, ended_ = false, aborted_ = false;
  bool sendfile_;  // write_from_file may use sendfile(2)
  int status_ = 0;
  uint64_t bytes_out_ = 0, content_length_ = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server) : s_(server), stream_(std::move(socket)) {
    ++s_.connections;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
      const auto a = ep.address();
      peer_is_loopback_ = a.is_loopback() || (a.is_v6() && a.to_v6().is_v4_mapped() &&
                                              net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback());
    }
    stream_.socket().set_option(tcp::no_delay(true), ec);
  }
  ~Session() { --s_.connections; }

  void start() { do_read(true); }

 private:
  void do_read(bool first) {
    if (s_.stopping) return close();
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<uint32_t>(s_.limits.max_header_bytes));
    // The body limit is the route's, applied once the route is known (a
    // declared Content-Length over it gets the route's 413, not a 400 here).
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(std::chrono::seconds(first ? s_.limits.read_timeout_seconds : s_.limits.idle_timeout_seconds));
    bhttp::async_read_header(stream_, buffer_, *header_parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset)
      return close();
    if (ec == bhttp::error::header_limit) return send_error(431, "request header too large");
    if (ec) return send_error(400, "malformed request: " + ec.message());
    ++s_.in_flight;
    started_ = std::chrono::steady_clock::now();
    auto& h = header_parser_->get();
    req_ = Request{};
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    req_.remote = remote_;
    head_ = h.method() == bhttp::verb::head;
    for (const auto& f : h) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req_.headers.emplace(std::move(name), std::string(f.value()));
    }
    std::string_view target = req_.target;
    auto q = target.find('?');
    auto path = percent_decode(target.substr(0, q), false);
    if (!path || path->empty() || (*path)[0] != '/') return finish_with(Response::text(400, "invalid request path\n"), true);
    req_.path = std::move(*path);
    if (q != std::string_view::npos) {
      std::string_view qs = target.substr(q + 1);
      while (!qs.empty()) {
        auto amp = qs.find('&');
        std::string_view pair = qs.substr(0, amp);
        qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq), true);
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
        if (!k || !v) return finish_with(Response::text(400, "invalid query string\n"), true);
        req_.query.emplace(std::move(*k), std::move(*v));
      }
    }
    if (s_.filter && *s_.filter) {
      if (auto denied = (*s_.filter)(req_)) return finish_with(std::move(*denied), true);
    }
    route_ = s_.find(req_.method, req_.path);
    if (route_ == nullptr) return finish_with(Response::text(404, "404 page not found\n"), !h.has_content_length() && !h.chunked());
    const uint64_t limit = route_->max_body_bytes > 0 ? route_->max_body_bytes : s_.limits.max_body_bytes;
    if (route_->stream_handler) return run_stream(route_->stream_handler, limit);
    // A parser checks a declared length against its limit only while it reads
    // the header, which the header parser did without one: check it here.
    // (Streaming routes read their bodies themselves and give their own 413.)
    if (auto declared = header_parser_->content_length(); declared && *declared > limit) {
      body_unread_ = true;
      return finish_with(Response::text(413, "request body too large\n"), true);
    }
    string_parser_.emplace(std::move(*header_parser_));
    string_parser_->body_limit(limit);
    stream_.expires_after(std::chrono::seconds(s_.limits.read_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *string_parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit) {
      body_unread_ = true;
      return finish_with(Response::text(413, "request body too large\n"), true);
    }
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
      // Bad framing (a chunk size that is not hex, ...): the client is still
      // there to be told.
      return finish_with(Response::text(400, "malformed request body: " + ec.message() + "\n"), true);
    if (ec) {
      // Timeouts, resets, a body cut short by a close: no one to answer.
      --s_.in_flight;
      return close();
    }
    req_.body = std::move(string_parser_->get().body());
    keep_alive_ = string_parser_->get().keep_alive();
    Response r;
    try {
      r = route_->inline_handler(req_);
    } catch (const std::exception& e) {
      r = Response::text(500, std::string("internal error: ") + e.what() + "\n");
    }
    if (r.stream) {
      // The body is already read: hand the rest to a worker.
      return run_stream_after_body(std::move(r.stream));
    }
    if (r.push) return start_push(std::move(r));
    finish_with(std::move(r), !keep_alive_);
  }

  // A push response: the header now, then whatever the stream's owner sends,
  // until it closes the stream or the client goes.
  void start_push(Response r);

 public:  // for the PushChannel of this session
  net::any_io_executor executor() { return stream_.get_executor(); }
  beast::tcp_stream& stream() { return stream_; }
  const Limits& limits() const { return s_.limits; }
  // Done with a push response: it no longer holds up a graceful stop.
  void push_started(int status) {
    observe(status, 0);
    request_done();
  }
  void close_connection() { close(); }

 private:

  // Sends a complete response; closes afterwards when `close_after`.
  void finish_with(Response r, bool close_after) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->result(static_cast<unsigned>(r.status));
    res->version(11);
    for (auto& [k, v] : r.headers) res->set(k, v);
    if (!res->count(bhttp::field::server)) res->set(bhttp::field::server, "ipfs-kit");
    const size_t body_size = r.body.size();
    res->body() = std::move(r.body);
    if (head_ && r.head_length && body_size == 0) {
      res->content_length(*r.head_length);
    } else {
      res->prepare_payload();
      if (head_) res->body().clear();  // Content-Length stays that of the GET
    }
    const bool keep = !close_after && !s_.stopping;
    res->keep_alive(keep);
    observe(r.status, head_ ? 0 : body_size);
    response_ = res;
    stream_.expires_after(std::chrono::seconds(s_.limits.idle_timeout_seconds));
    bhttp::async_write(stream_, *res, [self = shared_from_this(), keep](beast::error_code ec, size_t) {
      self->response_.reset();
      self->request_done();
      if (!ec && self->body_unread_) return self->linger_then_close();
      if (ec || !keep) return self->close();
      self->do_read(false);
    });
  }

  void send_error(int status, std::string message) {
    ++s_.in_flight;
    head_ = false;
    finish_with(Response::text(status, message + "\n"), true);
  }

  void run_stream(StreamFn fn, uint64_t limit) {
    body_parser_.emplace(std::move(*header_parser_));
    body_parser_->body_limit(limit);
    dispatch(std::move(fn));
  }

  void run_stream_after_body(StreamFn fn) {
    // Body already consumed by the string parser: stream with an empty body.
    empty_body_done_ = true;
    dispatch(std::move(fn));
  }

  void dispatch(StreamFn fn) {
    stream_.expires_never();
    s_.workers->post([self = shared_from_this(), fn = std::move(fn)] { self->stream_on_worker(fn); });
  }

  void stream_on_worker(const StreamFn& fn) {
    // sendfile(2) has no MSG_NOSIGNAL: a client gone mid-response would
    // raise SIGPIPE on this thread. Blocked, it stays pending and harmless,
    // whatever the process does with the signal.
    static thread_local bool sigpipe_blocked = [] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      return ::pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
    }();
    (void)sigpipe_blocked;
    int fd = stream_.socket().native_handle();
    // A parser for the body that is left (none when the body was already read).
    std::optional<bhttp::request_parser<bhttp::buffer_body>> done_parser;
    bhttp::request_parser<bhttp::buffer_body>* parser;
    if (empty_body_done_) {
      // Feed a minimal complete request so that the parser reports done.
      done_parser.emplace();
      beast::error_code ec;
      done_parser->put(net::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n")), ec);
      parser = &*done_parser;
    } else {
      parser = &*body_parser_;
    }
    const bool sendfile = s_.sendfile == Sendfile::kAlways || (s_.sendfile == Sendfile::kToOtherHosts && !peer_is_loopback_);
    SyncExchange ex(req_, fd, buffer_, *parser, s_.limits, head_, sendfile);
    try {
      fn(ex);
    } catch (const std::exception& e) {
      if (!ex.started()) {
        std::string msg = std::string("internal error: ") + e.what() + "\n";
        (void)ex.begin(500, {{"Content-Type", "text/plain"}}, msg.size());
        (void)ex.write(as_bytes(msg));
      }
    }
    if (!ex.started()) {
      (void)ex.begin(500, {{"Content-Type", "text/plain"}}, 0);
    }
    Status ended = ex.end();
    bool reusable = ended && !ex.aborted() && (empty_body_done_ ? keep_alive_ : ex.keep_alive()) && ex.drain_body();
    observe(ex.status(), ex.bytes_out());
    empty_body_done_ = false;
    body_parser_.reset();
    net::post(stream_.get_executor(), [self = shared_from_this(), reusable] {
      self->request_done();
      if (!reusable) return self->close();
      self->do_read(false);
    });
  }

  void observe(int status, uint64_t bytes) {
    ++s_.requests;
    if (s_.observer && *s_.observer) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      (*s_.observer)(req_, status, secs, bytes);
    }
  }

  void request_done() {
    if (s_.in_flight > 0) --s_.in_flight;
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  // After an answer sent before the request's body was read (a 413): a
  // close with unread input resets the connection, and a client still
  // sending its body would lose the answer with it. So: end our side, read
  // and drop what is still coming (bounded in bytes and time), then close.
  void linger_then_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }
  void drain() {
    constexpr uint64_t kMaxDrain = 64ULL << 20;
    if (!drain_buffer_) drain_buffer_ = std::make_unique<std::array<char, 65536>>();
    stream_.async_read_some(net::buffer(*drain_buffer_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kMaxDrain) return self->close();
      self->drain();
    });
  }

  Server::Impl& s_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> string_parser_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> body_parser_;
  std::shared_ptr<void> response_;
  const Route* route_ = nullptr;
  Request req_;
  std::string remote_;
  bool peer_is_loopback_ = false;
  bool head_ = false;
  bool keep_alive_ = true;
  bool empty_body_done_ = false;
  bool body_unread_ = false;
  uint64_t drained_ = 0;
  std::unique_ptr<std::array<char, 65536>> drain_buffer_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

// The stream of a push response. Bytes queue under a mutex; one write at a
// time runs on the connection's I/O thread, with the idle timeout as its
// deadline. A read is kept pending on the socket only to notice the client
// closing it. The channel holds its session until it ends, and lets go of
// it then, so a stream kept by its owner never outlives the server's state.
class PushChannel final : public PushStream, public std::enable_shared_from_this<PushChannel> {
 public:
  PushChannel(std::shared_ptr<Session> session, size_t limit, std::string header)
      : session_(std::move(session)), limit_(limit), pending_(std::move(header)) {}

  bool send(std::string data) override {
    std::lock_guard lock(mu_);
    if (closed_ || ending_) return false;
    if (data.empty()) return true;
    if (queued_ + data.size() > limit_) {
      fail_locked();
      return false;
    }
    char size[24];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    pending_.append(size, static_cast<size_t>(n));
    pending_ += data;
    pending_ += "\r\n";
    queued_ += data.size();
    kick_locked();
    return true;
  }

  void close() override {
    std::lock_guard lock(mu_);
    if (closed_ || ending_) return;
    ending_ = true;
    pending_ += "0\r\n\r\n";
    kick_locked();
  }

  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_ || ending_;
  }

  // True once the connection is done with (written out, or dropped).
  bool finished() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // Ends at once, without writing what is queued.
  void drop() {
    std::lock_guard lock(mu_);
    fail_locked();
  }

  // Starts the first write and the read that notices a client leaving.
  void start() {
    {
      std::lock_guard lock(mu_);
      kick_locked();
    }
    read_next();
  }

 private:
  void kick_locked() {
    if (writing_ || !session_) return;
    writing_ = true;
    net::post(session_->executor(), [self = shared_from_this()] { self->write_next(); });
  }

  // Closed by error or by the server: the socket is closed on its own thread
  // and the session let go of.
  void fail_locked() {
    if (closed_) return;
    closed_ = true;
    pending_.clear();
    if (auto s = std::move(session_)) {
      session_.reset();
      net::post(s->executor(), [s] { s->close_connection(); });
    }
  }

  void write_next() {
    std::shared_ptr<Session> s;
    {
      std::lock_guard lock(mu_);
      if (closed_ || !session_) {
        writing_ = false;
        return;
      }
      if (pending_.empty()) {
        writing_ = false;
        if (ending_) fail_locked();  // everything written, the last chunk too
        return;
      }
      in_write_.swap(pending_);
      pending_.clear();
      queued_ = 0;
      s = session_;
    }
    s->stream().expires_after(std::chrono::seconds(s->limits().idle_timeout_seconds));
    net::async_write(s->stream(), net::buffer(in_write_),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->drop();
                       self->write_next();
                     });
  }

  void read_next() {
    std::shared_ptr<Session> s;
    {
      std::lock_guard lock(mu_);
      if (closed_ || !session_) return;
      s = session_;
    }
    s->stream().socket().async_read_some(net::buffer(read_buf_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->drop();  // the client closed (or reset) its connection
      self->read_next();              // anything a client sends now is ignored
    });
  }

  mutable std::mutex mu_;
  std::shared_ptr<Session> session_;
  const size_t limit_;
  std::string pending_, in_write_;
  size_t queued_ = 0;
  bool writing_ = false, ending_ = false, closed_ = false;
  char read_buf_[512];
};

namespace {

void Session::start_push(Response r) {
  std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " + std::string(reason(r.status)) + "\r\n";
  bool has_server = false;
  for (const auto& [k, v] : r.headers) {
    h += k + ": " + v + "\r\n";
    if (beast::iequals(k, "server")) has_server = true;
  }
  if (!has_server) h += "Server: ipfs-kit\r\n";
  h += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  stream_.expires_never();
  auto channel = std::make_shared<PushChannel>(shared_from_this(), r.push_queue_limit, std::move(h));
  s_.add_push(channel);
  push_started(r.status);
  channel->start();
  if (s_.stopping) channel->close();
  try {
    r.push(channel);
  } catch (const std::exception&) {
    channel->drop();
  }
}

}  // namespace

void Server::Impl::add_push(const std::shared_ptr<PushChannel>& p) {
  std::lock_guard lock(push_mu);
  std::erase_if(pushes, [](const std::weak_ptr<PushChannel>& w) { return w.expired(); });
  pushes.push_back(p);
}

void Server::Impl::close_pushes(bool drop) {
  std::vector<std::shared_ptr<PushChannel>> open;
  {
    std::lock_guard lock(push_mu);
    for (auto& w : pushes)
      if (auto p = w.lock()) open.push_back(std::move(p));
    if (drop) pushes.clear();
  }
  for (auto& p : open) drop ? p->drop() : p->close();
}

bool Server::Impl::pushes_unfinished() {
  std::lock_guard lock(push_mu);
  for (auto& w : pushes)
    if (auto p = w.lock(); p && !p->finished()) return true;
  return false;
}

void Server::Impl::do_accept() {
  net::io_context& peer = *contexts[next_context++ % contexts.size()];
  acceptor->async_accept(peer, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
      // Out of descriptors and the like: keep accepting.
    } else if (connections >= limits.max_connections || stopping) {
      beast::error_code ignored;
      const char* busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      net::write(socket, net::buffer(busy, std::strlen(busy)), ignored);
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), *this)->start();
    }
    if (acceptor->is_open()) do_accept();
  });
}

Server::Server(std::string name, Limits limits) : impl_(std::make_unique<Impl>()) {
  impl_->contexts.push_back(std::make_unique<net::io_context>(1));
  impl_->name = std::move(name);
  impl_->limits = limits;
  impl_->filter = &filter_;
  impl_->observer = &observer_;
}

Server::~Server() { stop(0); }

void Server::add_route(Route route) { impl_->routes.push_back(std::move(route)); }

void Server::set_sendfile(Sendfile policy) { impl_->sendfile = policy; }

Status Server::listen(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return invalid_argument("listen address must be host:port: " + address);
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto ip = net::ip::make_address(host, ec);
  if (ec) return invalid_argument("invalid listen address " + address + ": " + ec.message());
  int port = std::atoi(address.substr(colon + 1).c_str());
  tcp::endpoint ep(ip, static_cast<uint16_t>(port));
  impl_->acceptor.emplace(*impl_->contexts[0]);
  impl_->acceptor->open(ep.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(ep, ec);
  if (!ec) impl_->acceptor->listen(1024, ec);
  if (ec) {
    impl_->acceptor.reset();
    Code code = ec == net::error::address_in_use ? Code::kAlreadyExists : Code::kIOError;
    return make_error(code, impl_->name + ": cannot listen on " + address + ": " + ec.message());
  }
  return {};
}

std::string Server::address() const {
  if (!impl_->acceptor) return "";
  beast::error_code ec;
  auto ep = impl_->acceptor->local_endpoint(ec);
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

uint16_t Server::port() const {
  if (!impl_->acceptor) return 0;
  beast::error_code ec;
  return impl_->acceptor->local_endpoint(ec).port();
}

void Server::start(size_t io_threads, size_t workers) {
  impl_->workers = std::make_unique<ThreadPool>(workers == 0 ? 1 : workers);
  while (impl_->contexts.size() < std::max<size_t>(1, io_threads))
    impl_->contexts.push_back(std::make_unique<net::io_context>(1));
  for (auto& c : impl_->contexts) impl_->work.push_back(net::make_work_guard(*c));
  impl_->do_accept();
  for (auto& c : impl_->contexts) {
    net::io_context* ctx = c.get();
    impl_->threads.emplace_back([ctx] { ctx->run(); });
  }
}

void Server::stop(int grace_seconds) {
  if (impl_->threads.empty() && !impl_->acceptor) return;
  impl_->stopping = true;
  if (impl_->acceptor) {
    net::post(*impl_->contexts[0], [this] {
      beast::error_code ec;
      if (impl_->acceptor) impl_->acceptor->close(ec);
    });
  }
  // Open push responses end now (their clients see a complete response).
  impl_->close_pushes(false);
  // Let requests in flight finish.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_seconds);
  while ((impl_->in_flight > 0 || impl_->pushes_unfinished()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  impl_->work.clear();
  for (auto& c : impl_->contexts) c->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Push streams their owners still hold let go of their sessions now.
  impl_->close_pushes(true);
  impl_->workers.reset();
  impl_->acceptor.reset();
  // Sessions still queued in the contexts are destroyed here, while the
  // state they refer to is alive.
  impl_->contexts.clear();
}

size_t Server::active_connections() const { return impl_->connections; }
uint64_t Server::total_requests() const { return impl_->requests; }

}  // namespace ipfskit::http
