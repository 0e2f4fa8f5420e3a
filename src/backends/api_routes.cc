#include "backends/api_routes.h"


namespace ipfskit::backends {

using nlohmann::json;

namespace {

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

http::Response json_response(int status, const json& j) { return http::Response::json(status, dump(j)); }

http::Response error_response(const Error& e) {
  return json_response(http_status(e.code()), {{"error", e.message()}, {"code", std::string(code_name(e.code()))}});
}

// Calls that wait on a remote service answer on a worker thread.
http::Response on_worker(std::function<http::Response()> fn) { return http::Response::on_worker(std::move(fn)); }

void add(http::Server& server, const char* method, const char* path, bool prefix, http::InlineFn fn) {
  http::Route r;
  r.method = method;
  r.path = path;
  r.prefix = prefix;
  r.max_body_bytes = 64 * 1024;
  r.inline_handler = std::move(fn);
  server.add_route(std::move(r));
}

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    if (slash > start) out.emplace_back(p.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

Result<int> int_param(const http::Request& req, const char* name) {
  auto v = req.param(name);
  if (!v || v->empty()) return 0;
  char* end = nullptr;
  long n = std::strtol(v->c_str(), &end, 10);
  if (end == nullptr || *end != '\0' || n < 0 || n > 1000) return invalid_argument(std::string(name) + " must be 0..1000");
  return static_cast<int>(n);
}

http::Response reply(const Result<json>& r) { return r ? json_response(200, *r) : error_response(r.error()); }

// One backend operation under /backends/NAME/...
http::Response backend_call(const http::Request& req, Registry& registry,
                            const std::map<std::string, BackendOpHandler>& more) {
  auto parts = split_path(req.path);  // "backends", NAME, op, [CID]
  if (parts.size() < 2) return error_response(Error(Code::kNotFound, "no such endpoint: " + req.path));
  const std::string name = parts[1];
  if (parts.size() == 2) {
    if (req.method != "GET") return json_response(405, {{"error", "use GET"}});
    auto j = registry.backends_json(name);
    if (!j) return error_response(j.error());
    return json_response(200, (*j)[name]);
  }
  const std::string op = parts[2];
  if (auto it = more.find(op); it != more.end() && parts.size() == 3) return it->second(req, name);
  std::optional<Cid> cid;
  if (parts.size() >= 4) {
    auto c = Cid::parse(parts[3]);
    if (!c) return error_response(Error(Code::kInvalidArgument, "invalid CID \"" + parts[3] + "\": " + c.error().message()));
    cid = *c;
  }
  if (parts.size() > 4) return error_response(Error(Code::kNotFound, "no such endpoint: " + req.path));

  if (op == "usage" && !cid && req.method == "GET") return on_worker([&registry, name] { return reply(registry.usage(name)); });
  if (op == "pins" && !cid && req.method == "GET") return on_worker([&registry, name] { return reply(registry.pins(name)); });
  if (op == "pins" && cid && req.method == "GET") {
    return on_worker([&registry, name, c = *cid] {
      auto b = registry.get(name);
      if (!b) return error_response(b.error());
      auto p = (*b)->pin_status(c);
      if (!p) return error_response(p.error());
      if (!*p) return error_response(Error(Code::kNotFound, "backend " + name + " holds no pin of " + c.to_string()));
      return json_response(200, to_json(**p));
    });
  }
  if (op == "pins" && cid && req.method == "DELETE")
    return on_worker([&registry, name, c = *cid] { return reply(registry.unpin(name, c)); });
  if (op == "pins" && cid && req.method == "POST") {
    PushOptions o;
    o.cid = *cid;
    o.name = req.param("name");
    auto metas = req.params("meta");
    if (!metas.empty()) {
      o.meta.emplace();
      for (const auto& kv : metas) {
        if (kv.empty()) continue;  // "meta=" alone: no metadata
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) return error_response(Error(Code::kInvalidArgument, "meta must be key=value"));
        (*o.meta)[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
    }
    o.verify = req.param("verify").value_or("true") != "false";
    auto rmin = int_param(req, "replication-min");
    auto rmax = int_param(req, "replication-max");
    if (!rmin) return error_response(rmin.error());
    if (!rmax) return error_response(rmax.error());
    o.replication_min = *rmin;
    o.replication_max = *rmax;
    o.origins = req.params("origin");
    return on_worker([&registry, name, o] { return reply(registry.push(name, o)); });
  }
  if (op == "verify" && cid && (req.method == "POST" || req.method == "GET"))
    return on_worker([&registry, name, c = *cid] { return reply(registry.verify(name, c)); });
  if (op == "blocks" && cid && req.method == "GET") {
    return on_worker([&registry, name, c = *cid] {
      auto data = registry.block(name, c);
      if (!data) return error_response(data.error());
      http::Response r = http::Response::text(200, std::string(as_chars(*data)), "application/vnd.ipld.raw");
      r.headers = {{"Content-Type", "application/vnd.ipld.raw"}};
      return r;
    });
  }
  if (op == "usage" || op == "pins" || op == "verify" || op == "blocks")
    return json_response(405, {{"error", "method " + req.method + " not allowed on " + req.path}});
  return error_response(Error(Code::kNotFound, "no such endpoint: " + req.path));
}

}  // namespace

void register_api_routes(http::Server& server, Registry& registry, std::map<std::string, BackendOpHandler> more) {
  add(server, "GET", "/backends", false, [&registry](const http::Request&) {
    auto j = registry.backends_json();
    return json_response(200, {{"backends", j ? *j : json::object()}});
  });
  add(server, "GET", "/backends/health", false, [&registry](const http::Request& req) {
    const std::string name = req.param("name").value_or("");
    auto answer = [&registry, name] {
      auto j = registry.backends_json(name);
      if (!j) return error_response(j.error());
      return json_response(200, {{"backends", *j}, {"round", registry.last_round_json()}});
    };
    if (req.param("check").value_or("") != "true") return answer();
    return on_worker([&registry, name, answer] {
      if (!name.empty()) {
        auto known = registry.backends_json(name);
        if (!known) return error_response(known.error());
      }
      registry.check_now(name);
      return answer();
    });
  });
  add(server, "GET", "/health/alerts", false, [&registry](const http::Request&) { return json_response(200, registry.alerts_json()); });
  for (bool start : {true, false}) {
    add(server, "POST", start ? "/backends/start/" : "/backends/stop/", true, [&registry, start](const http::Request& req) {
      std::string name = req.path.substr(std::string_view(start ? "/backends/start/" : "/backends/stop/").size());
      return on_worker([&registry, name, start] {
        auto r = registry.set_running(name, start);
        if (!r) return error_response(r.error());
        return json_response(200, *r);
      });
    });
  }
  add(server, "", "/backends/", true, [&registry, more = std::move(more)](const http::Request& req) {
    if (req.path.rfind("/backends/start/", 0) == 0 || req.path.rfind("/backends/stop/", 0) == 0)
      return json_response(405, {{"error", "use POST"}});
    return backend_call(req, registry, more);
  });
}

}  // namespace ipfskit::backends
