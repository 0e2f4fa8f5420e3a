#include "mcp/listener.h"

#include <strings.h>

#include <chrono>
#include <thread>

#include "base/ascii.h"
#include "base/version.h"
#include "mcp/json_schema.h"
#include "mcp/tools_util.h"

namespace ipfskit::mcp {

using nlohmann::json;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Equal strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Splits "host:port" / "[v6]:port" / "host".
std::pair<std::string, std::string> split_hostport(std::string_view hp) {
  if (!hp.empty() && hp[0] == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos) return {std::string(hp), ""};
    std::string host(hp.substr(0, close + 1));
    if (close + 1 < hp.size() && hp[close + 1] == ':') return {host, std::string(hp.substr(close + 2))};
    return {host, ""};
  }
  auto colon = hp.rfind(':');
  if (colon == std::string_view::npos) return {std::string(hp), ""};
  return {std::string(hp.substr(0, colon)), std::string(hp.substr(colon + 1))};
}

bool is_loopback_host(const std::string& h) {
  return h == "127.0.0.1" || h == "localhost" || h == "[::1]" || h == "::1" || h.rfind("127.", 0) == 0;
}

http::Response json_response(int status, const json& body, Headers extra = {}) {
  http::Response r = http::Response::json(status, dump(body) + "\n");
  for (auto& h : extra) r.headers.push_back(std::move(h));
  return r;
}

json rpc_error_body(const json& id, int code, std::string message, json data = nullptr) {
  return make_error(id, RpcError{code, std::move(message), std::move(data)});
}

// Writes a whole JSON response on an exchange.
void send_json(http::Exchange& ex, int status, const json& body, Headers headers = {}) {
  std::string text = dump(body) + "\n";
  headers.emplace_back("Content-Type", "application/json");
  headers.emplace_back("Cache-Control", "no-store");
  if (ex.begin(status, headers, text.size())) (void)ex.write(as_bytes(text));
}

void send_empty(http::Exchange& ex, int status, Headers headers = {}) { (void)ex.begin(status, headers, 0); }

// The HTTP status of a JSON-RPC error answer (2026-07-28 transport: 400 for
// header and version errors, 404 for unknown methods).
int status_for_error(int code, bool modern) {
  switch (code) {
    case rpc::kParseError:
    case rpc::kInvalidRequest:
    case rpc::kHeaderMismatch:
    case rpc::kUnsupportedProtocolVersion:
    case rpc::kMissingClientCapability:
      return 400;
    case rpc::kMethodNotFound:
      return modern ? 404 : 200;
    default:
      return 200;
  }
}

// An event stream on an exchange.
class EventStream {
 public:
  explicit EventStream(http::Exchange& ex) : ex_(ex) {}
  bool begin(Headers headers) {
    headers.emplace_back("Content-Type", "text/event-stream");
    headers.emplace_back("Cache-Control", "no-cache, no-transform");
    headers.emplace_back("X-Accel-Buffering", "no");
    ok_ = static_cast<bool>(ex_.begin(200, headers, std::nullopt));
    return ok_;
  }
  bool send(const json& message) {
    std::lock_guard lock(mu_);
    if (!ok_) return false;
    std::string event = "event: message\ndata: " + dump(message) + "\n\n";
    ok_ = static_cast<bool>(ex_.write(as_bytes(event)));
    return ok_;
  }
  bool comment() {
    std::lock_guard lock(mu_);
    if (!ok_) return false;
    ok_ = static_cast<bool>(ex_.write(as_bytes(std::string_view(":\n\n"))));
    return ok_;
  }
  bool ok() {
    std::lock_guard lock(mu_);
    return ok_;
  }

 private:
  http::Exchange& ex_;
  std::mutex mu_;
  bool ok_ = false;
};

