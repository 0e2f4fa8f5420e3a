#include "dashboard/dashboard.h"

#include <openssl/rand.h>

#include <algorithm>
#include <deque>
#include <set>

#include "dashboard/assets.h"

namespace ipfskit::dashboard {

using nlohmann::json;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kSessionSeconds = 12 * 3600;
constexpr size_t kMaxSessions = 4096;
constexpr size_t kMaxEventStreams = 512;
constexpr size_t kMaxFailedLogins = 10;         // a minute from one address; then 429 until they age out
constexpr size_t kMaxFailedLoginsTotal = 100;   // a minute from everyone
constexpr size_t kMaxJsonBody = 256 * 1024;
constexpr uint64_t kMaxUploadBytes = uint64_t{1} << 40;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) std::abort();  // no randomness: no safe session
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : buf) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Equal strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The value of one cookie in a Cookie header; "" when absent.
std::string cookie_value(const http::Request& req, std::string_view name) {
  auto header = req.header("cookie");
  if (!header) return "";
  std::string_view rest = *header;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view item = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    auto eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == name) return std::string(item.substr(eq + 1));
  }
  return "";
}

// Cookies belong to a host, not a port: name the session after the port so
// that two listeners on one host (or the gateway beside us) never share one.
std::string cookie_name(const http::Request& req) {
  std::string host = req.header("host").value_or("");
  auto colon = host.rfind(':');
  std::string port = colon != std::string::npos && host.find(']', colon) == std::string::npos ? host.substr(colon + 1) : "80";
  for (char c : port)
    if (c < '0' || c > '9') return "ipfskit_session";
  return "ipfskit_session_" + port;
}

