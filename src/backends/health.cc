#include "backends/health.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "backends/json_util.h"

namespace ipfskit::backends {

using nlohmann::json;

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* health_name(Health h) {
  switch (h) {
    case Health::kUnknown: return "unknown";
    case Health::kHealthy: return "healthy";
    case Health::kDegraded: return "degraded";
    case Health::kUnhealthy: return "unhealthy";
    case Health::kStopped: return "stopped";
    case Health::kUnconfigured: return "unconfigured";
    case Health::kUnsupported: return "unsupported";
  }
  return "unknown";
}

namespace {

std::string iso_ms(int64_t ms) {
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
  std::string s = format_time(ms / 1000);
  return s.substr(0, s.size() - 1) + frac + "Z";
}

}  // namespace

void HealthState::remember(CheckRecord r) {
  history_.push_back(std::move(r));
  while (history_.size() > kHistoryLength) history_.pop_front();
}

HealthState::Event HealthState::record_probe(int64_t now_ms, double latency_ms, const Result<ProbeResult>& result,
                                             double slow_ms) {
  last_check_ms_ = now_ms;
  latency_ms_ = latency_ms;
  Event event = Event::kNone;
  if (result) {
    failures_ = 0;
    details_ = result->details;
    if (!result->warning.empty()) {
      status_ = Health::kDegraded;
      error_ = result->warning;
    } else if (latency_ms > slow_ms) {
      status_ = Health::kDegraded;
      char buf[96];
      std::snprintf(buf, sizeof buf, "slow: answered in %.0f ms", latency_ms);
      error_ = buf;
    } else {
      status_ = Health::kHealthy;
      error_.clear();
    }
    if (down_) {
      down_ = false;
      event = Event::kRecovered;
    }
  } else if (result.error().code() == Code::kUnsupported) {
    status_ = Health::kUnsupported;
    error_ = result.error().message();
    failures_ = 0;
  } else {
    failures_++;
    error_ = result.error().message();
    if (failures_ >= kMissedProbesForDown) {
      status_ = Health::kUnhealthy;
      if (!down_) {
        down_ = true;
        down_since_ms_ = now_ms;
        event = Event::kDown;
      }
    } else {
      status_ = Health::kDegraded;
      error_ = "missed 1 probe (down after " + std::to_string(kMissedProbesForDown) + "): " + error_;
    }
  }
  remember({now_ms, status_, latency_ms, error_});
  return event;
}

HealthState::Event HealthState::record_state(int64_t now_ms, Health status, std::string why) {
  const bool changed = status != status_ || why != error_;
  status_ = status;
  error_ = std::move(why);
  failures_ = 0;
  last_check_ms_ = now_ms;
  latency_ms_ = 0;
  details_ = json::object();
  if (changed) remember({now_ms, status_, 0, error_});
  if (down_) {
    down_ = false;
    return Event::kRecovered;
  }
  return Event::kNone;
}

json HealthState::history_json() const {
  json out = json::array();
  for (const auto& r : history_)
    out.push_back({{"at", iso_ms(r.at_ms)},
                   {"status", health_name(r.status)},
                   {"latency_ms", r.latency_ms},
                   {"error", r.error.empty() ? json() : json(r.error)}});
  return out;
}

json to_json(const Alert& a) {
  return {{"id", a.id},
          {"backend", a.backend},
          {"started_at", iso_ms(a.started_ms)},
          {"resolved_at", a.resolved_ms == 0 ? json() : json(iso_ms(a.resolved_ms))},
          {"active", a.resolved_ms == 0},
          {"error", a.error}};
}

std::vector<ProbeOutcome> probe_all(const std::vector<ProbeTarget>& targets, std::chrono::milliseconds timeout) {
  // Shared with the probe threads, which may outlive this call.
  struct Round {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::optional<ProbeOutcome>> outcomes;
    size_t remaining = 0;
  };
  auto round = std::make_shared<Round>();
  round->outcomes.resize(targets.size());
  const auto start = std::chrono::steady_clock::now();
  // Probes that are one HTTP request (every remote type) all go out at once
  // from this thread; the others (the embedded node, a directory) each get a
  // thread of their own.
  std::vector<size_t> threaded, http_index;
  std::vector<HttpProbe> http;
  for (size_t i = 0; i < targets.size(); ++i) {
    const ProbeTarget& t = targets[i];
    if (t.busy && t.busy->load()) {
      ProbeOutcome o;
      o.result = make_error(Code::kTimeout, "the previous probe has not answered yet");
      round->outcomes[i] = std::move(o);
      continue;
    }
    if (auto p = t.backend->http_probe(timeout)) {
      http_index.push_back(i);
      http.push_back(std::move(*p));
    } else {
      threaded.push_back(i);
    }
  }
  round->remaining = threaded.size();  // before any thread can finish
  for (size_t i : threaded) {
    if (targets[i].busy) targets[i].busy->store(true);
    std::thread([round, i, backend = targets[i].backend, busy = targets[i].busy, timeout] {
      const auto t0 = std::chrono::steady_clock::now();
      ProbeOutcome o;
      o.result = backend->probe(timeout);
      o.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (busy) busy->store(false);
      std::lock_guard lock(round->mu);
      if (!round->outcomes[i]) round->outcomes[i] = std::move(o);
      if (--round->remaining == 0) round->cv.notify_all();
    }).detach();
  }
  if (!http.empty()) {
    // One multi handle for every round (connections stay open between
    // rounds); rounds of different registries take turns.
    static std::mutex multi_mu;
    static HttpMulti* multi = new HttpMulti();  // never destroyed: kept for the process
    std::vector<HttpRequest> requests;
    requests.reserve(http.size());
    for (auto& p : http) requests.push_back(p.request);
    std::vector<HttpMulti::Outcome> answers;
    {
      std::lock_guard lock(multi_mu);
      answers = multi->perform_all(requests);
    }
    std::lock_guard lock(round->mu);
    for (size_t k = 0; k < http.size(); ++k) {
      ProbeOutcome o;
      o.result = http[k].check(std::move(answers[k].result));
      o.latency_ms = answers[k].ms;
      round->outcomes[http_index[k]] = std::move(o);
    }
  }
  std::vector<ProbeOutcome> out(targets.size());
  std::unique_lock lock(round->mu);
  // A little slack past the timeout: the probes' own timeouts fire first.
  round->cv.wait_until(lock, start + timeout + std::chrono::milliseconds(250), [&] { return round->remaining == 0; });
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!round->outcomes[i]) {
      ProbeOutcome o;
      o.result = make_error(Code::kTimeout, "no answer within " + std::to_string(timeout.count()) + " ms");
      o.latency_ms = static_cast<double>(timeout.count());
      round->outcomes[i] = std::move(o);  // a late answer is dropped
    }
    out[i] = *round->outcomes[i];
  }
  return out;
}

}  // namespace ipfskit::backends
