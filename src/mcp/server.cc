#include "mcp/server.h"

#include <openssl/rand.h>

#include <chrono>

#include "base/version.h"
#include "mcp/resources.h"

namespace ipfskit::mcp {

using nlohmann::json;

const std::vector<std::string>& legacy_versions() {
  static const std::vector<std::string> v = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
  return v;
}

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> all = {kModernVersion};
    for (const auto& l : legacy_versions()) all.push_back(l);
    return all;
  }();
  return v;
}

bool is_legacy_version(const std::string& v) {
  for (const auto& l : legacy_versions())
    if (l == v) return true;
  return false;
}

// ---- Outbox ----

bool Outbox::push(json message) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    // A stream nobody drains must not grow without bound: drop the oldest
    // (notifications say "something changed"; a later one says it again).
    if (queue_.size() >= 1024) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(message));
  }
  cv_.notify_one();
  return true;
}

std::deque<json> Outbox::wait(int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return closed_ || !queue_.empty(); });
  std::deque<json> out;
  out.swap(queue_);
  return out;
}

void Outbox::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool Outbox::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

// ---- helpers ----

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string random_id() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // OpenSSL's generator does not fail once seeded; fall back to the clock
    // rather than crash (the id is still unguessable enough with the pid mix).
    uint64_t t = static_cast<uint64_t>(now_ms());
    for (size_t i = 0; i < sizeof b; ++i) b[i] = static_cast<unsigned char>(t >> ((i % 8) * 8));
  }
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

RpcError invalid_params(std::string message) { return RpcError{rpc::kInvalidParams, std::move(message), nullptr}; }

const json* find_meta(const json& params) {
  if (!params.is_object()) return nullptr;
  auto it = params.find("_meta");
  return it != params.end() && it->is_object() ? &*it : nullptr;
}

// A page of a fixed array.
Result<json> page_array(const json& all, const json& params, const char* what, size_t page, const char* field) {
  uint64_t offset = 0;
  if (params.is_object() && params.contains("cursor")) {
    if (!params["cursor"].is_string()) return invalid_argument("cursor must be a string");
    offset = TRY(decode_cursor(what, params["cursor"].get<std::string>()));
  }
  json out{{field, json::array()}};
  for (uint64_t i = offset; i < all.size() && out[field].size() < page; ++i) out[field].push_back(all[i]);
  if (offset + page < all.size()) out["nextCursor"] = encode_cursor(what, offset + page);
  return out;
}

json error_response(const json& id, const RpcError& e) { return make_error(id, e); }

const char* const kLogLevels[] = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};

}  // namespace

// ---- Server ----

Server::Server(api::Client& client, ServerOptions options) : client_(client), options_(std::move(options)) {
  health_thread_ = std::thread([this] { watch_health(); });
}

Server::~Server() { shutdown(); }

void Server::shutdown() {
  {
    std::lock_guard lock(health_mu_);
    if (stopping_ && !health_thread_.joinable()) return;
    stopping_ = true;
  }
  health_cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    std::lock_guard lock(subs_mu_);
    subs.swap(subs_);
  }
  for (auto& s : subs) {
    // Graceful end: the listen request's result, then the stream closes.
    s->outbox->push(make_result(
        s->id, json{{"resultType", "complete"}, {"_meta", {{"io.modelcontextprotocol/subscriptionId", s->id}}}}));
    s->outbox->close();
  }
  std::lock_guard lock(sessions_mu_);
  for (auto& [id, session] : sessions_) {
    std::lock_guard sl(session->mu);
    if (session->standalone) session->standalone->close();
    for (auto& [rid, token] : session->in_flight) token->cancel();
  }
}

bool Server::has_modern_meta(const json& params) {
  const json* meta = find_meta(params);
  return meta != nullptr && meta->contains("io.modelcontextprotocol/protocolVersion");
}

std::optional<RpcError> Server::check_modern_meta(const json& params) const {
  const json* meta = find_meta(params);
  if (meta == nullptr) return invalid_params("params._meta is required in protocol version 2026-07-28");
  auto v = meta->find("io.modelcontextprotocol/protocolVersion");
  if (v == meta->end() || !v->is_string())
    return invalid_params("params._meta[\"io.modelcontextprotocol/protocolVersion\"] must be a string");
  if (v->get_ref<const std::string&>() != kModernVersion)
    return RpcError{rpc::kUnsupportedProtocolVersion, "Unsupported protocol version",
                    json{{"supported", json::array({kModernVersion})}, {"requested", *v}}};
  auto caps = meta->find("io.modelcontextprotocol/clientCapabilities");
  if (caps == meta->end() || !caps->is_object())
    return invalid_params("params._meta[\"io.modelcontextprotocol/clientCapabilities\"] must be an object");
  if (auto info = meta->find("io.modelcontextprotocol/clientInfo"); info != meta->end() && !info->is_object())
    return invalid_params("params._meta[\"io.modelcontextprotocol/clientInfo\"] must be an object");
  if (auto pt = meta->find("progressToken"); pt != meta->end() && !pt->is_string() && !pt->is_number_integer())
    return invalid_params("params._meta.progressToken must be a string or an integer");
  return std::nullopt;
}

