#include "dashboard/live.h"

#include <cmath>
#include <set>

namespace ipfskit::dashboard {

using nlohmann::json;

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json error_doc(const Error& e) { return json{{"error", e.message()}, {"code", std::string(code_name(e.code()))}}; }

// Counters are per listener; a restart (a counter going down) starts over.
double rate(double now, double before, double seconds) {
  if (seconds <= 0 || now < before) return 0;
  return (now - before) / seconds;
}

}  // namespace

LiveFeed::LiveFeed(api::Client& client, LiveOptions options) : client_(client), o_(options) {}

LiveFeed::~LiveFeed() { stop(); }

void LiveFeed::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void LiveFeed::stop() {
  std::vector<std::shared_ptr<http::PushStream>> streams;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    streams.swap(streams_);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& s : streams) s->close();
}

std::string LiveFeed::frame(const std::string& event, const json& data) {
  // One data line: dump() escapes every newline inside strings.
  return "event: " + event + "\ndata: " + dump(data) + "\n\n";
}

json LiveFeed::snapshot() const {
  std::lock_guard lock(mu_);
  json s{{"identity", identity_}, {"daemon", daemon_},      {"backends", backends_},
         {"replication", replication_}, {"repo", repo_},    {"points", json::array()},
         {"latency", json::object()},    {"logs", json::array()}};
  for (const auto& p : points_) s["points"].push_back(p);
  for (const auto& [name, pts] : latency_) {
    json a = json::array();
    for (const auto& p : pts) a.push_back(p);
    s["latency"][name] = std::move(a);
  }
  for (const auto& l : log_tail_) s["logs"].push_back(l);
  if (!metrics_error_.empty()) s["metrics_error"] = metrics_error_;
  for (const auto& [k, v] : remembered_.items()) s[k] = v;
  return s;
}

void LiveFeed::subscribe(std::shared_ptr<http::PushStream> stream) {
  // Ask the browser to reconnect after 2 s if the connection drops.
  std::string first = "retry: 2000\n\n" + frame("snapshot", snapshot());
  if (!stream->send(std::move(first))) return;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      stream->close();
      return;
    }
    streams_.push_back(std::move(stream));
    last_sent_ = std::chrono::steady_clock::now();
    poke_ = true;  // the first subscriber wakes an idle poller
  }
  cv_.notify_all();
}

size_t LiveFeed::subscribers() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

void LiveFeed::broadcast(const std::string& bytes) {
  // Called with mu_ held: streams only queue bytes, never block.
  std::erase_if(streams_, [&](const std::shared_ptr<http::PushStream>& s) { return !s->send(bytes); });
  last_sent_ = std::chrono::steady_clock::now();
}

void LiveFeed::publish(const std::string& event, const json& data, bool remember) {
  std::lock_guard lock(mu_);
  if (remember) remembered_[event] = data;
  broadcast(frame(event, data));
}

void LiveFeed::poke() {
  {
    std::lock_guard lock(mu_);
    poke_ = true;
  }
  cv_.notify_all();
}

void LiveFeed::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    poll();
    lock.lock();
    const auto interval = streams_.empty() ? o_.idle_interval : o_.active_interval;
    const auto until = std::chrono::steady_clock::now() + interval;
    while (!stopping_ && !poke_) {
      if (cv_.wait_until(lock, std::min(until, std::chrono::steady_clock::now() + std::chrono::seconds(15))) ==
          std::cv_status::timeout) {
        if (std::chrono::steady_clock::now() >= until) break;
      }
      // Keep quiet connections visibly alive (and find the ones that left).
      if (!streams_.empty() && std::chrono::steady_clock::now() - last_sent_ >= std::chrono::seconds(15))
        broadcast(": keep-alive\n\n");
    }
    poke_ = false;
  }
}

void LiveFeed::sample_metrics(int64_t now_ms, json& point) {
  auto text = client_.metrics();
  if (!text) {
    std::lock_guard lock(mu_);
    metrics_error_ = text.error().message();
    return;
  }
  auto samples = parse_prometheus(*text);
  if (!samples) {
    std::lock_guard lock(mu_);
    metrics_error_ = samples.error().message();
    return;
  }
  std::map<std::string, double> requests, bytes;
  for (const auto& s : *samples) {
    if (s.name == "ipfskit_http_requests_total") requests[std::string(s.label("listener"))] += s.value;
    if (s.name == "ipfskit_http_response_bytes_total") bytes[std::string(s.label("listener"))] += s.value;
  }
  const double rss = sum_samples(*samples, "process_resident_memory_bytes");
  std::lock_guard lock(mu_);
  metrics_error_.clear();
  if (prev_ms_ > 0) {
    const double secs = static_cast<double>(now_ms - prev_ms_) / 1000.0;
    json req = json::object(), out = json::object();
    for (const auto& [l, v] : requests) req[l] = rate(v, prev_requests_[l], secs);
    for (const auto& [l, v] : bytes) out[l] = rate(v, prev_bytes_[l], secs);
    point = json{{"t", now_ms}, {"req", std::move(req)}, {"bytes", std::move(out)}, {"rss", rss}};
  }
  prev_ms_ = now_ms;
  prev_requests_ = std::move(requests);
  prev_bytes_ = std::move(bytes);
}