// Watches a connection while a request runs: when the client goes away,
// the request's token is cancelled (2026-07-28: a closed stream is the
// cancellation; 2025-11-25 clients send notifications/cancelled instead,
// and cancelling work nobody will read is right there too).
class DisconnectWatch {
 public:
  DisconnectWatch(http::Exchange& ex, std::shared_ptr<CancelToken> token) {
    thread_ = std::thread([this, &ex, token] {
      std::unique_lock lock(mu_);
      while (!done_) {
        cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return done_; });
        if (done_) break;
        if (ex.peer_closed()) {
          token->cancel();
          break;
        }
      }
    });
  }
  ~DisconnectWatch() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

bool accepts(const http::Request& req, std::string_view type) {
  auto a = req.header("accept");
  if (!a) return false;
  std::string v = ascii_lower(*a);
  return v.find(type) != std::string::npos || v.find("*/*") != std::string::npos;
}

// Mcp-Name values may be "=?base64?...?=" (2026-07-28 Value Encoding).
std::optional<std::string> decode_header_value(const std::string& v) {
  const std::string pre = "=?base64?", post = "?=";
  if (v.size() >= pre.size() + post.size() && v.compare(0, pre.size(), pre) == 0 &&
      v.compare(v.size() - post.size(), post.size(), post) == 0) {
    auto bytes = base64_decode(std::string_view(v).substr(pre.size(), v.size() - pre.size() - post.size()));
    if (!bytes) return std::nullopt;
    return std::string(bytes->begin(), bytes->end());
  }
  for (unsigned char c : v)
    if (c < 0x20 && c != '\t') return std::nullopt;
  return v;
}

// Reads a request body up to `limit`; nullopt when it is larger.
Result<std::optional<std::string>> read_body(http::Exchange& ex, size_t limit) {
  std::string body;
  uint8_t buf[65536];
  for (;;) {
    size_t n = TRY(ex.body().read(buf, sizeof buf));
    if (n == 0) break;
    if (body.size() + n > limit) return std::optional<std::string>();
    body.append(reinterpret_cast<const char*>(buf), n);
  }
  return std::optional<std::string>(std::move(body));
}

class McpEndpoint {
 public:
  McpEndpoint(Server& mcp, std::shared_ptr<std::atomic<int>> streams, int max_streams)
      : mcp_(mcp), streams_(std::move(streams)), max_streams_(max_streams) {}

  void post(http::Exchange& ex) {
    const http::Request& req = ex.request();
    auto ct = req.header("content-type");
    if (!ct || ascii_lower(*ct).find("application/json") == std::string::npos)
      return send_json(ex, 415, rpc_error_body(nullptr, rpc::kInvalidRequest, "Unsupported Media Type: Content-Type must be application/json"));
    if (!accepts(req, "application/json") || !accepts(req, "text/event-stream"))
      return send_json(ex, 406, rpc_error_body(nullptr, rpc::kInvalidRequest,
                                               "Not Acceptable: Accept must list application/json and text/event-stream"));
    auto body = read_body(ex, kMaxMessageBytes);
    if (!body)
      return send_json(ex, body.error().code() == Code::kResourceExhausted ? 413 : 400,
                       rpc_error_body(nullptr, rpc::kInvalidRequest, body.error().message()));
    if (!*body)
      return send_json(ex, 413, rpc_error_body(nullptr, rpc::kInvalidRequest,
                                               "message too large (limit " + std::to_string(kMaxMessageBytes) + " bytes)"));
    auto parsed = parse_message(**body);
    if (!parsed) {
      const int status = parsed.error().error.code == rpc::kParseError ? 400 : 400;
      return send_json(ex, status, make_error(parsed.error().id, parsed.error().error));
    }
    Message& m = *parsed;
    const auto version_header = req.header("mcp-protocol-version");
    const auto session_header = req.header("mcp-session-id");
    const bool modern = (m.kind != Message::Kind::kResponse && Server::has_modern_meta(m.params)) ||
                        (!session_header && version_header && *version_header == kModernVersion);
    if (modern) return post_modern(ex, m, version_header);
    return post_legacy(ex, m, version_header, session_header);
  }