json Server::server_info() const {
  return json{{"name", options_.name}, {"title", options_.title}, {"version", kVersion},
              {"description", "ipfs-kit: an embedded IPFS node with Kubo-identical CIDs, named pins and a managing daemon"}};
}

json Server::capabilities(bool modern) const {
  json caps{{"tools", {{"listChanged", false}}}, {"resources", {{"subscribe", true}, {"listChanged", true}}}};
  // Logging is deprecated in 2026-07-28 (per-request logLevel); the legacy
  // era's logging/setLevel is accepted.
  if (!modern) caps["logging"] = json::object();
  return caps;
}

static const char* kInstructions =
    "ipfs-kit manages an IPFS repository: add content (add), read it (cat, ls, stat, resources ipfs://CID/path), pin "
    "it (pin_add, pin_ls, pin_rm) and run the daemon's backends and replication (health, backend_list, "
    "replication_status). CIDs are Kubo's. Lists are paged: pass nextCursor back as cursor.";

void Server::decorate_result(json& result, const std::string& method, bool modern) const {
  if (!modern) return;
  result["resultType"] = "complete";
  result["_meta"]["io.modelcontextprotocol/serverInfo"] = server_info();
  // CacheableResult (2026-07-28): freshness hints.
  if (method == "tools/list" || method == "resources/templates/list" || method == "server/discover") {
    result["ttlMs"] = 3600 * 1000;
    result["cacheScope"] = "public";
  } else if (method == "resources/list") {
    result["ttlMs"] = 0;
    result["cacheScope"] = "private";
  }
}

json Server::handle_request(const Message& m, RequestContext& ctx) {
  if (!ctx.cancel) ctx.cancel = std::make_shared<CancelToken>();
  if (ctx.session) ctx.session->last_used_ms = now_ms();
  return dispatch(m, ctx);
}

