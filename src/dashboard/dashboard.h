// The web dashboard, served at / on the MCP listener (daemon.mcp_address or
// `ipfs-kit mcp serve`), over the one client API: every action calls the
// same api::Client operation as the CLI and the MCP tools.
//
// Routes (added to the listener's route table by attach()):
//   GET  /, /index.html, /assets/<file>      the page (embedded; gzip when accepted)
//   GET  /api/dashboard/session              {auth_required, signed_in, csrf}
//   POST /api/dashboard/login                {"token": "..."} -> session cookie
//   POST /api/dashboard/logout
//   GET  /api/dashboard/events               server-sent events (see live.h)
//   GET  /api/dashboard/overview             the live state as one JSON document
//   GET  /api/dashboard/pins                 ?after=ID&limit=N&cid=&name=&meta=k=v&type=
//   POST /api/dashboard/pins/rm              {"cids": [...]}
//   POST /api/dashboard/add?name=N           the request body is the file: added and pinned
//   POST /api/dashboard/backends/<name>/start|stop
//   POST /api/dashboard/replication/sync     starts a sync; progress as `sync` events
//   GET  /api/dashboard/logs                 ?lines=N&level=L
//
// Security (with the listener's own Host/Origin checks, which run first):
//  - With a token (daemon.api_token) set, every route except the page, its
//    assets, session and login needs `Authorization: Bearer <token>` or the
//    session cookie a login sets. The token never goes in a URL; the cookie
//    is HttpOnly and SameSite=Strict, its session ends when the token changes
//    or after 12 hours, and repeated failed sign-ins are refused for a minute
//    (429). A session opens the dashboard's routes only: /mcp and the seeds'
//    REST still need the bearer token.
//  - Every POST needs `X-CSRF-Token` (the session's, or without a token the
//    server's, from /api/dashboard/session) unless it carries an
//    Authorization header: a page of another origin can neither read the
//    token nor send the header without a CORS preflight, which is refused.
//  - Pages are served with a Content-Security-Policy that allows only this
//    origin's scripts and styles, and may not be framed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/client.h"
#include "dashboard/live.h"
#include "http/server.h"

namespace ipfskit::dashboard {

struct DashboardOptions {
  // The bearer token ("" for none), read on every request so that a reloaded
  // configuration applies at once.
  std::function<std::string()> token;
  LiveOptions live;
};

class Dashboard {
 public:
  ~Dashboard();

  // Adds the routes to `http` (before it starts) and starts the live feed.
  // `client` must outlive the dashboard.
  static std::unique_ptr<Dashboard> attach(http::Server& http, api::Client& client, DashboardOptions options);

  // For the listener's token check: true when the request may proceed
  // without a bearer token (the page and its assets, session and login; or a
  // valid session cookie).
  bool admits(const http::Request& req) const;

  // Stops the live feed and any sync job; ends open event streams.
  void stop();

  LiveFeed& live() { return live_; }

  struct State;  // defined in dashboard.cc

 private:
  Dashboard(api::Client& client, DashboardOptions options);
  void register_routes(http::Server& http);

  api::Client& client_;
  DashboardOptions o_;
  LiveFeed live_;
  std::shared_ptr<State> state_;
};

}  // namespace ipfskit::dashboard