  void get(http::Exchange& ex) {
    const http::Request& req = ex.request();
    auto version = req.header("mcp-protocol-version");
    if (version && *version == kModernVersion)
      return send_json(ex, 405, rpc_error_body(nullptr, rpc::kInvalidRequest,
                                               "Method Not Allowed: 2026-07-28 has no GET stream; use subscriptions/listen"),
                       {{"Allow", "POST"}});
    if (!accepts(req, "text/event-stream"))
      return send_json(ex, 406, rpc_error_body(nullptr, rpc::kInvalidRequest, "Not Acceptable: Accept must list text/event-stream"));
    auto session = session_of(ex, req.header("mcp-session-id"));
    if (!session) return;
    std::shared_ptr<Outbox> outbox = std::make_shared<Outbox>();
    {
      std::lock_guard lock(session->mu);
      if (session->standalone && !session->standalone->closed())
        return send_json(ex, 409, rpc_error_body(nullptr, rpc::kInvalidRequest,
                                                 "Conflict: this session already has an open GET stream"));
      session->standalone = outbox;
    }
    StreamSlot slot(*this);
    if (!slot.ok()) {
      std::lock_guard lock(session->mu);
      session->standalone.reset();
      return send_json(ex, 503, rpc_error_body(nullptr, rpc::kServerError, "too many open streams; try again later"),
                       {{"Retry-After", "5"}});
    }
    EventStream es(ex);
    if (es.begin({{"Mcp-Session-Id", session->id}})) {
      es.comment();
      drain(ex, es, *outbox);
    }
    std::lock_guard lock(session->mu);
    if (session->standalone == outbox) session->standalone.reset();
    outbox->close();
  }

  void del(http::Exchange& ex) {
    const http::Request& req = ex.request();
    auto version = req.header("mcp-protocol-version");
    if (version && *version == kModernVersion)
      return send_json(ex, 405, rpc_error_body(nullptr, rpc::kInvalidRequest, "Method Not Allowed: 2026-07-28 has no sessions"),
                       {{"Allow", "POST"}});
    auto session = session_of(ex, req.header("mcp-session-id"));
    if (!session) return;
    mcp_.remove_session(session->id);
    send_empty(ex, 200);
  }

 private:
  // Holds one of the bounded event-stream places.
  class StreamSlot {
   public:
    explicit StreamSlot(McpEndpoint& e) : e_(e) { ok_ = ++*e_.streams_ <= e_.max_streams_; }
    ~StreamSlot() { --*e_.streams_; }
    bool ok() const { return ok_; }

   private:
    McpEndpoint& e_;
    bool ok_;
  };

  // Sends what an outbox holds until the client leaves or the box closes.
  void drain(http::Exchange& ex, EventStream& es, Outbox& outbox) {
    int64_t last_write = now_ms();
    for (;;) {
      auto batch = outbox.wait(500);
      for (auto& msg : batch) {
        if (!es.send(msg)) return;
        last_write = now_ms();
      }
      if (batch.empty() && outbox.closed()) return;
      if (ex.peer_closed()) return;
      if (now_ms() - last_write > 15000) {
        if (!es.comment()) return;
        last_write = now_ms();
      }
    }
  }

  std::shared_ptr<Session> session_of(http::Exchange& ex, const std::optional<std::string>& id) {
    if (!id || id->empty()) {
      send_json(ex, 400, rpc_error_body(nullptr, rpc::kServerError, "Bad Request: Mcp-Session-Id header is required (send initialize first)"));
      return nullptr;
    }
    auto s = mcp_.find_session(*id);
    if (!s) send_json(ex, 404, rpc_error_body(nullptr, rpc::kSessionNotFound, "Session not found: initialize again"));
    return s;
  }

