// The daemon's running state, shared by its listeners (internal to daemon/).
#pragma once

#include <atomic>
#include <condition_variable>
#include <thread>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "backends/api_routes.h"
#include "backends/registry.h"
#include "config/config.h"
#include "core/node.h"
#include "retrieval/sources.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/notify.h"
#include "gateway/gateway.h"
#include "http/server.h"
#include "mcp/listener.h"
#include "mcp/server.h"
#include "metrics/metrics.h"
#include "psa/service.h"
#include "replication/reconciler.h"
#include "rpc/kubo_rpc.h"

namespace ipfskit::daemon {

// The daemon's state. It answers the client API's operations (so the
// management API, and front ends inside the daemon, read one source).
class Service : public api::Operations {
 public:
  explicit Service(Options options) : o_(std::move(options)) {}
  ~Service() override;

  // Opens everything and starts listening. Errors name what failed.
  Status start();
  // Serves until SIGTERM/SIGINT, handling SIGHUP and periodic work, and
  // keeps systemd informed (ready, reloading, stopping, watchdog pings).
  void loop();
  SystemdNotifier& notifier() { return notifier_; }
  void shutdown();

  // ---- api::Operations (the management API serves these) ----
  Result<nlohmann::json> health() override;
  Result<nlohmann::json> status() override { return status_json(); }
  Result<nlohmann::json> backends(bool check_now) override { return backends_json(check_now); }
  // Starts or stops serving a backend; NotFound for unknown names.
  Result<nlohmann::json> set_backend_running(const std::string& name, bool running) override;
  Result<nlohmann::json> replication_status() override { return replication_json(); }
  Result<nlohmann::json> replication_status_of(const Cid& cid) override;
  Result<nlohmann::json> route_suggest(uint64_t size) override;
  Result<nlohmann::json> route_optimize(const std::vector<Cid>& cids, bool apply, const CancelToken* cancel) override;
  Result<nlohmann::json> replication_sync(const api::ReplicationSyncRequest& request) override;
  Result<std::string> metrics() override { return metrics_text(); }
  Result<std::vector<std::string>> log_lines(const api::LogQuery& q) override;
  // One backend: delegated to the registry (backends/registry.h).
  Result<nlohmann::json> backend_check(const std::string& name) override { return backends_->check(name); }
  Result<nlohmann::json> health_alerts() override { return backends_->alerts_json(); }
  Result<nlohmann::json> backend_pins(const std::string& name) override { return backends_->pins(name); }
  Result<nlohmann::json> backend_push(const std::string& name, const api::BackendPushRequest& request) override;
  Result<nlohmann::json> backend_unpin(const std::string& name, const Cid& cid) override {
    return backends_->unpin(name, cid);
  }
  Result<nlohmann::json> backend_verify(const std::string& name, const Cid& cid) override {
    return backends_->verify(name, cid);
  }
  Result<nlohmann::json> backend_usage(const std::string& name) override { return backends_->usage(name); }
  Result<Bytes> backend_block(const std::string& name, const Cid& cid) override { return backends_->block(name, cid); }
  // From the registry's backend into this node (retrieval/restore.h).
  Result<nlohmann::json> backend_restore(const std::string& name, const api::BackendRestoreRequest& request) override;
  backends::Registry& registry() { return *backends_; }

  // The configuration: the running one, and changes (validated, saved,
  // applied as a file change would be).
  std::shared_ptr<const Config> config() const;
  Result<nlohmann::json> set_config(const std::string& key, const std::string& value);
  // The client API over this daemon's node and state (for front ends that
  // run inside the daemon).
  api::Client& client() { return *client_; }
  psa::PinningService& pinning_service() { return *psa_; }

  nlohmann::json status_json();
  nlohmann::json backends_json(bool check_now);
  nlohmann::json replication_json();
  std::string metrics_text();
  bool serving() const { return serving_.load(); }

 private:
  Status listen_all();
  Status write_state_files();
  // The FUSE mounts of config vfs.mounts: one `ipfs-kit vfs mount` process
  // each (this binary), stopped with SIGTERM (they commit pending writes and
  // unmount) when the daemon stops.
  void start_mounts(const Config& cfg);
  void stop_mounts();
  void remove_state_files();
  void reload_config(const std::string& why);
  // Reads fall back to the registry's backends (retrieval.fallback, .cache).
  void apply_retrieval(const Config& cfg);
  // One replication pass (the periodic one and POST /replication/sync).
  // `progress(done, total)` as the reconciler reports it (may be empty).
  Result<nlohmann::json> replication_pass(const CancelToken* cancel,
                                          const std::function<void(uint64_t, uint64_t)>& progress = nullptr);
  replication::Settings replication_settings();
  // The periodic passes, on a thread of their own (a long pass never holds
  // up signals or reloads); stopped (and its pass cancelled) at shutdown.
  void replication_loop();
  std::unique_ptr<replication::Reconciler> reconciler_;
  std::thread replication_thread_;
  std::mutex replication_mu_;
  std::condition_variable replication_cv_;
  bool replication_stopping_ = false;
  CancelToken replication_cancel_;
  std::mutex reload_mu_;
  std::optional<Error> filter_auth(const http::Request& req) const;
  void observe(metrics::HttpStats& stats, const char* listener, const http::Request& req, int status, double secs,
               uint64_t bytes);

  Options o_;
  std::vector<std::pair<int, std::string>> mounts_;  // pid, mount point
  std::string repo_, config_path_;
  std::optional<InstanceLock> lock_;
  std::unique_ptr<core::Node> node_;
  std::unique_ptr<api::Client> client_;
  std::unique_ptr<psa::PinningService> psa_;

  mutable std::mutex config_mu_;
  std::shared_ptr<const Config> config_;
  std::shared_ptr<const std::string> token_;  // "" when unset
  std::atomic<int64_t> config_mtime_ns_{0};
  std::vector<std::string> pending_restart_;

  std::unique_ptr<http::Server> api_, rpc_, gateway_;
  // MCP (with the seeds' /api REST and, once merged, the dashboard) on
  // daemon.mcp_address, over client_; both null when the address is "".
  std::unique_ptr<mcp::Server> mcp_;
  std::unique_ptr<mcp::Listener> mcp_listener_;
  metrics::HttpStats api_stats_{"api"}, rpc_stats_{"rpc"}, gateway_stats_{"gateway"}, mcp_stats_{"mcp"};
  rpc::RpcContext rpc_ctx_;
  gateway::GatewayContext gateway_ctx_;
  std::vector<std::string> allowed_origins_;

  SystemdNotifier notifier_;
  std::atomic<bool> serving_{true};
  std::unique_ptr<backends::Registry> backends_;
  // Reads' fallback over the registry: one for the daemon's life, so that
  // its counters (metrics) survive config reloads; installed or not as
  // retrieval.fallback says.
  std::shared_ptr<retrieval::BackendFallback> fallback_;
  std::chrono::steady_clock::time_point last_replication_check_{};
  int64_t started_ = 0;
  State state_;

  // repo_stat is a table count: cached briefly for /metrics scrapes.
  std::mutex stat_mu_;
  std::optional<core::RepoStat> stat_cache_;
  std::chrono::steady_clock::time_point stat_time_{};
  std::atomic<int64_t> last_replication_check_unix_{0};
};

void register_api_routes(http::Server& server, Service& service);
// Operations on one backend served at /backends/NAME/OP by the daemon
// rather than the registry (POST /backends/NAME/restore).
std::map<std::string, backends::BackendOpHandler> backend_operation_routes(Service& service);

}  // namespace ipfskit::daemon
