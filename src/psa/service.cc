#include "psa/service.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/io.h"
#include "dag/dag.h"
#include "log/log.h"

namespace ipfskit::psa {

using nlohmann::json;

namespace {

// The spec's Failure object: {"error": {"reason", "details"}}.
http::Response failure(int status, const char* reason, const std::string& details) {
  json j = {{"error", {{"reason", reason}, {"details", details}}}};
  return http::Response::json(status, j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

http::Response failure(const Error& e) {
  const int status = http_status(e.code());
  const char* reason = "INTERNAL_SERVER_ERROR";
  if (status == 400 || status == 413 || status == 501) reason = "BAD_REQUEST";
  if (status == 404) reason = "NOT_FOUND";
  if (status == 401 || status == 403) reason = "UNAUTHORIZED";
  return failure(status == 413 || status == 501 ? 400 : status, reason, e.message());
}

http::Response ok(int status, const json& j) {
  return http::Response::json(status, j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

// Splits "a,b,c" (the spec's form style, explode=false).
std::vector<std::string> csv(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// A Pin object from a request body, validated as the spec bounds it.
Result<PinRequest> parse_pin(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("the body must be a JSON Pin object");
  if (!j.contains("cid") || !j["cid"].is_string()) return invalid_argument("Pin.cid is required (a string)");
  PinRequest r;
  auto cid = Cid::parse(j["cid"].get<std::string>());
  if (!cid) return invalid_argument("Pin.cid is not a valid CID: " + cid.error().message());
  r.cid = *cid;
  if (j.contains("name") && !j["name"].is_null()) {
    if (!j["name"].is_string()) return invalid_argument("Pin.name must be a string");
    r.name = j["name"].get<std::string>();
    if (r.name->size() > 255) return invalid_argument("Pin.name is longer than 255 characters");
  }
  if (j.contains("origins") && !j["origins"].is_null()) {
    if (!j["origins"].is_array() || j["origins"].size() > 20) return invalid_argument("Pin.origins is an array of at most 20 multiaddrs");
    for (const auto& o : j["origins"]) {
      if (!o.is_string() || o.get<std::string>().size() > 1024) return invalid_argument("Pin.origins holds strings (multiaddrs)");
      r.origins.push_back(o.get<std::string>());
    }
  }
  if (j.contains("meta") && !j["meta"].is_null()) {
    if (!j["meta"].is_object() || j["meta"].size() > 1000) return invalid_argument("Pin.meta is an object of at most 1000 strings");
    for (auto& [k, v] : j["meta"].items()) {
      if (!v.is_string()) return invalid_argument("Pin.meta[\"" + k + "\"] must be a string");
      r.meta[k] = v.get<std::string>();
    }
  }
  return r;
}

size_t write_to_file(char* data, size_t size, size_t n, void* user) {
  auto* ctx = static_cast<std::pair<int, uint64_t>*>(user);
  const size_t bytes = size * n;
  ctx->second += bytes;
  if (write_all(ctx->first, ByteView(reinterpret_cast<uint8_t*>(data), bytes), "download")) return bytes;
  return 0;
}

}  // namespace

std::optional<std::string> origin_url(std::string_view origin) {
  if (origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0) {
    std::string u(origin);
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  }
  std::vector<std::string> parts;
  size_t start = 1;
  if (origin.empty() || origin[0] != '/') return std::nullopt;
  while (start <= origin.size()) {
    size_t slash = origin.find('/', start);
    parts.emplace_back(origin.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string host, port, scheme;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= parts.size() || parts[i + 1].empty()) return std::nullopt;
      return parts[++i];
    };
    if (p == "ip4" || p == "dns" || p == "dns4" || p == "dns6") {
      auto v = value();
      if (!v) return std::nullopt;
      host = *v;
    } else if (p == "ip6") {
      auto v = value();
      if (!v) return std::nullopt;
      host = "[" + *v + "]";
    } else if (p == "tcp") {
      auto v = value();
      if (!v || v->find_first_not_of("0123456789") != std::string::npos || v->size() > 5) return std::nullopt;
      port = *v;
    } else if (p == "http") {
      scheme = scheme.empty() ? "http" : scheme;
    } else if (p == "https") {
      scheme = "https";
    } else if (p == "tls") {
      scheme = "https";
    } else if (p == "p2p" || p == "ipfs") {
      if (!value()) return std::nullopt;  // the peer ID: not needed for HTTP
    } else {
      return std::nullopt;  // quic, ws, webtransport...: a libp2p transport we do not speak
    }
  }
  if (host.empty() || port.empty() || scheme.empty()) return std::nullopt;
  for (char c : host)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '@' || c == '?' || c == '#') return std::nullopt;
  return scheme + "://" + host + ":" + port;
}

Result<std::unique_ptr<PinningService>> PinningService::start(ServiceOptions o) {
  Store store = TRY(Store::open(o.node->repo().db()));
  TRY_STATUS(store.requeue_interrupted());
  if (::mkdir(o.download_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return tl::unexpected(errno_error("create " + o.download_dir));
  std::unique_ptr<PinningService> s(new PinningService(std::move(o), std::move(store)));
  s->worker_ = std::thread([p = s.get()] { p->work(); });
  return s;
}

PinningService::~PinningService() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void PinningService::drain() {
  std::unique_lock lock(mu_);
  for (;;) {
    auto next = store_.next_queued();
    if (!busy_ && (!next || !*next)) return;
    idle_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void PinningService::work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto next = store_.next_queued();
    if (!next || !*next) {
      busy_ = false;
      idle_.notify_all();
      wake_.wait_for(lock, std::chrono::seconds(2));
      continue;
    }
    PinRequest r = std::move(**next);
    busy_ = true;
    (void)store_.set_status(r.requestid, RequestStatus::kPinning, {}, r.owns_node_pin);
    lock.unlock();
    bool owns = r.owns_node_pin;
    auto [status, info] = process(r, owns);
    lock.lock();
    // The request may have been removed (or its pin handed to it) meanwhile.
    auto current = store_.get(r.owner, r.requestid);
    if (current && *current) {
      (void)store_.set_status(r.requestid, status, info, owns || (*current)->owns_node_pin);
    } else if (owns) {
      auto others = store_.others_for(r.cid, r.requestid);
      if (others && !others->empty()) (void)store_.set_status(others->front().requestid, others->front().status, others->front().info, true);
      else (void)o_.node->pin_rm({r.cid});
    }
    logging::info("psa", "request finished", {{"requestid", r.requestid}, {"cid", r.cid.to_string()},
                                              {"status", status_name(status)}, {"details", info["status_details"]}});
  }
  busy_ = false;
  idle_.notify_all();
}

std::pair<RequestStatus, std::map<std::string, std::string>> PinningService::process(const PinRequest& r, bool& owns_pin) {
  std::map<std::string, std::string> info;
  auto complete = [&]() -> bool {
    dag::WalkOptions wo;
    wo.leaves_by_presence = true;
    return dag::walk(o_.node->repo().blocks(), r.cid, [](const Cid&, ByteView) -> Status { return {}; }, wo).has_value();
  };
  std::string tried;
  if (!complete()) {
    bool fetched = false;
    for (const std::string& origin : r.origins) {
      std::string detail;
      Status st = fetch_from(origin, r.cid, detail);
      if (st && complete()) {
        fetched = true;
        break;
      }
      tried += (tried.empty() ? "" : "; ") + origin + ": " + (st ? "the DAG was incomplete" : st.error().message());
    }
    if (!fetched) {
      info["status_details"] = r.origins.empty()
                                   ? "the DAG is not in this node's repository and no origins were given (ipfs-kit "
                                     "fetches from trustless HTTP gateways named in origins, e.g. /ip4/1.2.3.4/tcp/8080/http)"
                                   : "could not fetch the DAG from any origin: " + tried;
      return {RequestStatus::kFailed, info};
    }
  }
  auto existing = o_.node->repo().pins().get(r.cid);
  if (!existing) {
    info["status_details"] = existing.error().message();
    return {RequestStatus::kFailed, info};
  }
  if (!*existing) {
    repo::PinRequest p;
    p.cid = r.cid;
    p.name = r.name ? *r.name : "psa:" + r.requestid;
    if (p.name->size() > repo::kMaxPinNameBytes) p.name = "psa:" + r.requestid;
    p.meta = {{"psa.requestid", r.requestid}, {"psa.owner", r.owner}};
    Status st = o_.node->pin_add({p});
    if (!st) {
      info["status_details"] = st.error().message();
      return {RequestStatus::kFailed, info};
    }
    owns_pin = true;
  }
  auto stat = o_.node->dag_stat(r.cid);
  if (stat) info["dag_size"] = std::to_string(stat->size);
  return {RequestStatus::kPinned, info};
}

Status PinningService::fetch_from(const std::string& origin, const Cid& cid, std::string& detail) {
  auto base = origin_url(origin);
  if (!base) return unsupported("not an HTTP origin (ipfs-kit speaks no bitswap)");
  const std::string path = o_.download_dir + "/fetch-" + std::to_string(::getpid()) + "-" + cid.to_string() + ".car";
  UniqueFd fd = TRY(open_file(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  struct Unlink {
    std::string p;
    ~Unlink() { ::unlink(p.c_str()); }
  } cleanup{path};
  const std::string url = *base + "/ipfs/" + cid.to_string() + "?format=car&dag-scope=all";
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return internal_error("curl_easy_init failed");
  std::pair<int, uint64_t> sink{fd.get(), 0};
  struct curl_slist* headers = curl_slist_append(nullptr, "Accept: application/vnd.ipld.car");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(o_.fetch_timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o_.max_fetch_bytes));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "ipfs-kit-psa");
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return make_error(Code::kUnavailable, std::string("fetching ") + url + ": " + curl_easy_strerror(rc) +
                                              (status > 0 ? " (HTTP " + std::to_string(status) + ")" : ""));
  if (sink.second > o_.max_fetch_bytes) return make_error(Code::kResourceExhausted, "the CAR exceeds the fetch limit");
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return tl::unexpected(errno_error("seek " + path));
  FdReader in(fd.get(), path);
  // Every block is hash-checked before it is stored; a lying origin's CAR is refused whole.
  auto imported = o_.node->dag_import(in, false);
  if (!imported) return tl::unexpected(imported.error().wrap(url));
  detail = std::to_string(imported->blocks) + " blocks from " + *base;
  return {};
}

Result<PinRequest> PinningService::remove_request(const std::string& owner, const std::string& requestid) {
  std::lock_guard lock(mu_);
  PinRequest r = TRY(store_.remove(owner, requestid));
  if (r.owns_node_pin) {
    auto others = TRY(store_.others_for(r.cid, r.requestid));
    if (!others.empty()) {
      // Hand the pin to another request for the same CID: the content stays.
      TRY_STATUS(store_.set_status(others.front().requestid, others.front().status, others.front().info, true));
    } else {
      auto pin = TRY(o_.node->repo().pins().get(r.cid));
      if (pin && pin->meta.count("psa.requestid") > 0) TRY(o_.node->pin_rm({r.cid}));
    }
  }
  return r;
}

Result<std::string> PinningService::create_token(const std::string& name) { return store_.create_token(name); }

Status PinningService::remove_token(const std::string& name) {
  std::lock_guard lock(mu_);
  std::vector<PinRequest> orphaned;
  TRY_STATUS(store_.remove_token(name, &orphaned));
  for (const auto& r : orphaned) {
    auto others = TRY(store_.others_for(r.cid, r.requestid));
    if (!others.empty()) TRY_STATUS(store_.set_status(others.front().requestid, others.front().status, others.front().info, true));
    else (void)o_.node->pin_rm({r.cid});
  }
  return {};
}

Result<json> PinningService::tokens() {
  json out = json::array();
  for (const auto& t : TRY(store_.tokens())) out.push_back({{"name", t.name}, {"created", t.created}});
  return out;
}

json PinningService::status_json(const PinRequest& r) {
  json pin = {{"cid", r.cid.to_string()}, {"origins", r.origins}, {"meta", r.meta}};
  if (r.name) pin["name"] = *r.name;
  std::vector<std::string> delegates = o_.delegates ? o_.delegates() : std::vector<std::string>{};
  return {{"requestid", r.requestid},
          {"status", status_name(r.status)},
          {"created", format_rfc3339_ms(r.created_ms)},
          {"pin", pin},
          {"delegates", delegates},
          {"info", r.info}};
}

void PinningService::register_routes(http::Server& server, const std::string& prefix) {
  http::Route route;
  route.method = "";
  route.path = prefix + "/";
  route.prefix = true;
  route.max_body_bytes = 256 * 1024;
  route.inline_handler = [this, prefix](const http::Request& req) { return handle(req, prefix); };
  server.add_route(route);
  http::Route bare = route;
  bare.path = prefix;
  bare.prefix = false;
  server.add_route(std::move(bare));
}

http::Response PinningService::handle(const http::Request& req, const std::string& prefix) {
  // Authentication: the bearer token names the requests' owner.
  std::string owner;
  {
    auto auth = req.header("authorization");
    std::string token;
    if (auth && auth->size() > 7 && strncasecmp(auth->c_str(), "Bearer ", 7) == 0) token = auth->substr(7);
    auto who = store_.authenticate(token);
    if (!who) return failure(who.error());
    if (!*who) return failure(401, "UNAUTHORIZED", token.empty() ? "access token is missing" : "access token is invalid");
    owner = **who;
  }
  const std::string rest = req.path.substr(std::min(req.path.size(), prefix.size()));
  if (rest == "/pins" || rest == "/pins/") {
    if (req.method == "GET") {
      Query q;
      bool filtered = false;
      if (auto cids = req.param("cid")) {
        filtered = true;
        for (const auto& c : csv(*cids)) {
          auto cid = Cid::parse(c);
          if (!cid) return failure(400, "BAD_REQUEST", "invalid CID in cid: " + c);
          q.cids.push_back(*cid);
        }
        if (q.cids.size() > 10) return failure(400, "BAD_REQUEST", "at most 10 CIDs in cid");
      }
      if (auto name = req.param("name")) {
        filtered = true;
        if (name->size() > 255) return failure(400, "BAD_REQUEST", "name is longer than 255 characters");
        q.name = *name;
      }
      if (auto match = req.param("match")) {
        if (*match == "exact") q.match = Match::kExact;
        else if (*match == "iexact") q.match = Match::kIExact;
        else if (*match == "partial") q.match = Match::kPartial;
        else if (*match == "ipartial") q.match = Match::kIPartial;
        else return failure(400, "BAD_REQUEST", "match must be exact, iexact, partial or ipartial");
      }
      if (auto statuses = req.param("status")) {
        filtered = true;
        for (const auto& s : csv(*statuses)) {
          auto st = status_by_name(s);
          if (!st) return failure(400, "BAD_REQUEST", "unknown status \"" + s + "\"");
          q.statuses.push_back(*st);
        }
      }
      for (const char* key : {"before", "after"}) {
        if (auto t = req.param(key)) {
          filtered = true;
          auto ms = parse_rfc3339_ms(*t);
          if (!ms) return failure(400, "BAD_REQUEST", std::string(key) + ": " + ms.error().message());
          (std::string_view(key) == "before" ? q.before_ms : q.after_ms) = *ms;
        }
      }
      if (auto limit = req.param("limit")) {
        char* end = nullptr;
        long v = std::strtol(limit->c_str(), &end, 10);
        if (limit->empty() || *end != '\0' || v < 1 || v > 1000)
          return failure(400, "BAD_REQUEST", "limit must be an integer from 1 to 1000");
        q.limit = static_cast<uint64_t>(v);
      }
      if (auto meta = req.param("meta")) {
        filtered = true;
        json m = json::parse(*meta, nullptr, false);
        if (m.is_discarded() || !m.is_object()) return failure(400, "BAD_REQUEST", "meta must be a JSON object of strings");
        for (auto& [k, v] : m.items()) {
          if (!v.is_string()) return failure(400, "BAD_REQUEST", "meta values must be strings");
          q.meta[k] = v.get<std::string>();
        }
      }
      // "When no filter is provided, only successful pins are returned."
      if (!filtered) q.statuses = {RequestStatus::kPinned};
      auto page = store_.list(owner, q);
      if (!page) return failure(page.error());
      json results = json::array();
      for (const auto& r : page->results) results.push_back(status_json(r));
      return ok(200, {{"count", page->count}, {"results", results}});
    }
    if (req.method == "POST") {
      auto pin = parse_pin(req.body);
      if (!pin) return failure(pin.error());
      pin->owner = owner;
      auto added = store_.add(std::move(*pin));
      if (!added) return failure(added.error());
      wake_.notify_all();
      return ok(202, status_json(*added));
    }
    return failure(405, "METHOD_NOT_ALLOWED", "use GET or POST on /pins");
  }
  if (rest.rfind("/pins/", 0) == 0) {
    const std::string id = rest.substr(6);
    if (id.empty() || id.size() > 128 || id.find('/') != std::string::npos)
      return failure(404, "NOT_FOUND", "no pin request " + id);
    if (req.method == "GET") {
      auto r = store_.get(owner, id);
      if (!r) return failure(r.error());
      if (!*r) return failure(404, "NOT_FOUND", "no pin request " + id);
      return ok(200, status_json(**r));
    }
    if (req.method == "POST") {
      // Replace: the new request first, then the old one, so that content in
      // both is never left unpinned in between.
      auto pin = parse_pin(req.body);
      if (!pin) return failure(pin.error());
      auto old = store_.get(owner, id);
      if (!old) return failure(old.error());
      if (!*old) return failure(404, "NOT_FOUND", "no pin request " + id);
      pin->owner = owner;
      auto added = store_.add(std::move(*pin));
      if (!added) return failure(added.error());
      auto removed = remove_request(owner, id);
      if (!removed) return failure(removed.error());
      wake_.notify_all();
      return ok(202, status_json(*added));
    }
    if (req.method == "DELETE") {
      auto removed = remove_request(owner, id);
      if (!removed) return failure(removed.error());
      http::Response r;
      r.status = 202;
      return r;
    }
    return failure(405, "METHOD_NOT_ALLOWED", "use GET, POST or DELETE on /pins/{requestid}");
  }
  return failure(404, "NOT_FOUND", "no such endpoint: " + req.path);
}

}  // namespace ipfskit::psa
