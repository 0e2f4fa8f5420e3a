#include "backends/registry.h"

#include <array>

#include "backends/json_util.h"
#include "config/backends.h"
#include "core/node.h"
#include "repo/pins.h"
#include "log/log.h"

namespace ipfskit::backends {

using nlohmann::json;

struct Registry::Histogram {
  static constexpr std::array<double, 13> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1,     2.5,  5,     10};
  std::array<std::atomic<uint64_t>, kBuckets.size()> counts{};  // not cumulative
  std::atomic<uint64_t> count{0}, sum_us{0};
  void observe(double seconds) {
    for (size_t i = 0; i < kBuckets.size(); ++i)
      if (seconds <= kBuckets[i]) {
        counts[i]++;
        break;
      }
    count++;
    sum_us += static_cast<uint64_t>(seconds * 1e6);
  }
};

struct Registry::Entry {
  std::string name, type;
  json section;
  bool enabled = true, auto_start = true;
  std::shared_ptr<Backend> backend;
  std::string unconfigured;  // why it could not be built
  Capabilities caps;
  std::shared_ptr<SupervisedProcess> process;
  std::mutex mu;  // health
  HealthState health;
  std::shared_ptr<std::atomic<bool>> busy = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<Histogram> probe_seconds = std::make_shared<Histogram>();
  std::shared_ptr<std::atomic<uint64_t>> probes_ok = std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<std::atomic<uint64_t>> probes_failed = std::make_shared<std::atomic<uint64_t>>(0);
  std::shared_ptr<std::atomic<uint64_t>> alerts = std::make_shared<std::atomic<uint64_t>>(0);
};

namespace {

int int_key(const Config& c, const char* key, int def) {
  auto v = c.get(key);
  return v && v->is_number_integer() ? v->get<int>() : def;
}

std::string iso_ms(int64_t ms) { return ms == 0 ? "" : format_time(ms / 1000); }

std::optional<ProcessSpec> process_spec(const std::string& name, const json& section, const std::string& repo, int rotation) {
  if (name == "ipfs" || !section.contains("command") || !section["command"].is_string()) return std::nullopt;
  ProcessSpec p;
  p.name = name;
  p.command = section["command"].get<std::string>();
  if (section.contains("args") && section["args"].is_array())
    for (const auto& a : section["args"])
      if (a.is_string()) p.args.push_back(a.get<std::string>());
  if (section.contains("env") && section["env"].is_object())
    for (auto& [k, v] : section["env"].items())
      if (v.is_string()) p.env[k] = v.get<std::string>();
  if (section.contains("cwd") && section["cwd"].is_string()) p.cwd = section["cwd"].get<std::string>();
  p.log_path = repo + "/logs/backends/" + name + ".log";
  p.log_rotation_seconds = rotation;
  return p;
}

}  // namespace

Registry::Registry(RegistryOptions options) : o_(std::move(options)) {}

Registry::~Registry() { shutdown(); }