json Server::dispatch(const Message& m, RequestContext& ctx) {
  const std::string& method = m.method;
  const json params = m.params.is_null() ? json::object() : m.params;
  auto fail = [&](const RpcError& e) { return error_response(m.id, e); };
  auto from = [&](const Error& e) { return fail(to_rpc_error(e)); };
  auto ok = [&](json result) {
    decorate_result(result, method, ctx.modern);
    return make_result(m.id, std::move(result));
  };

  if (ctx.modern) {
    if (auto e = check_modern_meta(params)) return fail(*e);
    if (method == "initialize" || method == "ping" || method == "logging/setLevel" || method == "resources/subscribe" ||
        method == "resources/unsubscribe")
      return fail(RpcError{rpc::kMethodNotFound,
                           "Method not found: " + method + " is not part of protocol version 2026-07-28 (supported: " +
                               "2026-07-28 statelessly, or 2025-11-25 and earlier after initialize)",
                           nullptr});
    if (method == "server/discover") {
      json r{{"supportedVersions", supported_versions()}, {"capabilities", capabilities(true)}, {"instructions", kInstructions}};
      return ok(std::move(r));
    }
  } else {
    if (method == "initialize") {
      auto r = do_initialize(params, ctx);
      if (!r) return fail(invalid_params(r.error().message()));
      return make_result(m.id, std::move(*r));
    }
    if (method == "ping") return make_result(m.id, json::object());
    if (method == "server/discover")
      return fail(invalid_params("server/discover needs params._meta with io.modelcontextprotocol/protocolVersion 2026-07-28"));
    if (ctx.session && !ctx.session->initialized && method != "logging/setLevel") {
      // Requests before notifications/initialized are tolerated (clients
      // pipeline them); only an uninitialized session without a version is refused.
      if (ctx.session->protocol_version.empty())
        return fail(RpcError{rpc::kInvalidRequest, "send initialize first", nullptr});
    }
    if (method == "logging/setLevel") {
      auto lv = params.find("level");
      bool valid = lv != params.end() && lv->is_string();
      if (valid) {
        valid = false;
        for (const char* l : kLogLevels) valid = valid || lv->get<std::string>() == l;
      }
      if (!valid) return fail(invalid_params("level must be one of debug, info, notice, warning, error, critical, alert, emergency"));
      if (ctx.session) {
        std::lock_guard lock(ctx.session->mu);
        ctx.session->log_level = lv->get<std::string>();
      }
      return make_result(m.id, json::object());
    }
    if (method == "resources/subscribe" || method == "resources/unsubscribe") {
      auto uri = params.find("uri");
      if (uri == params.end() || !uri->is_string() || uri->get_ref<const std::string&>().empty())
        return fail(invalid_params("uri must be a non-empty string"));
      if (!ctx.session) return fail(RpcError{rpc::kInvalidRequest, "subscriptions need a session (initialize first)", nullptr});
      std::lock_guard lock(ctx.session->mu);
      if (method == "resources/subscribe") ctx.session->subscriptions.insert(uri->get<std::string>());
      else ctx.session->subscriptions.erase(uri->get<std::string>());
      return make_result(m.id, json::object());
    }
  }

  if (method == "tools/list") {
    static const json all = [] {
      json a = json::array();
      for (const Tool& t : tool_table()) a.push_back(describe_tool(t));
      return a;
    }();
    auto page = page_array(all, params, "tools", options_.policy.default_page, "tools");
    if (!page) return from(page.error());
    return ok(std::move(*page));
  }
  if (method == "tools/call") {
    auto r = do_tools_call(params, ctx);
    if (!r) return from(r.error());
    return ok(std::move(*r));
  }
  if (method == "resources/list") {
    std::optional<std::string> cursor;
    if (params.contains("cursor")) {
      if (!params["cursor"].is_string()) return fail(invalid_params("cursor must be a string"));
      cursor = params["cursor"].get<std::string>();
    }
    auto page = list_resources(client_, options_.policy, cursor);
    if (!page) return from(page.error());
    json r{{"resources", std::move(page->resources)}};
    if (page->next_cursor) r["nextCursor"] = *page->next_cursor;
    return ok(std::move(r));
  }
  if (method == "resources/templates/list") {
    auto page = page_array(resource_templates(), params, "templates", options_.policy.default_page, "resourceTemplates");
    if (!page) return from(page.error());
    return ok(std::move(*page));
  }
  if (method == "resources/read") {
    auto uri = params.find("uri");
    if (uri == params.end() || !uri->is_string()) return fail(invalid_params("uri must be a string"));
    auto contents = read_resource(client_, options_.policy, uri->get<std::string>());
    if (!contents) {
      const Error& e = contents.error();
      if (e.code() == Code::kNotFound) {
        // 2025-11-25 and earlier: -32002; 2026-07-28: -32602.
        return fail(RpcError{ctx.modern ? rpc::kInvalidParams : rpc::kResourceNotFoundLegacy,
                             "Resource not found: " + e.message(), json{{"uri", *uri}}});
      }
      return from(e);
    }
    json r{{"contents", std::move(*contents)}};
    if (ctx.modern) {
      const bool immutable = uri->get_ref<const std::string&>().rfind("ipfs://", 0) == 0;
      decorate_result(r, method, true);
      r["ttlMs"] = immutable ? 86400 * 1000 : 0;
      r["cacheScope"] = "private";
      return make_result(m.id, std::move(r));
    }
    return make_result(m.id, std::move(r));
  }
  return fail(RpcError{rpc::kMethodNotFound, "Method not found: " + method, nullptr});
}

Result<json> Server::do_initialize(const json& params, RequestContext& ctx) {
  auto v = params.find("protocolVersion");
  if (v == params.end() || !v->is_string()) return invalid_argument("initialize needs params.protocolVersion (a string)");
  std::string requested = v->get<std::string>();
  std::string version = is_legacy_version(requested) ? requested : legacy_versions().front();
  if (ctx.session) {
    ctx.session->protocol_version = version;
    if (auto ci = params.find("clientInfo"); ci != params.end()) ctx.session->client_info = *ci;
    if (auto cc = params.find("capabilities"); cc != params.end()) ctx.session->client_capabilities = *cc;
  }
  ctx.protocol_version = version;
  json info = server_info();
  if (version < "2025-06-18") info.erase("title");
  if (version < "2025-11-25") info.erase("description");
  return json{{"protocolVersion", version},
              {"capabilities", capabilities(false)},
              {"serverInfo", std::move(info)},
              {"instructions", kInstructions}};
}

