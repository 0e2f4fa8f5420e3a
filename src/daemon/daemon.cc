#include "daemon/daemon.h"

#include <fcntl.h>
#include <malloc.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <chrono>
#include <ctime>
#include <thread>

#include "api/local.h"
#include "backends/api_routes.h"
#include "base/version.h"
#include "daemon/service.h"
#include "retrieval/sources.h"
#include "log/log.h"
#include "mcp/options.h"

namespace ipfskit::daemon {

namespace {

int64_t now_unix() { return static_cast<int64_t>(std::time(nullptr)); }

int64_t mtime_ns(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string str(const Config& c, const char* key) {
  auto v = c.get(key);
  return v && v->is_string() ? v->get<std::string>() : "";
}

int integer(const Config& c, const char* key, int def) {
  auto v = c.get(key);
  return v && v->is_number_integer() ? v->get<int>() : def;
}

bool boolean(const Config& c, const char* key, bool def) {
  auto v = c.get(key);
  return v && v->is_boolean() ? v->get<bool>() : def;
}

// Equal strings in time independent of where they differ (token checks).
bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string iso_time(int64_t t) {
  if (t == 0) return "";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Every listener's limits. Routes that take uploads (add, block put, dag
// import) raise the body limit for themselves.
http::Limits limits_for(const Config& cfg) {
  http::Limits l;
  l.max_header_bytes = 16 * 1024;
  l.max_body_bytes = 1 << 20;
  l.read_timeout_seconds = integer(cfg, "daemon.http_header_timeout", 30);
  l.idle_timeout_seconds = integer(cfg, "daemon.http_idle_timeout", 60);
  l.max_connections = static_cast<size_t>(integer(cfg, "daemon.http_max_connections", 1024));
  return l;
}

}  // namespace

Service::~Service() { shutdown(); }

std::shared_ptr<const Config> Service::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

std::optional<Error> Service::filter_auth(const http::Request& req) const {
  std::shared_ptr<const std::string> token;
  {
    std::lock_guard lock(config_mu_);
    token = token_;
  }
  if (!token || token->empty()) return std::nullopt;
  auto auth = req.header("authorization");
  if (auth && auth->size() > 7 && strncasecmp(auth->c_str(), "Bearer ", 7) == 0 &&
      constant_time_equal(std::string_view(*auth).substr(7), *token))
    return std::nullopt;
  return Error(Code::kPermissionDenied, auth ? "invalid API token" : "missing API token: send Authorization: Bearer <token>");
}

void Service::observe(metrics::HttpStats& stats, const char* listener, const http::Request& req, int status,
                      double secs, uint64_t bytes) {
  stats.observe(status, secs, bytes);
  if (status >= 500) {
    logging::warn("http", "request failed",
                  {{"listener", listener}, {"method", req.method}, {"path", req.path}, {"status", std::to_string(status)}});
  } else if (logging::debug_enabled()) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", secs * 1000);
    logging::debug("http", "request",
                   {{"listener", listener}, {"method", req.method}, {"path", req.path}, {"status", std::to_string(status)},
                    {"ms", ms}, {"bytes", std::to_string(bytes)}, {"remote", req.remote}});
  }
}

Status Service::start() {
  repo_ = o_.repo;
  config_path_ = o_.config_path.empty() ? repo_ + "/config.json" : o_.config_path;
  if (::mkdir(repo_.c_str(), 0755) != 0 && errno != EEXIST) return tl::unexpected(errno_error("create " + repo_));
  lock_.emplace(TRY(InstanceLock::acquire(repo_)));

  node_ = TRY(core::Node::open(repo_, o_.config_path, o_.workers));
  TRY_STATUS(node_->ensure_empty_directory());
  {
    Config c = TRY(Config::load_or_default(config_path_));
    std::lock_guard lock(config_mu_);
    config_ = std::make_shared<const Config>(std::move(c));
    token_ = std::make_shared<const std::string>(str(*config_, "daemon.api_token"));
  }
  config_mtime_ns_ = mtime_ns(config_path_);
  const Config& cfg = *config();

  ::mkdir((repo_ + "/logs").c_str(), 0755);
  logging::Options lo;
  lo.file = repo_ + "/logs/daemon.log";
  lo.to_stderr = o_.log_to_stderr;
  lo.level = o_.debug ? "DEBUG" : str(cfg, "daemon.log_level");
  lo.rotation_interval_seconds = integer(cfg, "daemon.log_rotation_interval", 3600);
  TRY_STATUS(logging::init(lo));
  logging::info("daemon", "starting", {{"version", kVersion}, {"repo", repo_}, {"pid", std::to_string(::getpid())}});

  client_ = std::make_unique<api::LocalClient>(*node_, *this, config_path_);
  rpc_ctx_.node = node_.get();
  rpc_ctx_.config = [this] { return config(); };
  rpc_ctx_.repo_path = repo_;
  gateway_ctx_.node = node_.get();

  psa::ServiceOptions po;
  po.node = node_.get();
  po.download_dir = repo_ + "/tmp";
  po.delegates = [this]() -> std::vector<std::string> {
    // This node, as the peers of the Pinning Service API see it: its gateway
    // (HTTP) and its peer ID.
    if (!gateway_) return {};
    const std::string addr = gateway_->address();
    const auto colon = addr.rfind(':');
    std::string host = addr.substr(0, colon);
    const bool v6 = !host.empty() && host.front() == '[';
    if (v6) host = host.substr(1, host.size() - 2);
    return {std::string(v6 ? "/ip6/" : "/ip4/") + host + "/tcp/" + addr.substr(colon + 1) + "/http/p2p/" +
            node_->repo().identity().peer_id};
  };
  psa_ = TRY(psa::PinningService::start(std::move(po)));

  backends::RegistryOptions bo;
  bo.repo = repo_;
  bo.node = node_.get();
  bo.embedded_serving = [this] { return serving_.load(); };
  bo.set_embedded_serving = [this](bool on) { serving_.store(on); };
  bo.origins = [this]() -> std::vector<std::string> {
    // Where a pinning service fetches our DAGs: the gateway, as a multiaddr.
    if (!gateway_) return {};
    const std::string addr = gateway_->address();
    const auto colon = addr.rfind(':');
    std::string host = addr.substr(0, colon);
    const bool v6 = !host.empty() && host.front() == '[';
    if (v6) host = host.substr(1, host.size() - 2);
    return {std::string(v6 ? "/ip6/" : "/ip4/") + host + "/tcp/" + addr.substr(colon + 1) + "/http"};
  };
  backends_ = std::make_unique<backends::Registry>(std::move(bo));
  apply_retrieval(cfg);

  TRY_STATUS(listen_all());
  start_mounts(cfg);
  started_ = now_unix();
  TRY_STATUS(write_state_files());
  backends_->configure(cfg);  // starts the processes of auto_start backends
  backends_->start();         // health rounds
  reconciler_ = std::make_unique<replication::Reconciler>(*node_, *backends_);
  if (auto st = replication::ReplicaIndex::create_schema(node_->repo().db()); !st)
    return make_error(st.error().code(), "replica index: " + st.error().message());
  replication_thread_ = std::thread([this] { replication_loop(); });
  logging::info("daemon", "listening",
                {{"api", "http://" + api_->address()}, {"rpc", "http://" + rpc_->address()},
                 {"gateway", "http://" + gateway_->address()},
                 {"mcp", mcp_listener_ ? "http://" + mcp_listener_->address() + "/mcp" : "disabled"}});
  return {};
}

Status Service::listen_all() {
  const Config& cfg = *config();
  api_ = std::make_unique<http::Server>("management API", limits_for(cfg));
  rpc_ = std::make_unique<http::Server>("Kubo RPC", limits_for(cfg));
  gateway_ = std::make_unique<http::Server>("gateway", limits_for(cfg));
  const std::string sendfile = str(cfg, "daemon.gateway_sendfile");
  gateway_->set_sendfile(sendfile == "always"  ? http::Sendfile::kAlways
                         : sendfile == "never" ? http::Sendfile::kNever
                                               : http::Sendfile::kToOtherHosts);

  register_api_routes(*api_, *this);
  backends::register_api_routes(*api_, *backends_, backend_operation_routes(*this));
  psa_->register_routes(*api_, "/psa");
  rpc::register_routes(*rpc_, rpc_ctx_);
  gateway::register_routes(*gateway_, gateway_ctx_);

  api_->set_filter([this](const http::Request& req) -> std::optional<http::Response> {
    // The Pinning Service API authenticates with its own tokens.
    if (req.path == "/psa" || req.path.rfind("/psa/", 0) == 0) return std::nullopt;
    // Liveness and readiness probes (Kubernetes, Docker, load balancers)
    // cannot send a secret: /health answers without the token.
    if (req.path == "/health" && req.method == "GET") return std::nullopt;
    if (auto denied = filter_auth(req)) {
      http::Response r = http::Response::json(401, nlohmann::json({{"error", denied->message()}}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ipfs-kit\"");
      return r;
    }
    return std::nullopt;
  });
  rpc_->set_filter([this](const http::Request& req) -> std::optional<http::Response> {
    // Kubo's cross-origin protection: a browser page from another origin may
    // not drive the RPC. Requests without Origin/Referer (CLIs, scripts) pass.
    for (const char* header : {"origin", "referer"}) {
      auto v = req.header(header);
      if (!v || v->empty()) continue;
      std::string origin = *v;
      if (std::string_view(header) == "referer") {
        auto scheme = origin.find("://");
        auto slash = scheme == std::string::npos ? std::string::npos : origin.find('/', scheme + 3);
        if (slash != std::string::npos) origin = origin.substr(0, slash);
      }
      if (std::find(allowed_origins_.begin(), allowed_origins_.end(), origin) == allowed_origins_.end())
        return http::Response::text(403, "403 - Forbidden\n");
    }
    if (auto denied = filter_auth(req)) {
      http::Response r = http::Response::json(
          401, nlohmann::json({{"Message", denied->message()}, {"Code", 0}, {"Type", "error"}}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ipfs-kit\"");
      return r;
    }
    if (!serving_) return http::Response::json(503, R"({"Message":"the ipfs backend is stopped","Code":0,"Type":"error"})" "\n");
    return std::nullopt;
  });
  gateway_->set_filter([this](const http::Request&) -> std::optional<http::Response> {
    if (!serving_) return http::Response::text(503, "the ipfs backend is stopped\n");
    return std::nullopt;
  });
  api_->set_observer([this](const http::Request& r, int s, double t, uint64_t b) { observe(api_stats_, "api", r, s, t, b); });
  rpc_->set_observer([this](const http::Request& r, int s, double t, uint64_t b) { observe(rpc_stats_, "rpc", r, s, t, b); });
  gateway_->set_observer(
      [this](const http::Request& r, int s, double t, uint64_t b) { observe(gateway_stats_, "gateway", r, s, t, b); });

  TRY_STATUS(api_->listen(str(cfg, "daemon.api_address")));
  TRY_STATUS(rpc_->listen(str(cfg, "daemon.rpc_address")));
  TRY_STATUS(gateway_->listen(str(cfg, "daemon.gateway_address")));
  // MCP: the same server `ipfs-kit mcp serve` runs, over this daemon's client
  // (its node and its Operations), so tools reach backends, health and
  // replication directly. Other routes (the dashboard) attach to
  // mcp_listener_->http() before start().
  if (const std::string mcp_address = str(cfg, "daemon.mcp_address"); !mcp_address.empty()) {
    mcp_ = std::make_unique<mcp::Server>(*client_, mcp::server_options_from(cfg));
    mcp::ListenerOptions lo;
    lo.address = mcp_address;
    lo.token = [this] {
      std::lock_guard lock(config_mu_);
      return token_ ? *token_ : std::string();
    };
    lo.allowed_hosts = mcp::allowed_hosts_from(cfg);
    lo.limits = limits_for(cfg);
    mcp_listener_ = std::make_unique<mcp::Listener>(*mcp_, lo);
    mcp_listener_->set_observer(
        [this](const http::Request& r, int s, double t, uint64_t b) { observe(mcp_stats_, "mcp", r, s, t, b); });
    TRY_STATUS(mcp_listener_->listen());
  }
  const std::string port = std::to_string(rpc_->port());
  allowed_origins_ = {"http://127.0.0.1:" + port, "http://localhost:" + port, "http://[::1]:" + port,
                      "https://127.0.0.1:" + port, "https://localhost:" + port};

  // Threads: the gateway's small responses are answered on its I/O threads;
  // RPC work (adds, exports) runs on workers.
  const size_t cores = std::max<size_t>(1, std::thread::hardware_concurrency());
  api_->start(1, 4);  // workers: health rounds and backend transfers
  rpc_->start(1, 8);
  gateway_->start(cores, 8);
  if (mcp_listener_) mcp_listener_->start();
  return {};
}

Status Service::write_state_files() {
  state_.pid = ::getpid();
  state_.started = started_;
  state_.api = api_->address();
  state_.rpc = rpc_->address();
  state_.gateway = gateway_->address();
  state_.mcp = mcp_listener_ ? mcp_listener_->address() : "";
  state_.repo = repo_;
  state_.version = kVersion;
  state_.log_file = repo_ + "/logs/daemon.log";
  const std::string pid_text = std::to_string(state_.pid) + "\n";
  TRY_STATUS(write_file_atomic(pid_path(repo_, str(*config(), "daemon.pid_file")), as_bytes(pid_text)));
  const std::string json = state_.to_json().dump(2) + "\n";
  return write_file_atomic(state_path(repo_), as_bytes(json));
}

void Service::remove_state_files() {
  if (repo_.empty()) return;
  ::unlink(state_path(repo_).c_str());
  if (auto c = config()) ::unlink(pid_path(repo_, str(*c, "daemon.pid_file")).c_str());
}

void Service::loop() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (auto w = notifier_.watchdog_interval())
    logging::info("systemd", "watchdog enabled", {{"interval_ms", std::to_string(w->count() / 1000)}});
  for (;;) {
    const auto wait = notifier_.next_wakeup();
    timespec timeout{static_cast<time_t>(wait.count() / 1000), static_cast<long>(wait.count() % 1000) * 1000000};
    int sig = ::sigtimedwait(&set, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      logging::info("daemon", "stopping", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      notifier_.stopping();
      return;
    }
    notifier_.ping_watchdog();
    if (sig == SIGHUP) {
      notifier_.reloading();
      reload_config("SIGHUP");
      config_mtime_ns_ = mtime_ns(config_path_);
      notifier_.ready("reloaded the configuration; serving");
    }
    // Periodic work, about once a second (more often when a short watchdog
    // interval wakes the loop; all of it is cheap).
    const int64_t m = mtime_ns(config_path_);
    if (m != config_mtime_ns_) {
      config_mtime_ns_ = m;
      reload_config("config file changed");
    }
  }
}

void Service::apply_retrieval(const Config& cfg) {
  // Reads fall back to the registry's healthy backends (retrieval/sources.h).
  const retrieval::RetrievalSettings rs = retrieval::settings_of(cfg);
  if (!rs.fallback) {
    node_->set_fallback(nullptr);
    return;
  }
  core::FallbackOptions fo;
  fo.cache = rs.cache;
  if (!fallback_) fallback_ = std::make_shared<retrieval::BackendFallback>(std::make_shared<retrieval::RegistrySources>(*backends_));
  node_->set_fallback(fallback_, fo);
}

Result<nlohmann::json> Service::backend_restore(const std::string& name, const api::BackendRestoreRequest& request) {
  std::shared_ptr<backends::Backend> b = TRY(backends_->get(name));
  return api::restore_from_backend(*b, *node_, request);
}

void Service::reload_config(const std::string& why) {
  std::lock_guard reload_lock(reload_mu_);  // the main loop and API changes may both reload
  auto loaded = Config::load_or_default(config_path_);
  if (!loaded) {
    logging::error("config", "reload failed; keeping the running configuration",
                   {{"reason", why}, {"error", loaded.error().message()}});
    return;
  }
  auto old = config();
  std::vector<std::string> changed, needs_restart;
  for (const ConfigKey& k : config_schema()) {
    if (k.path.rfind("backends.", 0) == 0) continue;  // below, a section at a time
    auto a = old->get(k.path), b = loaded->get(k.path);
    if (a && b && *a == *b) continue;
    changed.push_back(k.path);
    if (k.needs_restart) needs_restart.push_back(k.path);
  }
  {
    std::vector<std::string> names = old->backend_names();
    for (const auto& n : loaded->backend_names())
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    for (const auto& n : names) {
      auto a = old->get("backends." + n), b = loaded->get("backends." + n);
      if (!a || !b || *a != *b) changed.push_back("backends." + n);
    }
  }
  {
    std::lock_guard lock(config_mu_);
    config_ = std::make_shared<const Config>(std::move(*loaded));
    token_ = std::make_shared<const std::string>(str(*config_, "daemon.api_token"));
    for (const auto& k : needs_restart)
      if (std::find(pending_restart_.begin(), pending_restart_.end(), k) == pending_restart_.end())
        pending_restart_.push_back(k);
  }
  const Config& cfg = *config();
  if (!o_.debug) {
    if (auto st = logging::set_level(str(cfg, "daemon.log_level")); !st)
      logging::error("config", st.error().message());
  }
  logging::set_rotation_interval(integer(cfg, "daemon.log_rotation_interval", 3600));
  backends_->configure(cfg);
  apply_retrieval(cfg);
  std::string list;
  for (const auto& k : changed) list += (list.empty() ? "" : ",") + k;
  logging::info("config", "reloaded", {{"reason", why}, {"changed", list.empty() ? "none" : list}});
  for (const auto& k : needs_restart)
    logging::warn("config", "this change takes effect after a restart (ipfs-kit daemon restart)", {{"key", k}});
}

nlohmann::json Service::backends_json(bool check_now) {
  if (check_now) backends_->check_now();
  auto j = backends_->backends_json();
  return j ? *j : nlohmann::json::object();
}

Result<nlohmann::json> Service::set_backend_running(const std::string& name, bool running) {
  return backends_->set_running(name, running);
}

Result<nlohmann::json> Service::backend_push(const std::string& name, const api::BackendPushRequest& r) {
  backends::PushOptions o;
  o.cid = r.cid;
  o.name = r.name;
  o.meta = r.meta;
  o.verify = r.verify;
  o.replication_min = r.replication_min;
  o.replication_max = r.replication_max;
  return backends_->push(name, o);
}

replication::Settings Service::replication_settings() {
  const auto cfg = config();
  replication::Settings r;
  r.enabled = boolean(*cfg, "replication.enabled", true);
  r.auto_replication = boolean(*cfg, "replication.auto_replication", true);
  r.min = static_cast<int>(integer(*cfg, "replication.min_replicas", 2));
  r.max = static_cast<int>(integer(*cfg, "replication.max_replicas", 5));
  r.repair_grace_seconds = static_cast<int>(integer(*cfg, "replication.repair_grace", 600));
  r.verify_interval_seconds = static_cast<int>(integer(*cfg, "replication.verify_interval", 3600));
  r.verify_sample = static_cast<int>(integer(*cfg, "replication.verify_sample", 20));
  r.concurrency = static_cast<size_t>(integer(*cfg, "replication.concurrency", 4));
  return r;
}

nlohmann::json Service::replication_json() {
  const auto cfg = config();
  if (!reconciler_) return {{"enabled", false}, {"error", "the daemon is starting"}};
  auto j = reconciler_->status(replication_settings());
  if (!j) return {{"error", j.error().message()}};
  (*j)["check_interval"] = integer(*cfg, "replication.check_interval", 300);
  (*j)["last_check"] = iso_time(last_replication_check_unix_);
  return *j;
}

Result<nlohmann::json> Service::replication_status_of(const Cid& cid) {
  if (!reconciler_) return make_error(Code::kUnavailable, "the daemon is starting");
  return reconciler_->status_of(replication_settings(), cid);
}

Result<nlohmann::json> Service::route_suggest(uint64_t size) {
  if (!reconciler_) return make_error(Code::kUnavailable, "the daemon is starting");
  return reconciler_->suggest(replication_settings(), size);
}

Result<nlohmann::json> Service::route_optimize(const std::vector<Cid>& cids, bool apply, const CancelToken* cancel) {
  if (!reconciler_) return make_error(Code::kUnavailable, "the daemon is starting");
  return reconciler_->optimize(replication_settings(), cids, apply, cancel ? cancel : &replication_cancel_);
}

void Service::replication_loop() {
  std::unique_lock lock(replication_mu_);
  for (;;) {
    const auto cfg = config();
    const auto interval = std::chrono::seconds(integer(*cfg, "replication.check_interval", 300));
    // The first pass soon after the start (resuming what a stop interrupted).
    const auto wait = last_replication_check_unix_ == 0 ? std::chrono::seconds(2) : interval;
    if (replication_cv_.wait_for(lock, wait, [this] { return replication_stopping_; })) return;
    lock.unlock();
    if (boolean(*config(), "replication.enabled", true)) (void)replication_pass(&replication_cancel_);
    else last_replication_check_unix_ = now_unix();
    lock.lock();
  }
}

Result<nlohmann::json> Service::health() {
  nlohmann::json summary = backends_->summary();
  return nlohmann::json{{"status", summary["status"]},
                        {"version", kVersion},
                        {"pid", state_.pid},
                        {"uptime_seconds", now_unix() - started_},
                        {"backends", summary["backends"]}};
}

Result<std::vector<std::string>> Service::log_lines(const api::LogQuery& q) {
  return api::read_log_lines(repo_, q);
}

Result<nlohmann::json> Service::set_config(const std::string& key, const std::string& value) {
  Config c = TRY(Config::load_or_default(config_path_));
  TRY_STATUS(c.set(key, value));
  TRY_STATUS(c.save(config_path_));
  // Apply now rather than at the next file check.
  reload_config("API change");
  config_mtime_ns_ = mtime_ns(config_path_);
  if (!c.get(key)) return nlohmann::json();  // removed (a backend set to null)
  return client_->config_get(key);
}

Result<nlohmann::json> Service::replication_sync(const api::ReplicationSyncRequest& request) {
  std::function<void(uint64_t, uint64_t)> progress;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_report{};
  if (request.on_progress) {
    // The reconciler reports every finished pin (serialized); the caller
    // wants a few reports a second, and the last one whatever its timing.
    progress = [&](uint64_t done, uint64_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (done < total && now - last_report < std::chrono::milliseconds(200)) return;
      last_report = now;
      request.on_progress({{"pins_done", done},
                           {"pins_total", total},
                           {"seconds", std::chrono::duration<double>(now - start).count()}});
    };
  }
  return replication_pass(request.cancel ? request.cancel : &replication_cancel_, progress);
}

Result<nlohmann::json> Service::replication_pass(const CancelToken* cancel,
                                                 const std::function<void(uint64_t, uint64_t)>& progress) {
  if (!reconciler_) return make_error(Code::kUnavailable, "the daemon is starting");
  last_replication_check_unix_ = now_unix();
  auto report = TRY(reconciler_->pass(replication_settings(), progress, cancel));
  nlohmann::json j = replication::to_json(report);
  j["status"] = report.cancelled ? "cancelled" : "completed";
  j["repaired"] = report.copied;  // the seeds' name for copies made
  return j;
}

nlohmann::json Service::status_json() {
  const auto cfg = config();
  nlohmann::json config_doc = api::redact_config(cfg->document());
  std::vector<std::string> pending;
  {
    std::lock_guard lock(config_mu_);
    pending = pending_restart_;
  }
  return {{"daemon",
           {{"running", true},
            {"pid", state_.pid},
            {"version", kVersion},
            {"started_at", iso_time(started_)},
            {"uptime_seconds", now_unix() - started_},
            {"repository", repo_},
            {"addresses", {{"api", state_.api}, {"rpc", state_.rpc}, {"gateway", state_.gateway}, {"mcp", state_.mcp}}},
            {"log_file", state_.log_file}}},
          {"backends", backends_json(false)},
          {"replication", replication_json()},
          {"config", config_doc},
          {"pending_restart", pending}};
}

std::string Service::metrics_text() {
  metrics::Writer w;
  if (mcp_listener_) metrics::write_http_families(w, {&api_stats_, &rpc_stats_, &gateway_stats_, &mcp_stats_});
  else metrics::write_http_families(w, {&api_stats_, &rpc_stats_, &gateway_stats_});
  w.family("ipfskit_http_connections", "gauge", "Open HTTP connections, by listener.");
  w.sample("ipfskit_http_connections", {{"listener", "api"}}, static_cast<uint64_t>(api_->active_connections()));
  w.sample("ipfskit_http_connections", {{"listener", "rpc"}}, static_cast<uint64_t>(rpc_->active_connections()));
  w.sample("ipfskit_http_connections", {{"listener", "gateway"}}, static_cast<uint64_t>(gateway_->active_connections()));
  if (mcp_listener_)
    w.sample("ipfskit_http_connections", {{"listener", "mcp"}},
             static_cast<uint64_t>(mcp_listener_->http().active_connections()));

  std::optional<core::RepoStat> stat;
  {
    std::lock_guard lock(stat_mu_);
    if (!stat_cache_ || std::chrono::steady_clock::now() - stat_time_ > std::chrono::seconds(10)) {
      if (auto s = node_->repo_stat()) {
        stat_cache_ = *s;
        stat_time_ = std::chrono::steady_clock::now();
      }
    }
    stat = stat_cache_;
  }
  if (stat) {
    w.family("ipfskit_repo_blocks", "gauge", "Blocks in the repository.");
    w.sample("ipfskit_repo_blocks", {}, stat->blocks);
    w.family("ipfskit_repo_block_bytes", "gauge", "Bytes of block data in the repository.");
    w.sample("ipfskit_repo_block_bytes", {}, stat->block_bytes);
    w.family("ipfskit_repo_disk_bytes", "gauge", "Bytes the repository's packs and index take on disk.");
    w.sample("ipfskit_repo_disk_bytes", {}, stat->disk_bytes);
    w.family("ipfskit_pins", "gauge", "Explicit pins (recursive and direct).");
    w.sample("ipfskit_pins", {}, stat->pins);
  }
  backends_->write_metrics(w);
  // Reads that fell back (retrieval/sources.h): what each backend did with
  // the blocks asked of it, and what the node did with what it got.
  // Summed over backends, so that every result always has its sample; the
  // log names the backend behind a refusal.
  w.family("ipfskit_fallback_blocks_total", "counter",
           "Blocks reads asked of backends because the repository lacked them, by result (served, not_found, refused, failed).");
  {
    const nlohmann::json per = fallback_ ? fallback_->stats_json() : nlohmann::json::object();
    for (const char* result : {"served", "not_found", "refused", "failed"}) {
      uint64_t n = 0;
      for (auto it = per.begin(); it != per.end(); ++it) n += it.value().value(result, uint64_t{0});
      w.sample("ipfskit_fallback_blocks_total", {{"result", result}}, n);
    }
  }
  const core::FallbackStats fs = node_->read_through().stats();
  w.family("ipfskit_fallback_cached_blocks_total", "counter", "Blocks fetched by reads that were kept in the repository (unpinned).");
  w.sample("ipfskit_fallback_cached_blocks_total", {}, fs.cached_blocks);
  w.family("ipfskit_fallback_cache_failures_total", "counter",
           "Blocks fetched by reads that could not be kept (queue full, repository refused the write); served anyway.");
  w.sample("ipfskit_fallback_cache_failures_total", {}, fs.cache_failures);
  if (reconciler_) reconciler_->write_metrics(w, replication_settings());
  w.family("ipfskit_daemon_start_time_seconds", "gauge", "When the daemon started, in unix seconds.");
  w.sample("ipfskit_daemon_start_time_seconds", {}, static_cast<uint64_t>(started_));
  w.family("ipfskit_build_info", "gauge", "The running version (always 1).");
  w.sample("ipfskit_build_info", {{"version", kVersion}}, uint64_t{1});
  if (auto p = metrics::read_process_stats()) metrics::write_process_families(w, *p);
  return w.text();
}

void Service::start_mounts(const Config& cfg) {
  auto list = cfg.get("vfs.mounts");
  if (!list || !list->is_array()) return;
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return logging::error("vfs", "cannot find this executable to run mounts", {});
  exe[n] = 0;
  for (const auto& m : *list) {
    std::string mp = m.value("mountpoint", "");
    std::string source = m.contains("source") && m["source"].is_string() ? m["source"].get<std::string>() : "";
    std::vector<std::string> args = {exe, "--repo", repo_};
    if (!o_.config_path.empty()) args.insert(args.end(), {"--config", o_.config_path});
    if (source.empty()) args.insert(args.end(), {"vfs", "mount", mp});
    else args.insert(args.end(), {"vfs", "mount", source, "--mount-point", mp});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string log = repo_ + "/logs/vfs.log";
    pid_t pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls here: the daemon has threads.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0) ::dup2(null, 0);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (pid < 0) {
      logging::error("vfs", "could not start a mount", {{"mountpoint", mp}});
      continue;
    }
    mounts_.emplace_back(pid, mp);
    logging::info("vfs", "mounting", {{"mountpoint", mp}, {"source", source.empty() ? "ipfs/ mfs/ pins/" : source},
                                      {"pid", std::to_string(pid)}, {"log", log}});
  }
}

void Service::stop_mounts() {
  for (auto& [pid, mp] : mounts_) ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (auto& [pid, mp] : mounts_) {
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        logging::error("vfs", "mount process did not stop; killing it", {{"mountpoint", mp}});
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    logging::info("vfs", "unmounted", {{"mountpoint", mp}});
  }
  mounts_.clear();
}

void Service::shutdown() {
  if (!node_) return;
  stop_mounts();
  // MCP first: its event streams end (subscriptions get their closing
  // result), then its requests finish, while the node is still open.
  if (mcp_) mcp_->shutdown();
  if (mcp_listener_) mcp_listener_->stop();
  mcp_listener_.reset();
  mcp_.reset();
  // In-flight requests finish (up to 10 s) before the node closes.
  for (auto* s : {gateway_.get(), rpc_.get(), api_.get()})
    if (s != nullptr) s->stop(10);
  gateway_.reset();
  rpc_.reset();
  api_.reset();
  psa_.reset();
  if (replication_thread_.joinable()) {
    {
      std::lock_guard lock(replication_mu_);
      replication_stopping_ = true;
    }
    replication_cancel_.cancel();
    replication_cv_.notify_all();
    replication_thread_.join();
  }
  reconciler_.reset();
  node_->set_fallback(nullptr);  // it reads through the registry, which goes next
  if (backends_) backends_->shutdown();  // supervised processes stop with the daemon
  remove_state_files();
  node_.reset();
  logging::info("daemon", "stopped");
  logging::shutdown();
  lock_.reset();
}

int run(const Options& options) {
  // Signals are taken synchronously by the main loop: block them before any
  // thread starts so that every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Block reads allocate 256 KiB buffers over and over. Above glibc's mmap
  // threshold each one is a fresh mapping (page faults, zeroed pages, unmap);
  // from the heap they are reused. The heap keeps at most 8 MiB free.
  ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 8 << 20);

  auto report = [&](const std::string& line) {
    if (options.ready_fd < 0) return;
    std::string l = line + "\n";
    (void)!::write(options.ready_fd, l.data(), l.size());
    ::close(options.ready_fd);
  };

  Service service(options);
  Status st = service.start();
  if (!st) {
    const int code = exit_status(st.error().code());
    logging::error("daemon", "failed to start", {{"error", st.error().message()}});
    if (options.ready_fd >= 0) report("error " + std::to_string(code) + " " + st.error().message());
    else std::fprintf(stderr, "Error: %s\n", st.error().message().c_str());
    service.shutdown();
    return code;
  }
  auto status = service.status_json();
  const auto& a = status["daemon"]["addresses"];
  if (options.ready_fd >= 0) {
    report("ok");
  } else {
    const std::string mcp_address = a["mcp"].get<std::string>();
    const std::string mcp_line = mcp_address.empty() ? "" : "  MCP:     http://" + mcp_address + "/mcp\n";
    std::printf("ipfs-kit daemon %s running (pid %d)\n  API:     http://%s\n  RPC:     http://%s/api/v0\n  Gateway: http://%s/ipfs/\n"
                "%s  Repo:    %s\nPress Ctrl-C to stop.\n",
                kVersion, static_cast<int>(::getpid()), a["api"].get<std::string>().c_str(),
                a["rpc"].get<std::string>().c_str(), a["gateway"].get<std::string>().c_str(), mcp_line.c_str(),
                options.repo.c_str());
    std::fflush(stdout);
  }
  service.notifier().ready("serving: API http://" + a["api"].get<std::string>() + ", RPC http://" +
                           a["rpc"].get<std::string>() + ", gateway http://" + a["gateway"].get<std::string>() +
                           (a["mcp"].get<std::string>().empty() ? "" : ", MCP http://" + a["mcp"].get<std::string>() + "/mcp"));
  service.loop();
  service.shutdown();
  return 0;
}

}  // namespace ipfskit::daemon