void Registry::configure(const Config& config) {
  std::vector<std::shared_ptr<SupervisedProcess>> to_stop;
  std::vector<std::shared_ptr<Entry>> to_start;
  {
    std::lock_guard lock(mu_);
    interval_seconds_ = int_key(config, "daemon.health_check_interval", 30);
    timeout_seconds_ = int_key(config, "daemon.health_check_timeout", 5);
    log_rotation_seconds_ = int_key(config, "daemon.log_rotation_interval", 3600);
    auto hc = config.get("monitoring.health_checks");
    health_checks_ = !hc || !hc->is_boolean() || hc->get<bool>();
    Environment env;
    env.node = o_.node;
    env.embedded_serving = o_.embedded_serving;
    env.request_timeout = std::chrono::milliseconds(60000);

    std::map<std::string, std::shared_ptr<Entry>> next;
    for (const std::string& name : config.backend_names()) {
      json section = *config.get("backends." + name);
      auto old = entries_.find(name);
      if (old != entries_.end() && old->second->section == section) {
        next[name] = old->second;
        continue;
      }
      auto e = std::make_shared<Entry>();
      e->name = name;
      e->type = backend_type_of(name, section).value_or("?");
      e->section = section;
      e->enabled = section.value("enabled", true);
      e->auto_start = section.value("auto_start", true);
      std::vector<std::string> missing = missing_fields(name, section);
      if (!missing.empty()) {
        e->unconfigured = describe_missing(name, section, missing);
      } else {
        auto b = make_backend(name, section, env);
        if (b) {
          e->backend = std::shared_ptr<Backend>(std::move(*b));
          e->caps = e->backend->capabilities();
        } else {
          e->unconfigured = b.error().message();
        }
      }
      auto spec = process_spec(name, section, o_.repo, log_rotation_seconds_);
      if (old != entries_.end()) {
        auto& prev = old->second;
        // Keep a running process whose command line did not change.
        if (prev->process && spec && prev->process->spec() == *spec) e->process = prev->process;
        else if (prev->process) to_stop.push_back(prev->process);
        if (prev->type == e->type) {
          // The same backend, reconfigured: its history carries on.
          std::lock_guard hl(prev->mu);
          e->health = prev->health;
          e->probe_seconds = prev->probe_seconds;
          e->probes_ok = prev->probes_ok;
          e->probes_failed = prev->probes_failed;
          e->alerts = prev->alerts;
        }
        logging::info("backends", "backend reconfigured", {{"backend", name}, {"type", e->type}});
      } else {
        logging::info("backends", "backend configured", {{"backend", name}, {"type", e->type},
                                                         {"state", e->unconfigured.empty() ? "ready" : "unconfigured"}});
      }
      if (spec && !e->process) e->process = std::make_shared<SupervisedProcess>(*spec);
      if (e->process) {
        if (e->enabled && e->auto_start) to_start.push_back(e);
        else if (!e->enabled) to_stop.push_back(e->process);
      }
      next[name] = e;
    }
    for (auto& [name, e] : entries_) {
      if (next.count(name) != 0) continue;
      if (e->process) to_stop.push_back(e->process);
      logging::info("backends", "backend removed", {{"backend", name}});
    }
    entries_ = std::move(next);
  }
  for (auto& p : to_stop) p->stop();
  {
    // New and changed backends get their first check now, not an interval later.
    std::lock_guard lock(loop_mu_);
    wake_ = true;
    loop_cv_.notify_all();
  }
  for (auto& e : to_start) {
    Status st = e->process->start();
    if (!st) {
      logging::error("backends", "cannot start the backend's process", {{"backend", e->name}, {"error", st.error().message()}});
      std::lock_guard hl(e->mu);
      e->health.record_state(unix_now_ms(), Health::kUnhealthy, st.error().message());
    }
  }
}

void Registry::start() {
  std::lock_guard lock(loop_mu_);
  if (loop_.joinable()) return;
  stopping_ = false;
  loop_ = std::thread([this] { run_loop(); });
}

void Registry::shutdown() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
    loop_cv_.notify_all();
  }
  if (loop_.joinable()) loop_.join();
  std::vector<std::shared_ptr<SupervisedProcess>> procs;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : entries_)
      if (e->process) procs.push_back(e->process);
  }
  for (auto& p : procs) p->stop();
}

void Registry::run_loop() {
  for (;;) {
    {
      std::lock_guard lock(loop_mu_);
      wake_ = false;
    }
    bool enabled;
    {
      std::lock_guard lock(mu_);
      enabled = health_checks_;
    }
    if (enabled) run_round("");
    int interval;
    {
      std::lock_guard lock(mu_);
      interval = interval_seconds_;
    }
    std::unique_lock lock(loop_mu_);
    loop_cv_.wait_for(lock, std::chrono::seconds(interval), [&] { return stopping_ || wake_; });
    if (stopping_) return;
    wake_ = false;
  }
}

void Registry::check_now(const std::string& only) { run_round(only); }

