// The management API of the seeds (port 8887): health, status, backends,
// replication, and /metrics for Prometheus. JSON in and out; errors are
// {"error": "..."} with the status their code maps to.
#include <cerrno>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "daemon/service.h"

namespace ipfskit::daemon {

namespace {

http::Response json_response(int status, const nlohmann::json& j) { return http::Response::json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"); }

// The code goes on the wire with the message, so that clients act on it
// without parsing messages.
http::Response error_response(const Error& e) {
  return json_response(http_status(e.code()), {{"error", e.message()}, {"code", code_name(e.code())}});
}

// A Result<json> as a response: 200 with the document, or the error.
http::Response reply(const Result<nlohmann::json>& r) { return r ? json_response(200, *r) : error_response(r.error()); }

void add(http::Server& server, const char* method, const char* path, bool prefix, http::InlineFn fn) {
  http::Route r;
  r.method = method;
  r.path = path;
  r.prefix = prefix;
  r.max_body_bytes = 64 * 1024;
  r.inline_handler = std::move(fn);
  server.add_route(std::move(r));
}

// Emits one line of a streamed reply: {"KEY": document}. Thread safe.
using EmitFn = std::function<void(const nlohmann::json& line)>;
// Long work whose reply is streamed: it emits lines as it goes and returns
// the summary; it stops early (with Cancelled or a partial summary) once
// `cancel` is set.
using StreamedWork = std::function<Result<nlohmann::json>(const EmitFn& emit, const CancelToken& cancel)>;

// The one way a route streams long work as JSON lines (application/x-ndjson):
// the work's lines as they come, then {"summary": <the result>} or, when it
// failed, {"error", "code"} (the error document of a plain reply) as the last
// line. Runs on a server worker thread once the route returns. A client that
// goes away cancels the work, seen at its next line (what was committed
// stays). Errors found before the work starts are the route's to return as
// plain responses with their status.
http::Response ndjson_reply(StreamedWork work) {
  http::Response r;
  r.stream = [work = std::move(work)](http::Exchange& x) {
    if (!x.begin(200, {{"Content-Type", "application/x-ndjson"}}, std::nullopt)) return;
    std::mutex write_mu;
    CancelToken cancel;
    const EmitFn line = [&](const nlohmann::json& j) {
      std::lock_guard lock(write_mu);
      const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      if (!x.write(as_bytes(text)) || x.peer_closed()) cancel.cancel();
    };
    auto summary = work(line, cancel);
    if (summary) line({{"summary", *summary}});
    else line({{"error", summary.error().message()}, {"code", code_name(summary.error().code())}});
    (void)x.end();
  };
  return r;
}

// A "true"/"false" query parameter (`fallback` when absent).
Result<bool> bool_param(const http::Request& req, const char* name, bool fallback) {
  auto v = req.param(name);
  if (!v) return fallback;
  if (*v == "true") return true;
  if (*v == "false") return false;
  return invalid_argument(std::string(name) + " must be true or false, got \"" + *v + "\"");
}

}  // namespace

std::map<std::string, backends::BackendOpHandler> backend_operation_routes(Service& s) {
  std::map<std::string, backends::BackendOpHandler> ops;
  // POST /backends/NAME/restore[?dry_run=true]: JSON lines as the restore
  // goes ({"pin": {...}} per pin, {"progress": {...}} a few times a second),
  // then {"summary": {...}}, or {"error", "code"} if it stopped early. What
  // fails before it starts (an unknown or unusable backend) is a plain error
  // response with its status.
  ops["restore"] = [&s](const http::Request& req, const std::string& name) -> http::Response {
    if (req.method != "POST") return json_response(405, {{"error", "use POST"}});
    auto dry_run = bool_param(req, "dry_run", false);
    if (!dry_run) return error_response(dry_run.error());
    auto backend = s.registry().get(name);
    if (!backend) return error_response(backend.error());
    if (!(*backend)->capabilities().restorable() || (*backend)->info().type == "ipfs") {
      auto r = s.backend_restore(name, api::BackendRestoreRequest{true, nullptr, nullptr, nullptr});
      if (!r) return error_response(r.error());
    }
    return ndjson_reply([&s, name, dry_run = *dry_run](const EmitFn& emit, const CancelToken& cancel) {
      api::BackendRestoreRequest request;
      request.dry_run = dry_run;
      request.cancel = &cancel;
      request.on_pin = [&](const nlohmann::json& p) { emit({{"pin", p}}); };
      request.on_progress = [&](const nlohmann::json& p) { emit({{"progress", p}}); };
      return s.backend_restore(name, request);
    });
  };
  return ops;
}

void register_api_routes(http::Server& server, Service& s) {
  add(server, "GET", "/health", false, [&s](const http::Request&) {
    auto h = s.health();
    if (!h) return error_response(h.error());
    // 503 only when the embedded node is down; another backend down makes
    // the daemon "degraded", still serving.
    return json_response((*h)["status"] == "unhealthy" ? 503 : 200, *h);
  });
  add(server, "GET", "/status", false, [&s](const http::Request&) { return reply(s.status()); });
  add(server, "GET", "/api/v1/status", false, [&s](const http::Request&) { return reply(s.status()); });
  // /backends, /backends/health, /backends/start|stop/NAME, /backends/NAME/...
  // and /health/alerts: backends/api_routes.cc.
  add(server, "GET", "/replication/status", false, [&s](const http::Request& req) {
    if (auto c = req.param("cid")) {
      auto cid = Cid::parse(*c);
      if (!cid) return error_response(Error(Code::kInvalidArgument, "invalid CID \"" + *c + "\": " + cid.error().message()));
      return reply(s.replication_status_of(*cid));
    }
    return http::Response::on_worker([&s] { return reply(s.replication_status()); });  // a scan of the index
  });
  add(server, "GET", "/route/suggest", false, [&s](const http::Request& req) {
    uint64_t size = 0;
    if (auto v = req.param("size")) {
      char* end = nullptr;
      errno = 0;
      size = std::strtoull(v->c_str(), &end, 10);
      if (v->empty() || *end != '\0' || errno != 0 || (*v)[0] == '-')
        return error_response(Error(Code::kInvalidArgument, "size must be a number of bytes, got \"" + *v + "\""));
    }
    return http::Response::on_worker([&s, size] { return reply(s.route_suggest(size)); });  // asks each backend's free space
  });
  add(server, "POST", "/route/optimize", false, [&s](const http::Request& req) {
    auto j = nlohmann::json::parse(req.body.empty() ? std::string("{}") : req.body, nullptr, false);
    if (!j.is_object() || (j.contains("cids") && !j["cids"].is_array()) ||
        (j.contains("apply") && !j["apply"].is_boolean()))
      return error_response(Error(Code::kInvalidArgument, "expected {\"cids\": [CID, ...], \"apply\": true|false}"));
    std::vector<Cid> cids;
    for (const auto& c : j.value("cids", nlohmann::json::array())) {
      if (!c.is_string()) return error_response(Error(Code::kInvalidArgument, "cids must be strings"));
      auto cid = Cid::parse(c.get<std::string>());
      if (!cid) return error_response(Error(Code::kInvalidArgument, "invalid CID \"" + c.get<std::string>() + "\""));
      cids.push_back(*cid);
    }
    return http::Response::on_worker(
        [&s, cids, apply = j.value("apply", false)] { return reply(s.route_optimize(cids, apply, nullptr)); });
  });
  // POST /replication/sync: the pass's report when it ends. With
  // ?progress=true, JSON lines as it goes ({"progress": {"pins_done",
  // "pins_total", "seconds"}} a few times a second at most), then
  // {"summary": <the report>} or {"error", "code"}; leaving cancels the pass.
  add(server, "POST", "/replication/sync", false, [&s](const http::Request& req) {
    auto progress = bool_param(req, "progress", false);
    if (!progress) return error_response(progress.error());
    // A pass takes seconds to hours: never on the listener's one I/O thread.
    if (!*progress) return http::Response::on_worker([&s] { return reply(s.replication_sync(api::ReplicationSyncRequest{})); });
    return ndjson_reply([&s](const EmitFn& emit, const CancelToken& cancel) {
      api::ReplicationSyncRequest request;
      request.cancel = &cancel;
      request.on_progress = [&](const nlohmann::json& p) { emit({{"progress", p}}); };
      return s.replication_sync(request);
    });
  });
  add(server, "GET", "/metrics", false, [&s](const http::Request&) {
    auto m = s.metrics();
    if (!m) return error_response(m.error());
    return http::Response::text(200, *m, "text/plain; version=0.0.4; charset=utf-8");
  });
  // The configuration, secrets redacted: the whole document, or ?key=K.
  add(server, "GET", "/config", false, [&s](const http::Request& req) {
    if (auto key = req.param("key")) {
      auto v = s.client().config_get(*key);
      if (!v) return error_response(v.error());
      return json_response(200, {{"key", *key}, {"value", *v}});
    }
    return reply(s.client().config_show());
  });
  // {"key": K, "value": V}: validated, saved and applied; the file is left
  // as it was when the value is refused.
  add(server, "POST", "/config/set", false, [&s](const http::Request& req) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("key") || !j["key"].is_string() || !j.contains("value") ||
        !j["value"].is_string())
      return error_response(Error(Code::kInvalidArgument, "expected {\"key\": \"...\", \"value\": \"...\"}"));
    const std::string key = j["key"].get<std::string>();
    auto v = s.set_config(key, j["value"].get<std::string>());
    if (!v) return error_response(v.error());
    return json_response(200, {{"key", key}, {"value", *v}});
  });
  // The last lines of the daemon's (or ?backend=NAME's) log: ?lines=N&level=L.
  add(server, "GET", "/logs", false, [&s](const http::Request& req) {
    api::LogQuery q;
    if (auto n = req.param("lines")) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(n->c_str(), &end, 10);
      if (n->empty() || *end != '\0' || v > 100000)
        return error_response(Error(Code::kInvalidArgument, "lines must be a number up to 100000"));
      q.lines = static_cast<size_t>(v);
    }
    q.level = req.param("level").value_or("");
    q.backend = req.param("backend").value_or("");
    auto lines = s.log_lines(q);
    if (!lines) return error_response(lines.error());
    return json_response(200, {{"lines", *lines}});
  });
  // The Pinning Service API's tokens (the API token guards these; /psa itself takes PSA tokens).
  add(server, "GET", "/psa-tokens", false, [&s](const http::Request&) {
    auto t = s.pinning_service().tokens();
    if (!t) return error_response(t.error());
    return json_response(200, {{"tokens", *t}});
  });
  for (bool create : {true, false}) {
    add(server, "POST", create ? "/psa-tokens/create" : "/psa-tokens/remove", false, [&s, create](const http::Request& req) {
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string())
        return error_response(Error(Code::kInvalidArgument, "expected {\"name\": \"...\"}"));
      const std::string name = j["name"].get<std::string>();
      if (create) {
        auto token = s.pinning_service().create_token(name);
        if (!token) return error_response(token.error());
        return json_response(200, {{"name", name}, {"token", *token}});
      }
      Status st = s.pinning_service().remove_token(name);
      if (!st) return error_response(st.error());
      return json_response(200, {{"name", name}, {"removed", true}});
    });
  }
  // Everything else under the API: JSON 404 (or 405 for a known path with the wrong method).
  add(server, "", "/", true, [](const http::Request& req) {
    static const char* known[] = {"/health", "/status", "/api/v1/status", "/backends/health", "/backends",
                                  "/health/alerts", "/replication/status", "/replication/sync", "/metrics", "/config", "/config/set",
                                  "/logs", "/psa-tokens", "/psa-tokens/create", "/psa-tokens/remove"};
    for (const char* k : known)
      if (req.path == k) return json_response(405, {{"error", "method " + req.method + " not allowed on " + req.path}});
    if (req.path.rfind("/backends/start/", 0) == 0 || req.path.rfind("/backends/stop/", 0) == 0)
      return json_response(405, {{"error", "use POST"}});
    return error_response(Error(Code::kNotFound, "no such endpoint: " + req.path));
  });
}

}  // namespace ipfskit::daemon