Result<json> Server::do_tools_call(const json& params, RequestContext& ctx) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) return invalid_argument("tools/call needs params.name (a string)");
  const Tool* tool = find_tool(name->get<std::string>());
  if (tool == nullptr)
    return invalid_argument("Unknown tool: " + name->get<std::string>() + " (tools/list names them)");
  json args = json::object();
  if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
    if (!a->is_object()) return invalid_argument("tools/call params.arguments must be an object");
    args = *a;
  }
  ToolEnv env;
  env.client = &client_;
  env.policy = &options_.policy;
  env.cancel = ctx.cancel.get();
  json token;
  if (const json* meta = find_meta(params); meta != nullptr && meta->contains("progressToken")) token = (*meta)["progressToken"];
  if (!token.is_null() && (token.is_string() || token.is_number_integer()) && ctx.notify) {
    // Tools may report from worker threads (an add's hashing): one at a time.
    struct Reporter {
      std::mutex mu;
      double last = -1;
      int64_t last_sent = 0;
    };
    auto state = std::make_shared<Reporter>();
    auto notify = ctx.notify;
    env.progress = [token, state, notify](double progress, std::optional<double> total, const std::string& message) {
      std::lock_guard lock(state->mu);
      // Progress must increase; at most ~20 notifications a second unless finished.
      if (progress <= state->last) return;
      const int64_t t = now_ms();
      const bool finished = total && progress >= *total;
      if (!finished && state->last >= 0 && t - state->last_sent < 50) return;
      state->last = progress;
      state->last_sent = t;
      json p{{"progressToken", token}, {"progress", progress}};
      if (total) p["total"] = *total;
      if (!message.empty()) p["message"] = message;
      notify(make_notification("notifications/progress", std::move(p)));
    };
  }
  return call_tool(*tool, args, env);
}

void Server::handle_notification(const Message& note, const std::shared_ptr<Session>& session) {
  if (note.method == "notifications/initialized") {
    if (session) session->initialized = true;
    return;
  }
  if (note.method == "notifications/cancelled") {
    if (!session || !note.params.is_object()) return;
    auto id = note.params.find("requestId");
    if (id == note.params.end()) return;
    std::lock_guard lock(session->mu);
    if (auto it = session->in_flight.find(id->dump()); it != session->in_flight.end()) it->second->cancel();
    return;
  }
  // Others (roots/list_changed, progress from the client) need no action.
}

// ---- sessions ----

std::shared_ptr<Session> Server::create_session() {
  auto s = std::make_shared<Session>();
  s->id = random_id();
  s->last_used_ms = now_ms();
  std::lock_guard lock(sessions_mu_);
  // Bound the table: idle sessions (an hour without a request and no open
  // stream) are forgotten first.
  if (sessions_.size() >= 1024) {
    const int64_t cutoff = now_ms() - 3600 * 1000;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      std::lock_guard sl(it->second->mu);
      if (it->second->last_used_ms < cutoff && !it->second->standalone) it = sessions_.erase(it);
      else ++it;
    }
  }
  sessions_[s->id] = s;
  return s;
}