void Registry::run_round(const std::string& only) {
  std::lock_guard round(round_mu_);
  std::vector<std::shared_ptr<Entry>> snapshot;
  int timeout_s;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : entries_)
      if (only.empty() || name == only) snapshot.push_back(e);
    timeout_s = timeout_seconds_;
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<ProbeTarget> targets;
  std::vector<std::shared_ptr<Entry>> probed;
  for (auto& e : snapshot) {
    std::optional<std::pair<Health, std::string>> state;
    if (!e->caps.unsupported_reason.empty()) state = {Health::kUnsupported, e->caps.unsupported_reason};
    else if (!e->enabled) state = {Health::kStopped, "disabled (backends." + e->name + ".enabled is false)"};
    else if (!e->unconfigured.empty()) state = {Health::kUnconfigured, e->unconfigured};
    else if (e->name == "ipfs" && o_.embedded_serving && !o_.embedded_serving())
      state = {Health::kStopped, "stopped (start it with: ipfs-kit backend start ipfs)"};
    else if (e->process && !e->process->wanted())
      state = {Health::kStopped, "stopped (start it with: ipfs-kit backend start " + e->name + ")"};
    if (state) {
      HealthState::Event ev;
      {
        std::lock_guard hl(e->mu);
        ev = e->health.record_state(unix_now_ms(), state->first, state->second);
      }
      handle_event(*e, ev);
      continue;
    }
    targets.push_back({e->backend, e->busy});
    probed.push_back(e);
  }
  const auto timeout = std::chrono::milliseconds(timeout_s * 1000);
  std::vector<ProbeOutcome> outcomes = probe_all(targets, timeout);
  const int64_t now = unix_now_ms();
  for (size_t i = 0; i < probed.size(); ++i) {
    Entry& e = *probed[i];
    e.probe_seconds->observe(outcomes[i].latency_ms / 1000.0);
    (outcomes[i].result ? e.probes_ok : e.probes_failed)->fetch_add(1);
    HealthState::Event ev;
    Health before, after;
    std::string error;
    {
      std::lock_guard hl(e.mu);
      before = e.health.status();
      ev = e.health.record_probe(now, outcomes[i].latency_ms, outcomes[i].result, static_cast<double>(timeout.count()) / 2);
      after = e.health.status();
      error = e.health.error();
    }
    if (before != after && ev == HealthState::Event::kNone)
      logging::info("health", "backend status", {{"backend", e.name}, {"status", health_name(after)}, {"error", error}});
    handle_event(e, ev);
  }
  std::lock_guard lock(mu_);
  last_round_ms_ = now;
  last_round_duration_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  last_round_probes_ = probed.size();
}

void Registry::handle_event(Entry& e, HealthState::Event ev) {
  if (ev == HealthState::Event::kNone) return;
  std::string error;
  int64_t since = 0;
  {
    std::lock_guard hl(e.mu);
    error = e.health.error();
    since = e.health.down_since_ms();
  }
  std::lock_guard lock(mu_);
  if (ev == HealthState::Event::kDown) {
    Alert a;
    a.id = next_alert_id_++;
    a.backend = e.name;
    a.started_ms = since != 0 ? since : unix_now_ms();
    a.error = error;
    alerts_.push_back(a);
    e.alerts->fetch_add(1);
    logging::warn("health", "backend down", {{"backend", e.name}, {"alert", std::to_string(a.id)},
                                             {"missed_probes", std::to_string(kMissedProbesForDown)}, {"error", error}});
  } else {
    for (auto& a : alerts_)
      if (a.backend == e.name && a.resolved_ms == 0) {
        a.resolved_ms = unix_now_ms();
        logging::info("health", "backend recovered",
                      {{"backend", e.name}, {"alert", std::to_string(a.id)},
                       {"down_seconds", std::to_string((a.resolved_ms - a.started_ms) / 1000)}});
      }
  }
  // Keep every open alert and the last 100 resolved ones.
  size_t resolved = 0;
  for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it)
    if (it->resolved_ms != 0) resolved++;
  while (resolved > 100) {
    for (auto it = alerts_.begin(); it != alerts_.end(); ++it)
      if (it->resolved_ms != 0) {
        alerts_.erase(it);
        break;
      }
    resolved--;
  }
}

std::shared_ptr<Registry::Entry> Registry::find(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::names() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto& [name, e] : entries_) out.push_back(name);
  return out;
}

