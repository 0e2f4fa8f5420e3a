// An HTTP/1.1 server on Boost.Beast and Asio that stays up under bad input.
//
// Connections are served asynchronously on a few I/O threads. A request is
// routed by path once its header is read:
//  - "inline" routes get the whole (bounded) body and return a response at
//    once, on the I/O thread: for fast things (a cached gateway block, a
//    status document);
//  - "streaming" routes run on a worker thread, where they read the body as a
//    stream and write the response piece by piece (uploads, downloads,
//    streamed JSON). An inline handler may also hand off to streaming;
//  - "push" responses (an inline handler's Response::push) stay open without
//    holding any thread: others write to them when they have something to
//    say (server-sent events to many open dashboards at once).
//
// Every connection is bounded: header size, body size (per route), idle and
// read timeouts, and a cap on the number of connections. A malformed request
// gets a 4xx answer and the connection is closed; nothing a client sends can
// take the server down.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/io.h"
#include "base/thread_pool.h"

namespace ipfskit::http {

struct Limits {
  size_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = 1 << 20;  // for routes that do not set their own
  int idle_timeout_seconds = 60;      // between requests on a keep-alive connection
  int read_timeout_seconds = 30;      // to receive a request's header
  size_t max_connections = 1024;
};

// A request as handlers see it. `body` is filled for inline routes.
struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded path, without the query
  std::multimap<std::string, std::string> query;  // decoded parameters
  std::multimap<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote;  // peer address

  // The first value of a header or query parameter, or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> param(std::string_view name) const;
  std::vector<std::string> params(std::string_view name) const;
};

class Exchange;
using StreamFn = std::function<void(Exchange&)>;

// A response body that others write over time (see Response::push). Safe to
// use from any thread; the bytes are written in order on the connection's
// I/O thread, so no thread waits on a slow client.
class PushStream {
 public:
  virtual ~PushStream() = default;
  // Queues bytes for the client. False once the stream is closed: the client
  // left, the server is stopping, a write took longer than the idle timeout,
  // or the client fell more than the response's `push_queue_limit` bytes
  // behind (a slow reader is dropped rather than buffered without bound).
  virtual bool send(std::string data) = 0;
  // Ends the response once what is queued is written; the connection closes.
  virtual void close() = 0;
  virtual bool closed() const = 0;
};
using PushFn = std::function<void(std::shared_ptr<PushStream>)>;

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the response is produced by this function on a worker thread
  // (status, headers and body above are ignored).
  StreamFn stream;
  // For HEAD requests answered without a body: the Content-Length a GET
  // would have had.
  std::optional<uint64_t> head_length;
  // When set (inline routes only), the status and headers are sent with a
  // chunked body that stays open, and `push` is called at once, on the I/O
  // thread, with the stream to keep and write to (`body` is ignored). The
  // connection closes when the stream ends.
  PushFn push;
  size_t push_queue_limit = 1 << 20;

  static Response text(int status, std::string body, std::string type = "text/plain; charset=utf-8");
  static Response json(int status, std::string body) { return text(status, std::move(body), "application/json"); }
  // For an inline route whose answer waits on slow work (a replication pass,
  // a remote service): `fn` runs on a worker thread and its response (status,
  // headers, body; default type JSON) is sent as it is, so that the
  // listener's I/O thread keeps serving other requests meanwhile.
  static Response on_worker(std::function<Response()> fn);
};

// A request being served on a worker thread: read the body as a stream,
// then write the response header and body pieces.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual const Request& request() const = 0;
  // The request body, read as it arrives (up to the route's limit).
  virtual ByteReader& body() = 0;
  // Starts the response. `content_length` nullopt means chunked encoding.
  virtual Status begin(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                       std::optional<uint64_t> content_length) = 0;
  virtual Status write(ByteView data) = 0;
  // Writes `data`, which the caller guarantees are byte for byte the
  // data.size() bytes of the open file `file` at `offset`, and stay so until
  // this returns. An implementation may send them from the file instead
  // (sendfile(2): no copy through user space); the default writes `data`.
  virtual Status write_from_file(ByteView data, int file, uint64_t offset) {
    (void)file;
    (void)offset;
    return write(data);
  }
  // Ends the response (the last chunk). Called automatically if forgotten.
  virtual Status end() = 0;
  // Gives up on a started response: the connection is closed without the
  // end of the body, so the client sees a truncated (failed) transfer rather
  // than a short success. For errors found mid-stream.
  virtual void abort() = 0;
  // Ends a started chunked response with an `X-Stream-Error: message`
  // trailer (Kubo RPC's report of an error found mid-stream; the response
  // must have announced `Trailer: X-Stream-Error`). A response with a
  // Content-Length cannot carry one and is aborted instead.
  virtual void end_with_stream_error(std::string_view message) = 0;
  // True once begin() was called.
  virtual bool started() const = 0;
  // True when the client has gone (closed or reset its connection); checked
  // without blocking. Long responses (event streams, slow work) use it to
  // stop early.
  virtual bool peer_closed() = 0;
};

using InlineFn = std::function<Response(const Request&)>;

struct Route {
  std::string method;         // "" for any
  std::string path;           // exact path, or a prefix when `prefix`
  bool prefix = false;
  InlineFn inline_handler;    // one of the two
  StreamFn stream_handler;
  uint64_t max_body_bytes = 0;  // 0: Limits::max_body_bytes
};

// When Exchange::write_from_file sends from the file with sendfile(2).
// To another host, the network card can take the file's pages as they are,
// saving the copy through user space. To a loopback client the kernel copies
// the bytes into the receiver anyway, and sendfile measured no cheaper than
// the copy (bench/daemon.sh, 1 GiB: 0.83 vs 0.81 daemon CPU-s, within noise),
// so loopback peers get the more conservative path by default: the bytes
// sent are the very bytes just hashed in memory.
enum class Sendfile { kToOtherHosts, kAlways, kNever };

// Runs before routing (authentication, origin checks); a response stops the request.
using Filter = std::function<std::optional<Response>(const Request&)>;
// Called after every request with its status and duration (metrics, logs).
using Observer = std::function<void(const Request&, int status, double seconds, uint64_t bytes_out)>;

class Server {
 public:
  Server(std::string name, Limits limits);
  ~Server();

  void add_route(Route route);
  // Before start(). Default: Sendfile::kToOtherHosts.
  void set_sendfile(Sendfile policy);
  void set_filter(Filter f) { filter_ = std::move(f); }
  void set_observer(Observer o) { observer_ = std::move(o); }

  // Binds "host:port" (port 0 picks a free port). Fails if the address is taken.
  Status listen(const std::string& address);
  // The bound address, e.g. "127.0.0.1:8080".
  std::string address() const;
  uint16_t port() const;

  // Serves on `io_threads` threads, with `workers` threads for streaming routes.
  void start(size_t io_threads, size_t workers);
  // Stops accepting, waits up to `grace_seconds` for requests in flight, then closes.
  void stop(int grace_seconds);

  size_t active_connections() const;
  uint64_t total_requests() const;

  struct Impl;  // defined in server.cc

 private:
  std::unique_ptr<Impl> impl_;
  Filter filter_;
  Observer observer_;
};

// Percent-decoding of a URL path or query component. Fails on a bad escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);
std::string percent_encode_path(std::string_view s);

// The reason phrase for a status code.
std::string_view reason(int status);

}  // namespace ipfskit::http