  void post_modern(http::Exchange& ex, Message& m, const std::optional<std::string>& version_header) {
    const http::Request& req = ex.request();
    auto mismatch = [&](std::string message) {
      send_json(ex, 400, rpc_error_body(m.id, rpc::kHeaderMismatch, "Header mismatch: " + message));
    };
    if (m.kind == Message::Kind::kResponse)
      return send_json(ex, 400, rpc_error_body(nullptr, rpc::kInvalidRequest, "2026-07-28 clients send no responses"));
    if (!version_header) return mismatch("the MCP-Protocol-Version header is required");
    const json* meta = m.params.is_object() && m.params.contains("_meta") && m.params["_meta"].is_object() ? &m.params["_meta"] : nullptr;
    const json body_version = meta ? meta->value("io.modelcontextprotocol/protocolVersion", json()) : json();
    if (*version_header != kModernVersion && !is_legacy_version(*version_header))
      return send_json(ex, 400, rpc_error_body(m.id, rpc::kUnsupportedProtocolVersion, "Unsupported protocol version",
                                               json{{"supported", supported_versions()}, {"requested", *version_header}}));
    if (body_version.is_string() && body_version.get<std::string>() != *version_header)
      return mismatch("MCP-Protocol-Version header value '" + *version_header + "' does not match body value '" +
                      body_version.get<std::string>() + "'");
    auto method_header = req.header("mcp-method");
    if (!method_header) return mismatch("the Mcp-Method header is required");
    if (*method_header != m.method)
      return mismatch("Mcp-Method header value '" + *method_header + "' does not match body value '" + m.method + "'");
    if (m.method == "tools/call" || m.method == "resources/read" || m.method == "prompts/get") {
      const char* field = m.method == "resources/read" ? "uri" : "name";
      json body_name = m.params.is_object() ? m.params.value(field, json()) : json();
      auto name_header = req.header("mcp-name");
      if (!name_header) return mismatch("the Mcp-Name header is required for " + m.method);
      auto decoded = decode_header_value(*name_header);
      if (!decoded) return mismatch("the Mcp-Name header value is malformed");
      if (!body_name.is_string() || body_name.get<std::string>() != *decoded)
        return mismatch("Mcp-Name header value '" + *decoded + "' does not match body value '" +
                        (body_name.is_string() ? body_name.get<std::string>() : body_name.dump()) + "'");
    }
    if (m.kind == Message::Kind::kNotification) return send_empty(ex, 202);

    RequestContext ctx;
    ctx.modern = true;
    ctx.protocol_version = kModernVersion;
    ctx.cancel = std::make_shared<CancelToken>();
    if (m.method == "subscriptions/listen") return listen(ex, m, ctx);
    run_request(ex, m, ctx, {});
  }

  void post_legacy(http::Exchange& ex, Message& m, const std::optional<std::string>& version_header,
                   const std::optional<std::string>& session_header) {
    if (version_header && !is_legacy_version(*version_header) && *version_header != kModernVersion)
      return send_json(ex, 400, rpc_error_body(m.id, rpc::kServerError,
                                               "Bad Request: unsupported MCP-Protocol-Version '" + *version_header +
                                                   "' (supported: 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26)"));
    if (m.kind == Message::Kind::kRequest && m.method == "initialize") {
      if (session_header)
        return send_json(ex, 400, rpc_error_body(m.id, rpc::kInvalidRequest,
                                                 "Invalid Request: initialize opens a new session; send it without Mcp-Session-Id"));
      auto session = mcp_.create_session();
      RequestContext ctx;
      ctx.session = session;
      json response = mcp_.handle_request(m, ctx);
      if (response.contains("error")) {
        mcp_.remove_session(session->id);
        return send_json(ex, 400, response);
      }
      return send_json(ex, 200, response, {{"Mcp-Session-Id", session->id}});
    }
    auto session = session_of(ex, session_header);
    if (!session) return;
    if (m.kind != Message::Kind::kRequest) {
      if (m.kind == Message::Kind::kNotification) mcp_.handle_notification(m, session);
      return send_empty(ex, 202);
    }
    RequestContext ctx;
    ctx.session = session;
    ctx.protocol_version = session->protocol_version;
    ctx.cancel = std::make_shared<CancelToken>();
    const std::string key = m.id.dump();
    {
      std::lock_guard lock(session->mu);
      session->in_flight[key] = ctx.cancel;
    }
    run_request(ex, m, ctx, {{"Mcp-Session-Id", session->id}});
    std::lock_guard lock(session->mu);
    session->in_flight.erase(key);
  }