json Registry::entry_json(Entry& e) {
  json j;
  j["name"] = e.name;
  j["type"] = e.type;
  j["enabled"] = e.enabled;
  j["auto_start"] = e.auto_start;
  j["tags"] = e.section.contains("tags") ? e.section["tags"] : json::array();
  j["failure_domain"] = e.section.value("failure_domain", "");
  bool running = e.enabled && e.unconfigured.empty() && e.caps.unsupported_reason.empty();
  if (e.name == "ipfs" && o_.embedded_serving) running = running && o_.embedded_serving();
  j["supervised"] = e.process != nullptr;
  if (e.process) {
    ProcessStatus ps = e.process->status();
    j["process"] = to_json(ps, e.process->spec().log_path);
    running = running && ps.state == "running";
  } else {
    j["process"] = nullptr;
  }
  j["running"] = running;
  {
    std::lock_guard hl(e.mu);
    const HealthState& h = e.health;
    j["health"] = health_name(h.status());
    j["error"] = h.error().empty() ? json() : json(h.error());
    j["last_check"] = iso_ms(h.last_check_ms());
    j["response_time_ms"] = h.latency_ms();
    j["consecutive_failures"] = h.consecutive_failures();
    j["down_since"] = h.down() ? json(iso_ms(h.down_since_ms())) : json();
    j["details"] = h.details();
    j["history"] = h.history_json();
  }
  j["capabilities"] = e.backend ? to_json(e.caps) : json();
  j["config"] = redact_backend(e.name, e.section);
  return j;
}

Result<json> Registry::backends_json(const std::string& only) {
  std::vector<std::shared_ptr<Entry>> snapshot;
  {
    std::lock_guard lock(mu_);
    if (!only.empty() && entries_.count(only) == 0) {
      std::string names;
      for (auto& [name, e] : entries_) names += (names.empty() ? "" : ", ") + name;
      return not_found("unknown backend \"" + only + "\" (configured: " + names + ")");
    }
    for (auto& [name, e] : entries_)
      if (only.empty() || name == only) snapshot.push_back(e);
  }
  json out = json::object();
  for (auto& e : snapshot) out[e->name] = entry_json(*e);
  return out;
}

json Registry::summary() {
  std::vector<std::shared_ptr<Entry>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : entries_) snapshot.push_back(e);
  }
  json backends = json::object();
  std::string overall = "healthy";
  for (auto& e : snapshot) {
    Health h;
    {
      std::lock_guard hl(e->mu);
      h = e->health.status();
    }
    backends[e->name] = health_name(h);
    if (h != Health::kUnhealthy) continue;
    if (e->name == "ipfs") overall = "unhealthy";
    else if (overall == "healthy") overall = "degraded";
  }
  return {{"status", overall}, {"backends", backends}};
}

json Registry::alerts_json() {
  std::lock_guard lock(mu_);
  json active = json::array(), recent = json::array();
  for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it) (it->resolved_ms == 0 ? active : recent).push_back(to_json(*it));
  return {{"active", active}, {"recent", recent}};
}

json Registry::last_round_json() {
  std::lock_guard lock(mu_);
  return {{"at", iso_ms(last_round_ms_)},
          {"duration_ms", last_round_duration_ms_},
          {"probes", last_round_probes_},
          {"interval_seconds", interval_seconds_},
          {"timeout_seconds", timeout_seconds_}};
}

Result<json> Registry::set_running(const std::string& name, bool running) {
  auto e = find(name);
  if (!e) {
    std::string names;
    for (const auto& n : this->names()) names += (names.empty() ? "" : ", ") + n;
    return not_found("unknown backend \"" + name + "\" (configured: " + names + ")");
  }
  bool changed = false;
  if (e->name == "ipfs" && o_.set_embedded_serving) {
    changed = o_.embedded_serving() != running;
    o_.set_embedded_serving(running);
  } else if (e->process) {
    if (!e->enabled && running)
      return invalid_argument("backend " + name + " is disabled; enable it first: ipfs-kit config set backends." + name +
                              ".enabled true");
    changed = e->process->wanted() != running;
    if (running) TRY_STATUS(e->process->start());
    else e->process->stop();
  } else {
    return unsupported("backend " + name + " (" + e->type +
                       ") is not a process the daemon runs (it has no command); it is used while enabled "
                       "(ipfs-kit config set backends." + name + ".enabled true|false)");
  }
  if (changed) logging::info("backend", running ? "started" : "stopped", {{"backend", name}});
  if (!running) {
    HealthState::Event ev;
    {
      std::lock_guard hl(e->mu);
      ev = e->health.record_state(unix_now_ms(), Health::kStopped, "stopped (start it with: ipfs-kit backend start " + name + ")");
    }
    handle_event(*e, ev);
  }
  return json{{"backend", name}, {"running", running}, {"changed", changed}};
}