http::Response json_reply(int status, const json& body) {
  http::Response r = http::Response::json(status, dump(body) + "\n");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::Response error_reply(int status, std::string message) { return json_reply(status, json{{"error", std::move(message)}}); }

void send(http::Exchange& ex, int status, const json& body) {
  const std::string text = dump(body) + "\n";
  if (ex.begin(status, {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}, text.size()))
    (void)ex.write(as_bytes(text));
}

void send_error(http::Exchange& ex, const Error& e) {
  send(ex, http_status(e.code()), json{{"error", e.message()}, {"code", std::string(code_name(e.code()))}});
}

// A JSON request body of at most kMaxJsonBody bytes.
Result<json> read_json(http::Exchange& ex) {
  std::string body;
  uint8_t buf[16384];
  for (;;) {
    size_t n = TRY(ex.body().read(buf, sizeof buf));
    if (n == 0) break;
    if (body.size() + n > kMaxJsonBody) return make_error(Code::kResourceExhausted, "request body too large");
    body.append(reinterpret_cast<const char*>(buf), n);
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("the request body must be a JSON object");
  return j;
}

// Headers every page of the dashboard carries.
void page_headers(http::Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                         "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

// Counts what passes through (an add over a daemon reports no progress of
// its own).
class CountingReader final : public ByteReader {
 public:
  explicit CountingReader(ByteReader& in) : in_(in) {}
  Result<size_t> read(uint8_t* buf, size_t n) override {
    size_t got = TRY(in_.read(buf, n));
    bytes_ += got;
    return got;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  ByteReader& in_;
  uint64_t bytes_ = 0;
};

// A name for an uploaded file: one path element of visible characters.
Result<std::string> upload_name(const std::string& name) {
  if (name.empty()) return std::string("upload");
  if (name.size() > 255) return invalid_argument("the file name is longer than 255 bytes");
  if (name == "." || name == "..") return invalid_argument("invalid file name");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/') return invalid_argument("the file name may not contain '/' or control characters");
  return name;
}

}  // namespace

// ---- state shared by the routes ----

struct Dashboard::State {
  struct Session {
    std::string csrf;
    std::string token;  // the token it was opened with: a changed token ends it
    int64_t expires = 0;
  };

  std::function<std::string()> token;
  const std::string server_csrf = random_hex(32);  // without a token, one for everyone

  mutable std::mutex mu;
  std::map<std::string, Session, std::less<>> sessions;
  std::deque<std::pair<int64_t, std::string>> failed_logins;  // when, from which address

  // The replication sync job.
  std::thread sync_thread;
  bool sync_running = false;
  std::shared_ptr<CancelToken> sync_cancel;

  std::string current_token() const { return token ? token() : ""; }

  // The session a request's cookie names, if it is still valid.
  std::optional<Session> session_of(const http::Request& req) const {
    const std::string sid = cookie_value(req, cookie_name(req));
    if (sid.empty()) return std::nullopt;
    const std::string t = current_token();
    std::lock_guard lock(mu);
    auto it = sessions.find(sid);
    if (it == sessions.end() || it->second.expires < now_seconds() || !constant_time_equal(it->second.token, t))
      return std::nullopt;
    return it->second;
  }

  // A POST is safe from cross-site forgery when it carries an Authorization
  // header (which no cross-origin page can add without a refused preflight)
  // or the CSRF token that only this origin's pages can read.
  bool csrf_ok(const http::Request& req) const {
    if (req.header("authorization")) return true;
    auto sent = req.header("x-csrf-token");
    if (!sent || sent->empty()) return false;
    if (auto s = session_of(req)) return constant_time_equal(*sent, s->csrf);
    return current_token().empty() && constant_time_equal(*sent, server_csrf);
  }
};

// ---- the dashboard ----

Dashboard::Dashboard(api::Client& client, DashboardOptions options)
    : client_(client), o_(std::move(options)), live_(client, o_.live), state_(std::make_shared<State>()) {
  state_->token = o_.token;
}

Dashboard::~Dashboard() { stop(); }

std::unique_ptr<Dashboard> Dashboard::attach(http::Server& http, api::Client& client, DashboardOptions options) {
  std::unique_ptr<Dashboard> d(new Dashboard(client, std::move(options)));
  d->register_routes(http);
  d->live_.start();
  return d;
}

void Dashboard::stop() {
  std::thread sync;
  {
    std::lock_guard lock(state_->mu);
    if (state_->sync_cancel) state_->sync_cancel->cancel();
    sync.swap(state_->sync_thread);
  }
  if (sync.joinable()) sync.join();
  live_.stop();
}

bool Dashboard::admits(const http::Request& req) const {
  const std::string& p = req.path;
  if ((req.method == "GET" || req.method == "HEAD") &&
      (p == "/" || p == "/index.html" || p.rfind("/assets/", 0) == 0 || p == "/api/dashboard/session"))
    return true;
  if (req.method == "POST" && (p == "/api/dashboard/login" || p == "/api/dashboard/logout")) return true;
  // A session opens the dashboard's own routes only: /mcp and the seeds' REST
  // still need the bearer token.
  return p.rfind("/api/dashboard/", 0) == 0 && state_->session_of(req).has_value();
}

void Dashboard::register_routes(http::Server& http) {
  std::shared_ptr<State> st = state_;
  api::Client* client = &client_;
  LiveFeed* live = &live_;

  auto add_inline = [&http](const char* method, const char* path, bool prefix, http::InlineFn fn, uint64_t limit = 0) {
    http::Route r;
    r.method = method;
    r.path = path;
    r.prefix = prefix;
    r.inline_handler = std::move(fn);
    r.max_body_bytes = limit;
    http.add_route(std::move(r));
  };
  // Routes that call the client API run on workers: a call may wait on the
  // repository or on a daemon, and must not hold up the I/O thread that
  // writes every open event stream.
  auto add_worker = [&http](const char* method, const char* path, bool prefix, http::StreamFn fn, uint64_t limit = 0) {
    http::Route r;
    r.method = method;
    r.path = path;
    r.prefix = prefix;
    r.stream_handler = std::move(fn);
    r.max_body_bytes = limit;
    http.add_route(std::move(r));
  };

  // ---- the page ----
  auto page = [](const http::Request& req) {
    const EmbeddedFile* f = find_asset("index.html");
    if (f == nullptr) return error_reply(500, "the dashboard was built without its page");
    http::Response r = asset_response(req, *f);
    page_headers(r);
    return r;
  };
  auto asset = [](const http::Request& req) {
    const std::string name = req.path.substr(std::string_view("/assets/").size());
    const EmbeddedFile* f = name == "index.html" ? nullptr : find_asset(name);
    if (f == nullptr) return error_reply(404, "no such asset");
    http::Response r = asset_response(req, *f);
    page_headers(r);
    return r;
  };
  for (const char* method : {"GET", "HEAD"}) {
    add_inline(method, "/", false, page);
    add_inline(method, "/index.html", false, page);
    add_inline(method, "/assets/", true, asset);
  }

  // ---- session ----
  add_inline("GET", "/api/dashboard/session", false, [st](const http::Request& req) {
    const bool required = !st->current_token().empty();
    json out{{"auth_required", required}};
    if (auto s = st->session_of(req)) {
      out["signed_in"] = true;
      out["csrf"] = s->csrf;
    } else if (!required) {
      out["signed_in"] = true;
      out["csrf"] = st->server_csrf;
    } else {
      out["signed_in"] = false;
    }
    return json_reply(200, out);
  });
  add_inline(
      "POST", "/api/dashboard/login", false,
      [st](const http::Request& req) {
        // A JSON body: a plain HTML form (another site's) cannot send one.
        auto type = req.header("content-type").value_or("");
        if (type.find("application/json") == std::string::npos)
          return error_reply(415, "send the token as JSON: {\"token\": \"...\"}");
        const std::string token = st->current_token();
        if (token.empty()) return json_reply(200, json{{"auth_required", false}, {"signed_in", true}, {"csrf", st->server_csrf}});
        const int64_t now = now_seconds();
        const std::string from = req.remote.substr(0, req.remote.rfind(':'));
        {
          std::lock_guard lock(st->mu);
          while (!st->failed_logins.empty() && st->failed_logins.front().first < now - 60) st->failed_logins.pop_front();
          const size_t mine = static_cast<size_t>(std::count_if(st->failed_logins.begin(), st->failed_logins.end(),
                                                                [&](const auto& f) { return f.second == from; }));
          if (mine >= kMaxFailedLogins || st->failed_logins.size() >= kMaxFailedLoginsTotal) {
            http::Response r = error_reply(429, "too many failed sign-ins; wait a minute");
            r.headers.emplace_back("Retry-After", "60");
            return r;
          }
        }
        json body = json::parse(req.body, nullptr, false);
        const std::string given = body.is_object() && body.contains("token") && body["token"].is_string()
                                      ? body["token"].get<std::string>()
                                      : "";
        if (!constant_time_equal(given, token)) {
          std::lock_guard lock(st->mu);
          st->failed_logins.emplace_back(now, from);
          return error_reply(401, "wrong token");
        }
        const std::string sid = random_hex(32);
        State::Session s{random_hex(32), token, now + kSessionSeconds};
        {
          std::lock_guard lock(st->mu);
          std::erase_if(st->sessions, [&](const auto& kv) { return kv.second.expires < now; });
          if (st->sessions.size() >= kMaxSessions) {
            // The session closest to its end makes room.
            auto oldest = st->sessions.begin();
            for (auto it = st->sessions.begin(); it != st->sessions.end(); ++it)
              if (it->second.expires < oldest->second.expires) oldest = it;
            st->sessions.erase(oldest);
          }
          st->sessions[sid] = s;
        }
        http::Response r = json_reply(200, json{{"auth_required", true}, {"signed_in", true}, {"csrf", s.csrf}});
        r.headers.emplace_back("Set-Cookie", cookie_name(req) + "=" + sid + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                                 std::to_string(kSessionSeconds));
        return r;
      },
      4096);
  add_inline("POST", "/api/dashboard/logout", false, [st](const http::Request& req) {
    if (!st->csrf_ok(req)) return error_reply(403, "missing or wrong X-CSRF-Token");
    const std::string sid = cookie_value(req, cookie_name(req));
    {
      std::lock_guard lock(st->mu);
      st->sessions.erase(sid);
    }
    http::Response r = json_reply(200, json{{"signed_in", false}});
    r.headers.emplace_back("Set-Cookie", cookie_name(req) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return r;
  });

  // ---- live data ----
  add_inline("GET", "/api/dashboard/events", false, [live](const http::Request&) {
    if (live->subscribers() >= kMaxEventStreams) {
      http::Response r = error_reply(503, "too many open dashboards; try again later");
      r.headers.emplace_back("Retry-After", "10");
      return r;
    }
    http::Response r;
    r.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
    r.push = [live](std::shared_ptr<http::PushStream> s) { live->subscribe(std::move(s)); };
    return r;
  });
  add_inline("GET", "/api/dashboard/overview", false, [live](const http::Request&) { return json_reply(200, live->snapshot()); });

  // ---- pins ----
  add_worker("GET", "/api/dashboard/pins", false, [client](http::Exchange& ex) {
    const http::Request& req = ex.request();
    core::PinListOptions o;
    o.indirect = false;
    o.filter.with_meta = true;
    uint64_t limit = 50;
    if (auto v = req.param("limit")) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(v->c_str(), &end, 10);
      if (v->empty() || *end != '\0' || n == 0 || n > 1000)
        return send_error(ex, Error(Code::kInvalidArgument, "limit must be a number from 1 to 1000"));
      limit = n;
    }
    if (auto v = req.param("after"); v && !v->empty()) {
      char* end = nullptr;
      long long n = std::strtoll(v->c_str(), &end, 10);
      if (*end != '\0' || n < 0) return send_error(ex, Error(Code::kInvalidArgument, "after must be a pin id (a number)"));
      o.filter.after = n;
    }
    if (auto v = req.param("cid"); v && !v->empty()) {
      auto cid = Cid::parse(*v);
      if (!cid) return send_error(ex, Error(Code::kInvalidArgument, "not a CID: " + *v));
      o.filter.cid = *cid;
    }
    if (auto v = req.param("name"); v && !v->empty()) o.filter.name = *v;
    if (auto v = req.param("meta"); v && !v->empty()) {
      auto eq = v->find('=');
      if (eq == std::string::npos || eq == 0)
        return send_error(ex, Error(Code::kInvalidArgument, "meta must be key=value"));
      o.filter.meta = std::make_pair(v->substr(0, eq), v->substr(eq + 1));
    }
    const std::string type = req.param("type").value_or("all");
    if (type == "recursive") o.filter.type = repo::PinType::kRecursive;
    else if (type == "direct") o.filter.type = repo::PinType::kDirect;
    else if (type != "all") return send_error(ex, Error(Code::kInvalidArgument, "type must be all, recursive or direct"));
    // One more than a page tells whether another page follows.
    o.filter.limit = limit + 1;
    json pins = json::array();
    int64_t last_id = 0;
    bool more = false;
    Status s = client->pin_ls(o, [&](const core::PinEntry& e) -> Status {
      if (!e.info) return {};
      if (pins.size() == limit) {
        more = true;
        return {};
      }
      const repo::PinInfo& p = *e.info;
      last_id = p.id;
      // The pin is in this node's index: its copy on the embedded backend.
      // Copies on other backends appear here once the API reports them.
      pins.push_back(json{{"id", p.id},
                          {"cid", p.cid.to_string()},
                          {"type", e.type},
                          {"name", p.name ? json(*p.name) : json()},
                          {"created", p.created},
                          {"meta", p.meta},
                          {"replicas", json::array({json{{"backend", "ipfs"}, {"state", "pinned"}}})}});
      return {};
    });
    // Listing by CID answers NotFound for a CID that is not pinned (Kubo's
    // `pin ls CID`): for a search, that is no match.
    if (!s && !(o.filter.cid && s.error().code() == Code::kNotFound)) return send_error(ex, s.error());
    send(ex, 200, json{{"pins", std::move(pins)}, {"next", more ? json(std::to_string(last_id)) : json()}});
  });
  add_worker(
      "POST", "/api/dashboard/pins/rm", false,
      [st, client, live](http::Exchange& ex) {
        if (!st->csrf_ok(ex.request())) return send(ex, 403, json{{"error", "missing or wrong X-CSRF-Token"}});
        auto body = read_json(ex);
        if (!body) return send_error(ex, body.error());
        if (!body->contains("cids") || !(*body)["cids"].is_array() || (*body)["cids"].empty() || (*body)["cids"].size() > 1000)
          return send_error(ex, Error(Code::kInvalidArgument, "expected {\"cids\": [...]} with 1 to 1000 CIDs"));
        std::vector<Cid> cids;
        for (const auto& c : (*body)["cids"]) {
          auto cid = c.is_string() ? Cid::parse(c.get<std::string>()) : Result<Cid>(invalid_argument("a CID must be a string"));
          if (!cid) return send_error(ex, cid.error());
          cids.push_back(*cid);
        }
        json results = json::array();
        Status s = client->pin_rm(cids, [&](const Cid& c, const Status& r) {
          json item{{"cid", c.to_string()}, {"ok", static_cast<bool>(r)}};
          if (!r) item["error"] = r.error().message();
          results.push_back(std::move(item));
        });
        live->poke();
        if (!s) return send_error(ex, s.error());
        send(ex, 200, json{{"results", std::move(results)}});
      },
      kMaxJsonBody);

  // ---- adding a file: the body streams into the same add as the CLI's ----
  add_worker(
      "POST", "/api/dashboard/add", false,
      [st, client, live](http::Exchange& ex) {
        const http::Request& req = ex.request();
        if (!st->csrf_ok(req)) return send(ex, 403, json{{"error", "missing or wrong X-CSRF-Token"}});
        auto name = upload_name(req.param("name").value_or(""));
        if (!name) return send_error(ex, name.error());
        CountingReader body(ex.body());
        api::AddRequest a;
        a.stream = &body;
        a.stream_name = *name;
        a.pin_name = *name;
        a.pin_meta = {{"source", "dashboard"}};
        auto cid = client->add(a);
        live->poke();
        if (!cid) return send_error(ex, cid.error());
        send(ex, 200, json{{"cid", cid->to_string()}, {"name", *name}, {"bytes", body.bytes()}});
      },
      kMaxUploadBytes);

  // ---- backends ----
  add_worker("POST", "/api/dashboard/backends/", true, [st, client, live](http::Exchange& ex) {
    const http::Request& req = ex.request();
    if (!st->csrf_ok(req)) return send(ex, 403, json{{"error", "missing or wrong X-CSRF-Token"}});
    std::string rest = req.path.substr(std::string_view("/api/dashboard/backends/").size());
    auto slash = rest.rfind('/');
    if (slash == std::string::npos || slash == 0)
      return send_error(ex, Error(Code::kNotFound, "use /api/dashboard/backends/<name>/start or /stop"));
    const std::string name = rest.substr(0, slash), verb = rest.substr(slash + 1);
    if (verb != "start" && verb != "stop")
      return send_error(ex, Error(Code::kNotFound, "use /api/dashboard/backends/<name>/start or /stop"));
    auto r = client->set_backend_running(name, verb == "start");
    live->poke();
    if (!r) return send_error(ex, r.error());
    send(ex, 200, *r);
  });

  // ---- replication ----
  add_inline("POST", "/api/dashboard/replication/sync", false, [st, client, live](const http::Request& req) {
    if (!st->csrf_ok(req)) return error_reply(403, "missing or wrong X-CSRF-Token");
    std::lock_guard lock(st->mu);
    if (st->sync_running) return error_reply(409, "a replication sync is already running");
    if (st->sync_thread.joinable()) st->sync_thread.join();  // the last one, finished
    st->sync_running = true;
    st->sync_cancel = std::make_shared<CancelToken>();
    const int64_t started = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    live->publish("sync", json{{"state", "running"}, {"started", started}}, true);
    st->sync_thread = std::thread([st, client, live, started, cancel = st->sync_cancel] {
      api::ReplicationSyncRequest request;
      request.cancel = cancel.get();
      // The page's bar: pins done of those that need work, a few times a second.
      request.on_progress = [&](const json& p) {
        live->publish("sync", json{{"state", "running"}, {"started", started}, {"progress", p}}, true);
      };
      auto r = client->replication_sync(request);
      const int64_t ended = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
      json doc{{"started", started}, {"ended", ended}};
      if (r) {
        doc["state"] = "done";
        doc["result"] = *r;
      } else {
        doc["state"] = "failed";
        doc["error"] = r.error().message();
      }
      live->publish("sync", doc, true);
      live->poke();
      std::lock_guard l(st->mu);
      st->sync_running = false;
    });
    return json_reply(202, json{{"state", "running"}, {"started", started}});
  });

  // ---- logs ----
  add_worker("GET", "/api/dashboard/logs", false, [client](http::Exchange& ex) {
    const http::Request& req = ex.request();
    api::LogQuery q;
    q.lines = 200;
    if (auto v = req.param("lines")) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(v->c_str(), &end, 10);
      if (v->empty() || *end != '\0' || n == 0 || n > 10000)
        return send_error(ex, Error(Code::kInvalidArgument, "lines must be a number from 1 to 10000"));
      q.lines = n;
    }
    q.level = req.param("level").value_or("");
    static const std::set<std::string> kLevels = {"", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    if (!kLevels.count(q.level))
      return send_error(ex, Error(Code::kInvalidArgument, "level must be DEBUG, INFO, WARNING, ERROR or CRITICAL"));
    auto lines = client->log_lines(q);
    if (!lines) return send_error(ex, lines.error());
    send(ex, 200, json{{"lines", *lines}});
  });

  // Anything else under /api/dashboard/: JSON 404.
  add_inline("", "/api/dashboard/", true, [](const http::Request& req) {
    return error_reply(404, "no such dashboard endpoint: " + req.method + " " + req.path);
  });
}

}  // namespace ipfskit::dashboard