  // Answers a request as JSON, or as an event stream when it asked for
  // progress (notifications can then precede the result).
  void run_request(http::Exchange& ex, const Message& m, RequestContext& ctx, Headers headers) {
    const bool wants_progress = m.params.is_object() && m.params.contains("_meta") && m.params["_meta"].is_object() &&
                                m.params["_meta"].contains("progressToken");
    if (!wants_progress) {
      std::optional<DisconnectWatch> watch;
      if (m.method == "tools/call") watch.emplace(ex, ctx.cancel);
      json response = mcp_.handle_request(m, ctx);
      watch.reset();
      if (ctx.cancel->cancelled()) {
        // Cancelled by the client (notifications/cancelled, or it left): it
        // expects no response (both revisions say not to send one), so the
        // POST ends with 202 and no JSON-RPC message.
        if (ex.peer_closed()) return ex.abort();
        return send_empty(ex, 202, std::move(headers));
      }
      int status = 200;
      if (response.contains("error")) status = status_for_error(response["error"].value("code", 0), ctx.modern);
      return send_json(ex, status, response, std::move(headers));
    }
    EventStream es(ex);
    if (!es.begin(std::move(headers))) return;
    ctx.notify = [&es, &ctx](const json& note) {
      if (!es.send(note)) ctx.cancel->cancel();
    };
    DisconnectWatch watch(ex, ctx.cancel);
    json response = mcp_.handle_request(m, ctx);
    ctx.notify = nullptr;
    if (ctx.cancel->cancelled()) {
      // No response for a cancelled request: the stream just ends.
      if (!es.ok() || ex.peer_closed()) return ex.abort();
      return;
    }
    es.send(response);
  }

  void listen(http::Exchange& ex, const Message& m, RequestContext&) {
    StreamSlot slot(*this);
    if (!slot.ok())
      return send_json(ex, 503, rpc_error_body(m.id, rpc::kServerError, "too many open streams; try again later"),
                       {{"Retry-After", "5"}});
    if (auto e = mcp_.check_modern_meta(m.params.is_null() ? json::object() : m.params))
      return send_json(ex, status_for_error(e->code, true), make_error(m.id, *e));
    auto sub = mcp_.listen(m);
    if (!sub) return send_json(ex, 200, make_error(m.id, to_rpc_error(sub.error())));
    EventStream es(ex);
    if (es.begin({})) drain(ex, es, *(*sub)->outbox);
    mcp_.unlisten(*sub);
  }

  Server& mcp_;
  std::shared_ptr<std::atomic<int>> streams_;
  int max_streams_;
};

}  // namespace

void register_mcp_routes(http::Server& http, Server& mcp, std::shared_ptr<std::atomic<int>> open_streams, int max_streams) {
  auto endpoint = std::make_shared<McpEndpoint>(mcp, std::move(open_streams), max_streams);
  http::Route post{"POST", "/mcp", false, nullptr, [endpoint](http::Exchange& ex) { endpoint->post(ex); },
                   kMaxMessageBytes + 1};
  http.add_route(std::move(post));
  http.add_route({"GET", "/mcp", false, nullptr, [endpoint](http::Exchange& ex) { endpoint->get(ex); }, 0});
  http.add_route({"DELETE", "/mcp", false, nullptr, [endpoint](http::Exchange& ex) { endpoint->del(ex); }, 0});
  http.add_route({"", "/mcp", false,
                  [](const http::Request&) {
                    http::Response r = json_response(405, rpc_error_body(nullptr, rpc::kInvalidRequest, "Method Not Allowed"));
                    r.headers.emplace_back("Allow", "GET, POST, DELETE");
                    return r;
                  },
                  nullptr, 0});
}

// ---- the seeds' REST API ----

