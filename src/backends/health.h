// Backend health: what each probe found, when a backend counts as down, and
// the alerts raised for outages.
//
// Statuses:
//   healthy       the last probe answered in time and found nothing wrong
//   degraded      it answered, slowly (over half the timeout) or with a
//                 warning (low space, peers in error), or ONE probe was missed
//   unhealthy     two probes in a row were missed: the backend is down
//   stopped       disabled, or stopped on purpose (backend stop NAME)
//   unconfigured  a required field is missing; the error names the key
//   unsupported   the type cannot be used (lotus, storacha), with the reason
// A backend is "down" after 2 missed probes; that raises ONE alert, which is
// resolved by the next successful probe (one alert per outage, not per probe).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"

namespace ipfskit::backends {

enum class Health { kUnknown, kHealthy, kDegraded, kUnhealthy, kStopped, kUnconfigured, kUnsupported };
const char* health_name(Health h);

inline constexpr int kMissedProbesForDown = 2;
inline constexpr size_t kHistoryLength = 20;

struct CheckRecord {
  int64_t at_ms = 0;  // unix milliseconds
  Health status = Health::kUnknown;
  double latency_ms = 0;
  std::string error;
};

// The health of one backend. Not thread safe: its owner locks.
class HealthState {
 public:
  enum class Event { kNone, kDown, kRecovered };

  // A probe's outcome (`result` is the probe's answer or its failure).
  Event record_probe(int64_t now_ms, double latency_ms, const Result<ProbeResult>& result, double slow_ms);
  // A state decided without probing (stopped, unconfigured, unsupported).
  // Leaving "down" this way ends the outage without a recovery.
  Event record_state(int64_t now_ms, Health status, std::string why);

  Health status() const { return status_; }
  const std::string& error() const { return error_; }
  double latency_ms() const { return latency_ms_; }
  int64_t last_check_ms() const { return last_check_ms_; }
  int consecutive_failures() const { return failures_; }
  bool down() const { return down_; }
  int64_t down_since_ms() const { return down_since_ms_; }
  const nlohmann::json& details() const { return details_; }
  const std::deque<CheckRecord>& history() const { return history_; }
  nlohmann::json history_json() const;

 private:
  void remember(CheckRecord r);
  Health status_ = Health::kUnknown;
  std::string error_;
  double latency_ms_ = 0;
  int64_t last_check_ms_ = 0;
  int failures_ = 0;
  bool down_ = false;
  int64_t down_since_ms_ = 0;
  nlohmann::json details_ = nlohmann::json::object();
  std::deque<CheckRecord> history_;
};

// One outage of one backend.
struct Alert {
  uint64_t id = 0;
  std::string backend;
  int64_t started_ms = 0;
  int64_t resolved_ms = 0;  // 0 while the outage lasts
  std::string error;        // the probe failure that made it down
};
nlohmann::json to_json(const Alert& a);

// Probes backends all at once, each within `timeout`.
struct ProbeOutcome {
  Result<ProbeResult> result = ProbeResult{};
  double latency_ms = 0;
};
struct ProbeTarget {
  std::shared_ptr<Backend> backend;
  // Set while this backend's probe runs; a probe still running from a past
  // round (a hung mount, a stuck socket) is not started again.
  std::shared_ptr<std::atomic<bool>> busy;
};
// Returns one outcome per target, in order, after at most about `timeout`.
// Probes that are one HTTP request (Backend::http_probe) go out together from
// the calling thread (libcurl multi, connections kept between rounds); the
// others each run on a thread of their own, and one that has not answered by
// then is reported as timed out (its thread finishes in the background).
std::vector<ProbeOutcome> probe_all(const std::vector<ProbeTarget>& targets, std::chrono::milliseconds timeout);

int64_t unix_now_ms();

}  // namespace ipfskit::backends
