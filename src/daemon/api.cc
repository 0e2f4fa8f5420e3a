// The management API of the seeds (port 8887): health, status, backends,
// replication, and /metrics for Prometheus. JSON in and out; errors are
// {"error": "..."} with the status their code maps to.
#include <nlohmann/json.hpp>

#include "daemon/service.h"

namespace ipfskit::daemon {

namespace {

http::Response json_response(int status, const nlohmann::json& j) { return http::Response::json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"); }

http::Response error_response(const Error& e) { return json_response(http_status(e.code()), {{"error", e.message()}}); }

void add(http::Server& server, const char* method, const char* path, bool prefix, http::InlineFn fn) {
  http::Route r;
  r.method = method;
  r.path = path;
  r.prefix = prefix;
  r.max_body_bytes = 64 * 1024;
  r.inline_handler = std::move(fn);
  server.add_route(std::move(r));
}

}  // namespace

void register_api_routes(http::Server& server, Service& s) {
  add(server, "GET", "/health", false, [&s](const http::Request&) {
    nlohmann::json backends = s.backends_json(false);
    const std::string health = backends["ipfs"]["health"].get<std::string>();
    const bool healthy = health == "healthy" || health == "stopped" || health == "unknown";
    nlohmann::json status = s.status_json();
    return json_response(healthy ? 200 : 503, {{"status", healthy ? "healthy" : "unhealthy"},
                                               {"version", status["daemon"]["version"]},
                                               {"pid", status["daemon"]["pid"]},
                                               {"uptime_seconds", status["daemon"]["uptime_seconds"]},
                                               {"backends", {{"ipfs", health}}}});
  });
  add(server, "GET", "/status", false, [&s](const http::Request&) { return json_response(200, s.status_json()); });
  add(server, "GET", "/api/v1/status", false, [&s](const http::Request&) { return json_response(200, s.status_json()); });
  add(server, "GET", "/backends/health", false, [&s](const http::Request& req) {
    const bool now = req.param("check").value_or("") == "true";
    return json_response(200, {{"backends", s.backends_json(now)}});
  });
  add(server, "GET", "/backends", false,
      [&s](const http::Request&) { return json_response(200, {{"backends", s.backends_json(false)}}); });
  for (bool start : {true, false}) {
    add(server, "POST", start ? "/backends/start/" : "/backends/stop/", true, [&s, start](const http::Request& req) {
      std::string name = req.path.substr(std::string_view(start ? "/backends/start/" : "/backends/stop/").size());
      auto r = s.set_backend_running(name, start);
      if (!r) return error_response(r.error());
      return json_response(200, *r);
    });
  }
  add(server, "GET", "/replication/status", false,
      [&s](const http::Request&) { return json_response(200, s.replication_json()); });
  add(server, "POST", "/replication/sync", false,
      [&s](const http::Request&) { return json_response(200, s.replication_sync()); });
  add(server, "GET", "/metrics", false, [&s](const http::Request&) {
    return http::Response::text(200, s.metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  // Everything else under the API: JSON 404 (or 405 for a known path with the wrong method).
  add(server, "", "/", true, [](const http::Request& req) {
    static const char* known[] = {"/health", "/status", "/api/v1/status", "/backends/health", "/backends",
                                  "/replication/status", "/replication/sync", "/metrics"};
    for (const char* k : known)
      if (req.path == k) return json_response(405, {{"error", "method " + req.method + " not allowed on " + req.path}});
    if (req.path.rfind("/backends/start/", 0) == 0 || req.path.rfind("/backends/stop/", 0) == 0)
      return json_response(405, {{"error", "use POST"}});
    return json_response(404, {{"error", "no such endpoint: " + req.path}});
  });
}

}  // namespace ipfskit::daemon