namespace {

http::Response rest_error(const Error& e) {
  return json_response(http_status(e.code()), json{{"error", e.message()}, {"code", std::string(code_name(e.code()))}});
}

// Runs a tool for a REST route and answers with its structured result.
http::Response via_tool(Server& mcp, const char* name, const json& args) {
  const Tool* tool = find_tool(name);
  if (auto bad = validate_schema(tool->input_schema, args)) return rest_error(Error(Code::kInvalidArgument, *bad));
  ToolEnv env;
  env.client = &mcp.client();
  env.policy = &mcp.options().policy;
  auto r = tool->run(args, env);
  if (!r) return rest_error(r.error());
  return json_response(200, *r);
}

}  // namespace

void register_rest_routes(http::Server& http, Server& mcp) {
  http.add_route({"GET", "/api/health", false,
                  [&mcp](const http::Request&) {
                    api::Client& c = mcp.client();
                    json out{{"version", kVersion}, {"mode", std::string(c.where())}};
                    bool healthy = true;
                    if (auto st = c.repo_stat()) {
                      out["repo"] = {{"blocks", st->blocks}, {"block_bytes", st->block_bytes}, {"pins", st->pins}, {"path", st->path}};
                    } else {
                      healthy = false;
                      out["repo"] = {{"error", st.error().message()}};
                    }
                    if (auto h = c.health()) {
                      out["daemon"] = *h;
                      if (h->is_object() && h->contains("status") && (*h)["status"] != "healthy") healthy = false;
                    } else {
                      out["daemon"] = {{"running", false}, {"error", h.error().message()}};
                    }
                    out["status"] = healthy ? "healthy" : "degraded";
                    return json_response(200, out);
                  },
                  nullptr, 0});
  http.add_route({"GET", "/api/pins", false,
                  [&mcp](const http::Request& req) {
                    json args = json::object();
                    for (const char* k : {"cursor", "name", "cid", "type"})
                      if (auto v = req.param(k)) args[k] = *v;
                    if (auto v = req.param("limit")) {
                      char* end = nullptr;
                      long long n = std::strtoll(v->c_str(), &end, 10);
                      if (v->empty() || *end != '\0') return rest_error(Error(Code::kInvalidArgument, "limit must be a number"));
                      args["limit"] = n;
                    }
                    if (auto v = req.param("metadata")) args["metadata"] = *v == "true" || *v == "1";
                    return via_tool(mcp, "pin_ls", args);
                  },
                  nullptr, 0});
  http.add_route({"", "/api/pins/", true,
                  [&mcp](const http::Request& req) {
                    const std::string cid = req.path.substr(std::string_view("/api/pins/").size());
                    if (cid.empty() || cid.find('/') != std::string::npos)
                      return rest_error(Error(Code::kNotFound, "use /api/pins/<cid>"));
                    if (req.method == "GET") {
                      auto r = via_tool(mcp, "pin_ls", json{{"cid", cid}, {"type", "all"}, {"metadata", true}});
                      if (r.status != 200) return r;
                      json doc = json::parse(r.body, nullptr, false);
                      if (!doc.is_object() || doc["pins"].empty()) return rest_error(Error(Code::kNotFound, cid + " is not pinned"));
                      return json_response(200, doc["pins"][0]);
                    }
                    if (req.method == "POST" || req.method == "DELETE") {
                      json args{{"cids", json::array({cid})}};
                      if (req.method == "POST" && !req.body.empty()) {
                        json body = json::parse(req.body, nullptr, false);
                        if (!body.is_object()) return rest_error(Error(Code::kInvalidArgument, "the body must be a JSON object"));
                        for (const char* k : {"name", "meta", "direct"})
                          if (body.contains(k)) args[k] = body[k];
                      }
                      auto r = via_tool(mcp, req.method == "POST" ? "pin_add" : "pin_rm", args);
                      if (r.status != 200) return r;
                      json doc = json::parse(r.body, nullptr, false);
                      const json& item = doc["results"][0];
                      if (!item.value("ok", false)) {
                        const std::string msg = item.value("error", "failed");
                        return json_response(msg.find("not pinned") != std::string::npos ? 404 : 400,
                                             json{{"error", msg}, {"cid", cid}});
                      }
                      return json_response(200, json{{"cid", cid}, {"pinned", req.method == "POST"}});
                    }
                    http::Response r = json_response(405, json{{"error", "use GET, POST or DELETE"}});
                    r.headers.emplace_back("Allow", "GET, POST, DELETE");
                    return r;
                  },
                  nullptr, 64 * 1024});
}

