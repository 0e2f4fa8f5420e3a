// The MCP listener (default 127.0.0.1:8888): Streamable HTTP at /mcp for both
// protocol eras, the seeds' REST API under /api/ (health, pins), and room for
// more routes (the dashboard adds `/` and /api/dashboard/* through http()
// before start()).
//
// Security, for every route:
//  - Host must name this listener (its address, a loopback name when bound
//    to loopback, or one of `allowed_hosts`), and a present Origin must be
//    http(s) on such a host; otherwise 403 (DNS rebinding protection).
//  - When a token is set, `Authorization: Bearer <token>` is required (401).
//  - Binding off loopback without a token is refused at listen().
//
// /mcp (see the transport sections of both revisions):
//  - POST: one JSON-RPC message. A request carrying the 2026-07-28 _meta (or
//    MCP-Protocol-Version: 2026-07-28 without a session) is served
//    statelessly with the MCP-Protocol-Version / Mcp-Method / Mcp-Name header
//    checks (400 with -32020 HeaderMismatch, -32022 unsupported version; 404
//    with -32601 for an unknown method). Anything else is the legacy era:
//    `initialize` creates a session (MCP-Session-Id); later requests need it
//    (400 without one, 404 for an unknown one). Answers are JSON, or an
//    event stream when the request asked for progress or is
//    subscriptions/listen. Closing a stream cancels its request.
//  - GET: the legacy session's event stream (server notifications); 405 in
//    the 2026-07-28 era. DELETE: ends a legacy session.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dashboard/dashboard.h"
#include "http/server.h"
#include "mcp/server.h"

namespace ipfskit::mcp {

struct ListenerOptions {
  std::string address = "127.0.0.1:8888";
  // The bearer token ("" for none), read on every request so a reloaded
  // configuration applies at once.
  std::function<std::string()> token;
  std::vector<std::string> allowed_hosts;  // extra Host names (for a proxy or a LAN name)
  http::Limits limits;
  size_t io_threads = 1;
  size_t workers = 16;  // requests at once, including open event streams
};

class Listener {
 public:
  Listener(Server& mcp, ListenerOptions options);
  ~Listener();

  // The HTTP server, for adding routes before start().
  http::Server& http() { return *http_; }

  // Binds. Refuses a non-loopback address without a token.
  Status listen();
  void start();
  void stop();
  std::string address() const { return http_->address(); }

  // Observes every request (metrics, logs).
  void set_observer(http::Observer o) { http_->set_observer(std::move(o)); }

 private:
  std::optional<http::Response> filter(const http::Request& req) const;
  bool host_allowed(std::string_view hostport) const;

  Server& mcp_;
  ListenerOptions o_;
  std::unique_ptr<http::Server> http_;
  bool loopback_ = true, unspecified_ = false;
  std::string bound_host_;
  uint16_t port_ = 0;
  std::shared_ptr<std::atomic<int>> open_streams_;
  std::unique_ptr<dashboard::Dashboard> dashboard_;  // at / (src/dashboard)
};

// Registers /mcp on any HTTP server (the Listener does; tests may too).
// `max_streams` bounds event streams held open at once.
void register_mcp_routes(http::Server& http, Server& mcp, std::shared_ptr<std::atomic<int>> open_streams, int max_streams);
// Registers the seeds' REST API: GET /api/health, GET /api/pins,
// GET|POST|DELETE /api/pins/<cid>.
void register_rest_routes(http::Server& http, Server& mcp);

}  // namespace ipfskit::mcp