Result<std::shared_ptr<Backend>> Registry::get(const std::string& name) {
  auto e = find(name);
  if (!e) {
    std::string names;
    for (const auto& n : this->names()) names += (names.empty() ? "" : ", ") + n;
    return not_found("unknown backend \"" + name + "\" (configured: " + names + ")");
  }
  if (!e->enabled) return make_error(Code::kUnavailable, "backend " + name + " is disabled (backends." + name + ".enabled is false)");
  if (!e->unconfigured.empty()) return make_error(Code::kUnavailable, "backend " + name + " is unconfigured: " + e->unconfigured);
  if (e->name == "ipfs" && o_.embedded_serving && !o_.embedded_serving())
    return make_error(Code::kUnavailable, "backend ipfs is stopped (ipfs-kit backend start ipfs)");
  if (e->process && !e->process->wanted())
    return make_error(Code::kUnavailable, "backend " + name + " is stopped (ipfs-kit backend start " + name + ")");
  return e->backend;
}

std::vector<Registry::ReadCandidate> Registry::read_candidates() {
  std::vector<std::shared_ptr<Entry>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : entries_) snapshot.push_back(e);
  }
  std::vector<ReadCandidate> out;
  for (auto& e : snapshot) {
    if (e->name == "ipfs" || e->type == "ipfs" || !e->backend || !e->enabled || !e->unconfigured.empty()) continue;
    if (!e->caps.get_blocks || !e->caps.unsupported_reason.empty()) continue;
    if (e->process && !e->process->wanted()) continue;
    ReadCandidate c;
    c.name = e->name;
    c.backend = e->backend;
    {
      std::lock_guard hl(e->mu);
      c.health = e->health.status();
      c.latency_ms = e->health.latency_ms();
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<BackendView> Registry::views() {
  std::vector<std::shared_ptr<Entry>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : entries_) snapshot.push_back(e);
  }
  std::vector<BackendView> out;
  for (auto& e : snapshot) {
    BackendView v;
    if (e->backend) v.info = e->backend->info();
    v.info.name = e->name;
    v.info.type = e->type;
    v.caps = e->caps;
    v.available = static_cast<bool>(get(e->name));
    {
      std::lock_guard hl(e->mu);
      v.health = e->health.status();
      v.health_error = e->health.error();
      v.latency_ms = e->health.latency_ms();
      v.down = e->health.down();
      v.down_since_ms = e->health.down_since_ms();
    }
    out.push_back(std::move(v));
  }
  return out;
}

void Registry::write_metrics(metrics::Writer& w) {
  std::vector<std::shared_ptr<Entry>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, e] : entries_) snapshot.push_back(e);
  }
  w.family("ipfskit_backend_up", "gauge", "1 when the backend's last health check passed (healthy or degraded), else 0.");
  for (auto& e : snapshot) {
    Health h;
    {
      std::lock_guard hl(e->mu);
      h = e->health.status();
    }
    w.sample("ipfskit_backend_up", {{"backend", e->name}}, uint64_t{h == Health::kHealthy || h == Health::kDegraded ? 1u : 0u});
  }
  w.family("ipfskit_backend_probe_duration_seconds", "histogram", "Health probe latency, by backend.");
  for (auto& e : snapshot) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < Histogram::kBuckets.size(); ++i) {
      cumulative += e->probe_seconds->counts[i].load();
      char le[32];
      std::snprintf(le, sizeof le, "%g", Histogram::kBuckets[i]);
      w.sample("ipfskit_backend_probe_duration_seconds_bucket", {{"backend", e->name}, {"le", le}}, cumulative);
    }
    w.sample("ipfskit_backend_probe_duration_seconds_bucket", {{"backend", e->name}, {"le", "+Inf"}},
             e->probe_seconds->count.load());
    w.sample("ipfskit_backend_probe_duration_seconds_sum", {{"backend", e->name}},
             static_cast<double>(e->probe_seconds->sum_us.load()) / 1e6);
    w.sample("ipfskit_backend_probe_duration_seconds_count", {{"backend", e->name}}, e->probe_seconds->count.load());
  }
  w.family("ipfskit_backend_probes_total", "counter", "Health probes, by backend and result.");
  for (auto& e : snapshot) {
    w.sample("ipfskit_backend_probes_total", {{"backend", e->name}, {"result", "ok"}}, e->probes_ok->load());
    w.sample("ipfskit_backend_probes_total", {{"backend", e->name}, {"result", "failed"}}, e->probes_failed->load());
  }
  w.family("ipfskit_backend_alerts_total", "counter", "Outages (a backend down after missed probes), by backend.");
  for (auto& e : snapshot) w.sample("ipfskit_backend_alerts_total", {{"backend", e->name}}, e->alerts->load());
  w.family("ipfskit_backend_process_restarts_total", "counter",
           "Restarts of a supervised backend process after it exited (0 for backends that are not processes).");
  for (auto& e : snapshot)
    w.sample("ipfskit_backend_process_restarts_total", {{"backend", e->name}},
             e->process ? e->process->status().restarts : uint64_t{0});
}