// ---- Listener ----

Listener::Listener(Server& mcp, ListenerOptions options)
    : mcp_(mcp), o_(std::move(options)), http_(std::make_unique<http::Server>("MCP", o_.limits)),
      open_streams_(std::make_shared<std::atomic<int>>(0)) {
  http_->set_filter([this](const http::Request& req) { return filter(req); });
  register_mcp_routes(*http_, mcp_, open_streams_, static_cast<int>(std::max<size_t>(1, o_.workers / 2)));
  register_rest_routes(*http_, mcp_);
  dashboard_ = dashboard::Dashboard::attach(*http_, mcp_.client(), {o_.token, {}});
}

Listener::~Listener() { stop(); }

Status Listener::listen() {
  auto [host, port] = split_hostport(o_.address);
  loopback_ = is_loopback_host(host);
  unspecified_ = host == "0.0.0.0" || host == "[::]" || host.empty();
  const std::string token = o_.token ? o_.token() : "";
  if (!loopback_ && token.empty())
    return make_error(Code::kPermissionDenied, "refusing to serve MCP on " + o_.address +
                                                   " (not loopback) without a token: set daemon.api_token");
  TRY_STATUS(http_->listen(o_.address));
  bound_host_ = ascii_lower(host);
  port_ = http_->port();
  return {};
}

void Listener::start() { http_->start(o_.io_threads, o_.workers); }

void Listener::stop() {
  if (dashboard_) dashboard_->stop();
  if (http_) http_->stop(2);
}

bool Listener::host_allowed(std::string_view hostport) const {
  auto [host, port] = split_hostport(hostport);
  host = ascii_lower(host);
  if (!port.empty() && port != std::to_string(port_)) {
    // A proxy in front may use its own port: only names listed explicitly.
    for (const auto& h : o_.allowed_hosts)
      if (ascii_lower(h) == ascii_lower(std::string(hostport))) return true;
    return false;
  }
  if (host == bound_host_) return true;
  if (loopback_ && (host == "localhost" || host == "127.0.0.1" || host == "[::1]")) return true;
  for (const auto& h : o_.allowed_hosts)
    if (ascii_lower(h) == host || ascii_lower(h) == ascii_lower(std::string(hostport))) return true;
  // Bound to every interface (with the token required): any name reaches it.
  return unspecified_;
}

std::optional<http::Response> Listener::filter(const http::Request& req) const {
  auto forbidden = [](std::string why) {
    return json_response(403, rpc_error_body(nullptr, rpc::kServerError, "Forbidden: " + why));
  };
  auto host = req.header("host");
  if (!host || !host_allowed(*host)) return forbidden("Host header " + (host ? "'" + *host + "'" : "missing") + " is not this server");
  if (auto origin = req.header("origin")) {
    std::string o = ascii_lower(*origin);
    std::string rest;
    if (o.rfind("http://", 0) == 0) rest = o.substr(7);
    else if (o.rfind("https://", 0) == 0) rest = o.substr(8);
    if (rest.empty() || rest.find('/') != std::string::npos || !host_allowed(rest))
      return forbidden("Origin '" + *origin + "' may not use this server");
  }
  const std::string token = o_.token ? o_.token() : "";
  if (!token.empty()) {
    auto auth = req.header("authorization");
    if (!(auth && auth->size() > 7 && strncasecmp(auth->c_str(), "Bearer ", 7) == 0 &&
          constant_time_equal(std::string_view(*auth).substr(7), token)) &&
        !(dashboard_ && dashboard_->admits(req))) {  // the dashboard's page, sign-in and session cookie
      http::Response r = json_response(
          401, rpc_error_body(nullptr, rpc::kServerError,
                              auth ? "Unauthorized: invalid token" : "Unauthorized: send Authorization: Bearer <daemon.api_token>"));
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ipfs-kit\"");
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace ipfskit::mcp
