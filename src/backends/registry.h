// The daemon's backends: built from config.json, supervised when they are
// processes, probed for health, and reachable by name for operations.
//
// configure() applies a configuration (at start and on every reload): new
// backends are built, changed ones rebuilt (their process restarted when its
// command line changed), removed ones stopped and dropped. A backend that
// misses a required field, or names an unset environment variable for a
// secret, is kept as `unconfigured` with the key to set.
//
// Health: every enabled backend is probed concurrently every
// daemon.health_check_interval seconds (each probe within
// daemon.health_check_timeout), on a thread of its own; check_now() runs a
// round at once. See health.h for statuses, the down rule and alerts.
//
// The JSON documents returned here are the management API's (GET /backends,
// /backends/health, /health/alerts); secrets never appear in them.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "backends/health.h"
#include "backends/supervisor.h"
#include "backends/types.h"
#include "config/config.h"
#include "metrics/metrics.h"

namespace ipfskit::backends {

struct RegistryOptions {
  std::string repo;  // logs go to <repo>/logs/backends/<name>.log
  core::Node* node = nullptr;
  // The embedded node's serving switch (backend start|stop ipfs).
  std::function<bool()> embedded_serving;
  std::function<void(bool)> set_embedded_serving;
  // Where a pinning service can fetch our DAGs (the daemon's gateway as a
  // multiaddr), used when a push names no origins.
  std::function<std::vector<std::string>()> origins;
};

// What to push where (see Registry::push).
struct PushOptions {
  Cid cid;
  std::optional<std::string> name;                         // default: the local pin's
  std::optional<std::map<std::string, std::string>> meta;  // default: the local pin's
  bool verify = true;
  int replication_min = 0, replication_max = 0;
  std::vector<std::string> origins;  // default: RegistryOptions::origins
};

// One backend as the replication pass sees it: what it is, what it can do,
// whether operations can reach it now, and its health.
struct BackendView {
  BackendInfo info;  // name, type, tags, failure_domain
  Capabilities caps;
  bool available = false;  // get() would hand it out (enabled, configured, started)
  Health health = Health::kUnknown;
  std::string health_error;
  double latency_ms = 0;
  bool down = false;          // two probes missed in a row
  int64_t down_since_ms = 0;  // unix milliseconds; 0 when not down
};

class Registry {
 public:
  explicit Registry(RegistryOptions options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Applies `config`: builds, rebuilds and removes backends; starts the
  // processes of enabled auto_start backends. Logs what changed.
  void configure(const Config& config);
  // Starts the periodic health rounds on a thread of their own.
  void start();
  // Stops the health thread and every supervised process.
  void shutdown();

  // Runs a health round now (only `only`, when given) and waits for it.
  void check_now(const std::string& only = "");

  // {"name": {...}, ...}: configuration (redacted), process, health and
  // history of each backend (or only `only`; NotFound for an unknown name).
  Result<nlohmann::json> backends_json(const std::string& only = "");
  // {"status": "healthy"|"degraded"|"unhealthy", "backends": {"name": "status"}}:
  // unhealthy when the embedded node is, degraded when another enabled
  // backend is unhealthy.
  nlohmann::json summary();
  // {"active": [...], "recent": [...]} (GET /health/alerts).
  nlohmann::json alerts_json();
  // The last round: when, how long, how many probes.
  nlohmann::json last_round_json();

  // backend start|stop NAME: the embedded node serves or not; a supervised
  // backend's process starts or stops. Unsupported for a backend that is
  // neither (it is not a process the daemon runs).
  Result<nlohmann::json> set_running(const std::string& name, bool running);

  // Prometheus families: ipfskit_backend_up, ipfskit_backend_probe_duration_seconds,
  // ipfskit_backend_probes_total, ipfskit_backend_alerts_total, ipfskit_backend_process_restarts_total.
  void write_metrics(metrics::Writer& w);

  // ---- operations on one backend, as the management API's documents ----
  // A health round for `name` alone, then its document.
  Result<nlohmann::json> check(const std::string& name);
  Result<nlohmann::json> pins(const std::string& name);
  // Copies the local DAG under o.cid to the backend and pins it there.
  Result<nlohmann::json> push(const std::string& name, const PushOptions& o, const CancelToken* cancel = nullptr);
  Result<nlohmann::json> unpin(const std::string& name, const Cid& cid);
  Result<nlohmann::json> verify(const std::string& name, const Cid& cid, const CancelToken* cancel = nullptr);
  Result<nlohmann::json> usage(const std::string& name);
  Result<Bytes> block(const std::string& name, const Cid& cid);

  // The backend by name, ready for operations: Unavailable (naming why) when
  // it is disabled, stopped or unconfigured; NotFound for an unknown name.
  Result<std::shared_ptr<Backend>> get(const std::string& name);
  std::vector<std::string> names();
  // Every configured backend (a snapshot).
  std::vector<BackendView> views();

  // The backends reads may fall back to (retrieval/sources.h): enabled,
  // configured, not stopped, able to serve blocks, and not the embedded node
  // itself; with their health and last probe latency.
  struct ReadCandidate {
    std::string name;
    std::shared_ptr<Backend> backend;
    Health health = Health::kUnknown;
    double latency_ms = 0;
  };
  std::vector<ReadCandidate> read_candidates();

 private:
  struct Entry;
  struct Histogram;
  void run_loop();
  void run_round(const std::string& only);
  std::shared_ptr<Entry> find(const std::string& name);
  nlohmann::json entry_json(Entry& e);
  void handle_event(Entry& e, HealthState::Event ev);

  RegistryOptions o_;
  std::mutex mu_;  // entries_, alerts_, round info, config values
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::vector<Alert> alerts_;
  uint64_t next_alert_id_ = 1;
  int interval_seconds_ = 30;
  int timeout_seconds_ = 5;
  int log_rotation_seconds_ = 3600;
  bool health_checks_ = true;
  int64_t last_round_ms_ = 0;
  double last_round_duration_ms_ = 0;
  size_t last_round_probes_ = 0;

  std::mutex round_mu_;  // one round at a time
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  bool wake_ = false;  // run a round now (a backend was added or changed)
  std::thread loop_;
};

}  // namespace ipfskit::backends