void LiveFeed::sample_logs() {
  api::LogQuery q;
  q.lines = o_.log_lines;
  auto lines = client_.log_lines(q);
  if (!lines) return;  // no log yet (or no access): the page says the tail is empty
  std::vector<std::string> fresh;
  bool gap = false;
  {
    std::lock_guard lock(mu_);
    if (log_tail_.empty()) {
      fresh = *lines;
    } else {
      // The new lines follow the last one we saw; if it is gone (more lines
      // than the tail since the last poll, or a rotation), all are new.
      const std::string& last = log_tail_.back();
      size_t from = lines->size();
      for (size_t i = lines->size(); i-- > 0;)
        if ((*lines)[i] == last) {
          from = i + 1;
          break;
        }
      if (from == lines->size() && !lines->empty() && lines->back() != last) {
        from = 0;
        gap = true;
      }
      fresh.assign(lines->begin() + static_cast<std::ptrdiff_t>(from), lines->end());
    }
    if (fresh.empty()) return;
    for (const auto& l : fresh) log_tail_.push_back(l);
    while (log_tail_.size() > o_.log_lines) log_tail_.pop_front();
    broadcast(frame("log", json{{"lines", fresh}, {"gap", gap}}));
  }
}

void LiveFeed::poll() {
  const int64_t now = unix_ms();
  json identity;
  bool need_identity;
  {
    std::lock_guard lock(mu_);
    need_identity = identity_.is_null() || identity_.contains("error");
  }
  if (need_identity) {
    auto id = client_.id();
    identity = id ? json{{"id", id->value("ID", "")},
                         {"agent", id->value("AgentVersion", "")},
                         {"addresses", id->value("Addresses", json::array())},
                         {"public_key", id->value("PublicKey", "")}}
                  : error_doc(id.error());
  }

  json daemon, backends, replication, repo;
  if (auto st = client_.status()) {
    daemon = st->value("daemon", json::object());
    daemon["pending_restart"] = st->value("pending_restart", json::array());
  } else {
    daemon = error_doc(st.error());
    daemon["running"] = false;
  }
  if (auto b = client_.backends(false)) backends = *b;
  else backends = json{{"error", b.error().message()}};
  if (auto r = client_.replication_status()) replication = *r;
  else replication = error_doc(r.error());
  uint64_t pins = 0;
  if (auto r = client_.repo_stat()) {
    repo = json{{"blocks", r->blocks}, {"block_bytes", r->block_bytes}, {"disk_bytes", r->disk_bytes},
                {"pins", r->pins},     {"path", r->path}};
    pins = r->pins;
  } else {
    repo = error_doc(r.error());
  }
  json point;
  sample_metrics(now, point);

  {
    std::lock_guard lock(mu_);
    if (need_identity) identity_ = identity;
    daemon_ = daemon;
    backends_ = backends;
    replication_ = replication;
    repo_ = repo;
    json tick{{"t", now}, {"daemon", daemon}, {"backends", backends}, {"replication", replication}, {"repo", repo}};
    if (need_identity) tick["identity"] = identity;
    if (!point.is_null()) {
      points_.push_back(point);
      while (points_.size() > o_.history_points) points_.pop_front();
      tick["point"] = point;
    }
    if (!metrics_error_.empty()) tick["metrics_error"] = metrics_error_;
    // A latency point for each new probe of each backend.
    json fresh = json::object();
    if (backends.is_object() && !backends.contains("error")) {
      for (const auto& [name, b] : backends.items()) {
        if (!b.is_object()) continue;
        const std::string check = b.value("last_check", "");
        if (check.empty() || last_probe_[name] == check) continue;
        last_probe_[name] = check;
        const json v = b.contains("response_time_ms") ? b["response_time_ms"] : json();
        json p{{"t", now}, {"ms", v.is_number() ? v : json()}, {"health", b.value("health", "unknown")}};
        auto& series = latency_[name];
        series.push_back(p);
        while (series.size() > o_.history_points) series.pop_front();
        fresh[name] = p;
      }
    }
    if (!fresh.empty()) tick["latency"] = std::move(fresh);
    if (!streams_.empty()) broadcast(frame("tick", tick));
    if (prev_pins_ != UINT64_MAX && pins != prev_pins_ && !streams_.empty())
      broadcast(frame("pins", json{{"pins", pins}}));
    prev_pins_ = pins;
  }
  sample_logs();
}

}  // namespace ipfskit::dashboard