// ---- operations ----

Result<json> Registry::check(const std::string& name) {
  TRY(backends_json(name));  // NotFound for an unknown name
  check_now(name);
  json j = TRY(backends_json(name));
  return j[name];
}

Result<json> Registry::pins(const std::string& name) {
  auto b = TRY(get(name));
  json pins = json::array();
  TRY_STATUS(b->list_pins([&](const RemotePin& p) -> Status {
    pins.push_back(to_json(p));
    return {};
  }));
  return json{{"backend", name}, {"pins", pins}};
}

Result<json> Registry::push(const std::string& name, const PushOptions& o, const CancelToken* cancel) {
  if (o_.node == nullptr) return make_error(Code::kUnavailable, "no repository is open");
  PinSpec spec;
  spec.cid = o.cid;
  // The local pin's name and metadata, unless given.
  if (auto local = o_.node->repo().pins().get(o.cid); local && *local) {
    spec.name = (*local)->name.value_or("");
    spec.meta = (*local)->meta;
  }
  if (o.name) spec.name = *o.name;
  if (o.meta) spec.meta = *o.meta;
  spec.verify = o.verify;
  spec.replication_min = o.replication_min;
  spec.replication_max = o.replication_max;
  spec.origins = o.origins;
  if (spec.origins.empty() && o_.origins) spec.origins = o_.origins();
  repo::PinRequest check;
  check.cid = spec.cid;
  if (!spec.name.empty()) check.name = spec.name;
  check.meta = spec.meta;
  TRY_STATUS(repo::validate_pin(check));
  auto b = TRY(get(name));
  PinReceipt r = TRY(b->pin(spec, o_.node->repo().blocks(), cancel));
  logging::info("backends", "pushed", {{"backend", name}, {"cid", spec.cid.to_string()}, {"status", r.status},
                                      {"blocks", std::to_string(r.blocks)},
                                      {"verified_by", r.verified_by.empty() ? "none" : r.verified_by}});
  json j = to_json(r);
  j["backend"] = name;
  j["cid"] = spec.cid.to_string();
  return j;
}

Result<json> Registry::unpin(const std::string& name, const Cid& cid) {
  auto b = TRY(get(name));
  TRY_STATUS(b->unpin(cid));
  return json{{"backend", name}, {"unpinned", cid.to_string()}};
}

Result<json> Registry::verify(const std::string& name, const Cid& cid, const CancelToken* cancel) {
  auto b = TRY(get(name));
  VerifyReport r = TRY(b->verify(cid, cancel));
  json j = to_json(r);
  j["backend"] = name;
  j["cid"] = cid.to_string();
  return j;
}

Result<json> Registry::usage(const std::string& name) {
  auto b = TRY(get(name));
  Usage u = TRY(b->usage());
  return json{{"backend", name}, {"usage", to_json(u)}};
}

Result<Bytes> Registry::block(const std::string& name, const Cid& cid) {
  auto b = TRY(get(name));
  return b->get_block(cid);
}

}  // namespace ipfskit::backends