std::shared_ptr<Session> Server::find_session(const std::string& id) {
  std::lock_guard lock(sessions_mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

bool Server::remove_session(const std::string& id) {
  std::shared_ptr<Session> s;
  {
    std::lock_guard lock(sessions_mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    s = it->second;
    sessions_.erase(it);
  }
  std::lock_guard sl(s->mu);
  if (s->standalone) s->standalone->close();
  for (auto& [rid, token] : s->in_flight) token->cancel();
  return true;
}

size_t Server::session_count() {
  std::lock_guard lock(sessions_mu_);
  return sessions_.size();
}

// ---- subscriptions ----

Result<std::shared_ptr<Server::Subscription>> Server::listen(const Message& request) {
  const json& params = request.params;
  auto n = params.is_object() ? params.find("notifications") : params.end();
  if (!params.is_object() || n == params.end() || !n->is_object())
    return invalid_argument("subscriptions/listen needs params.notifications (an object)");
  auto sub = std::make_shared<Subscription>();
  sub->id = request.id;
  sub->outbox = std::make_shared<Outbox>();
  json acknowledged = json::object();
  if (auto t = n->find("toolsListChanged"); t != n->end()) {
    if (!t->is_boolean()) return invalid_argument("notifications.toolsListChanged must be a boolean");
    // The tool list never changes while we run: nothing to send, but the
    // request is honoured.
    sub->tools_list = t->get<bool>();
    if (sub->tools_list) acknowledged["toolsListChanged"] = true;
  }
  if (auto r = n->find("resourcesListChanged"); r != n->end()) {
    if (!r->is_boolean()) return invalid_argument("notifications.resourcesListChanged must be a boolean");
    sub->resources_list = r->get<bool>();
    if (sub->resources_list) acknowledged["resourcesListChanged"] = true;
  }
  if (auto p = n->find("promptsListChanged"); p != n->end() && !p->is_boolean())
    return invalid_argument("notifications.promptsListChanged must be a boolean");
  // (No prompts: promptsListChanged is left out of the acknowledgement.)
  if (auto rs = n->find("resourceSubscriptions"); rs != n->end()) {
    if (!rs->is_array() || rs->size() > 1000) return invalid_argument("notifications.resourceSubscriptions must be an array of URIs");
    json uris = json::array();
    for (const auto& u : *rs) {
      if (!u.is_string()) return invalid_argument("notifications.resourceSubscriptions must hold strings");
      sub->resources.insert(u.get<std::string>());
      uris.push_back(u);
    }
    acknowledged["resourceSubscriptions"] = std::move(uris);
  }
  sub->outbox->push(make_notification(
      "notifications/subscriptions/acknowledged",
      json{{"_meta", {{"io.modelcontextprotocol/subscriptionId", sub->id}}}, {"notifications", std::move(acknowledged)}}));
  {
    std::lock_guard lock(subs_mu_);
    if (stopping_) return make_error(Code::kUnavailable, "the server is shutting down");
    subs_.push_back(sub);
  }
  health_cv_.notify_all();
  return sub;
}

void Server::unlisten(const std::shared_ptr<Subscription>& sub) {
  std::lock_guard lock(subs_mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
  sub->outbox->close();
}

void Server::notify_resource_updated(const std::string& uri) {
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [id, s] : sessions_) {
      std::lock_guard sl(s->mu);
      if (s->standalone && s->subscriptions.count(uri))
        s->standalone->push(make_notification("notifications/resources/updated", json{{"uri", uri}}));
    }
  }
  std::lock_guard lock(subs_mu_);
  for (auto& sub : subs_)
    if (sub->resources.count(uri))
      sub->outbox->push(make_notification("notifications/resources/updated",
                                          json{{"_meta", {{"io.modelcontextprotocol/subscriptionId", sub->id}}}, {"uri", uri}}));
}

void Server::notify_resources_list_changed() {
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [id, s] : sessions_) {
      std::lock_guard sl(s->mu);
      if (s->standalone) s->standalone->push(make_notification("notifications/resources/list_changed", nullptr));
    }
  }
  std::lock_guard lock(subs_mu_);
  for (auto& sub : subs_)
    if (sub->resources_list)
      sub->outbox->push(make_notification("notifications/resources/list_changed",
                                          json{{"_meta", {{"io.modelcontextprotocol/subscriptionId", sub->id}}}}));
}

void Server::poll_health_now() {
  // Backend health: a change of any backend's health string.
  auto backends = client_.backends(false);
  json now = json::object();
  if (backends && backends->is_object())
    for (auto it = backends->begin(); it != backends->end(); ++it)
      now[it.key()] = it.value().is_object() ? it.value().value("health", json("unknown")) : json("unknown");
  json previous;
  std::optional<uint64_t> pins_before;
  std::optional<uint64_t> pins_now;
  if (auto st = client_.repo_stat()) pins_now = st->pins;
  {
    std::lock_guard lock(health_mu_);
    previous = last_health_;
    last_health_ = now;
    pins_before = last_pin_count_;
    last_pin_count_ = pins_now;
  }
  if (!previous.is_null() && previous != now) {
    notify_resource_updated("ipfs-kit://backends");
    notify_resource_updated("ipfs-kit://status");
    for (auto it = now.begin(); it != now.end(); ++it)
      if (!previous.contains(it.key()) || previous[it.key()] != it.value())
        notify_resource_updated("ipfs-kit://backends/" + it.key());
    for (auto it = previous.begin(); it != previous.end(); ++it)
      if (!now.contains(it.key())) notify_resource_updated("ipfs-kit://backends/" + it.key());
  }
  if (pins_before && pins_now && *pins_before != *pins_now) notify_resources_list_changed();
}

void Server::watch_health() {
  std::unique_lock lock(health_mu_);
  while (!stopping_) {
    health_cv_.wait_for(lock, std::chrono::milliseconds(options_.health_poll_ms), [&] { return stopping_.load(); });
    if (stopping_) break;
    // Only look when someone listens.
    bool listeners = false;
    lock.unlock();
    {
      std::lock_guard sl(subs_mu_);
      listeners = !subs_.empty();
    }
    if (!listeners) {
      std::lock_guard sl(sessions_mu_);
      for (auto& [id, s] : sessions_) {
        std::lock_guard l2(s->mu);
        listeners = listeners || s->standalone != nullptr;
      }
    }
    if (listeners) poll_health_now();
    lock.lock();
  }
}

}  // namespace ipfskit::mcp
