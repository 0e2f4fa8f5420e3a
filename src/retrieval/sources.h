// Reads that fall back to backends: the core::BlockFallback that the node's
// reads consult for a block the repository lacks (see core/fallback.h).
//
// Where blocks come from: every enabled backend that can serve blocks
// (Capabilities::get_blocks) except the embedded node itself: replicas
// (kubo, s3, filesystem, and pinning_service / ipfs_cluster with a gateway)
// and `gateway` backends, which are read sources only. They are tried best
// first: healthy before degraded before not yet probed, and by probe latency
// within each. Two lists feed it:
//  - inside the daemon, its Registry (health from the periodic rounds);
//  - in a process without a daemon (the CLI, `mcp serve|stdio`, a FUSE
//    mount), ConfigSources: the backends of config.json, built without
//    supervision or a health loop, probed together once when a read first
//    needs them and again after daemon.health_check_interval.
//
// Bounded: each source is asked once per block, within its request timeout
// (retrieval.timeout for ConfigSources, the backend's own inside the
// daemon); a source that fails to answer (unreachable, timed out, cut off)
// is skipped for `cooldown` so that a burst of reads does not retry a dead
// service block after block. A block that does not hash to its CID is
// refused (Corruption, counted, logged at most once a minute per source) and
// the next source is tried.
//
// Errors when no source delivers: NotFound when every source that answered
// said it does not have the block (or there is none), Corruption when one
// sent bad bytes and none good ones, Unavailable when a source could not be
// asked or was left out as down (the block may be there). The message names
// each source's answer.
//
// Thread safety: every method may be called from several threads at once.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/registry.h"
#include "config/config.h"
#include "core/fallback.h"
#include "core/node.h"

namespace ipfskit::retrieval {

// A backend reads may use, as its list ranks it.
struct ReadSource {
  std::string name;
  std::shared_ptr<backends::Backend> backend;
};

class SourceList {
 public:
  virtual ~SourceList() = default;
  // The sources to try, best first (may be empty).
  virtual std::vector<ReadSource> sources() = 0;
  // The backends left out of the last sources() because they are down
  // ("name: why; ..."), "" when none: the block may be there.
  virtual std::string left_out() { return ""; }
};

// Ranks candidates: healthy (by latency), then degraded (by latency), then
// unknown; unhealthy, stopped, unconfigured and unsupported ones are left out.
struct Candidate {
  ReadSource source;
  backends::Health health = backends::Health::kUnknown;
  double latency_ms = 0;
};
std::vector<ReadSource> rank(std::vector<Candidate> candidates);

// The daemon's backends, as its health rounds see them.
class RegistrySources : public SourceList {
 public:
  explicit RegistrySources(backends::Registry& registry) : registry_(registry) {}
  std::vector<ReadSource> sources() override;
  std::string left_out() override;

 private:
  backends::Registry& registry_;
  std::mutex mu_;
  std::string left_out_;
};

struct ConfigSourcesOptions {
  std::chrono::milliseconds request_timeout{30000};  // one block from one backend
  std::chrono::milliseconds probe_timeout{5000};     // daemon.health_check_timeout
  std::chrono::seconds reprobe_interval{30};         // daemon.health_check_interval
};

// The backends of a configuration, without a daemon.
class ConfigSources : public SourceList {
 public:
  ConfigSources(Config config, ConfigSourcesOptions options);
  std::vector<ReadSource> sources() override;
  std::string left_out() override;

 private:
  Config config_;
  ConfigSourcesOptions o_;
  std::mutex mu_;  // one build and probe round at a time; the others wait for it
  bool built_ = false;
  std::vector<ReadSource> all_;
  std::vector<std::shared_ptr<std::atomic<bool>>> busy_;
  std::vector<ReadSource> ranked_;
  std::string left_out_;  // the backends whose last probe failed
  std::chrono::steady_clock::time_point probed_at_{};
};

// A backend of `config` by name, built for one operation (backend restore
// without a daemon): NotFound for an unknown name, Unavailable when it is
// disabled or unconfigured (naming the key to set), InvalidArgument for
// the embedded node (type ipfs: the repository itself).
Result<std::shared_ptr<backends::Backend>> configured_backend(const Config& config, const std::string& name,
                                                              std::chrono::milliseconds request_timeout);

struct BackendFallbackOptions {
  std::chrono::milliseconds cooldown{10000};  // a source that failed to answer is skipped this long
};

class BackendFallback : public core::BlockFallback {
 public:
  BackendFallback(std::shared_ptr<SourceList> list, BackendFallbackOptions options = {});
  Result<Bytes> fetch(const Cid& cid) override;

  // {"backend": {"served", "not_found", "refused", "failed"}}: what each source did.
  nlohmann::json stats_json();

 private:
  struct PerSource {
    uint64_t served = 0, not_found = 0, refused = 0, failed = 0;
    std::chrono::steady_clock::time_point skip_until{};
    std::chrono::steady_clock::time_point last_refusal_log{};
  };
  std::shared_ptr<SourceList> list_;
  BackendFallbackOptions o_;
  std::mutex mu_;
  std::map<std::string, PerSource> per_source_;
};

// The retrieval settings of a configuration: retrieval.fallback,
// retrieval.cache, retrieval.timeout.
struct RetrievalSettings {
  bool fallback = true;
  bool cache = true;
  std::chrono::milliseconds timeout{30000};
};
RetrievalSettings settings_of(const Config& config);

// Installs on `node` the fallback its repository's configuration describes
// (ConfigSources), unless retrieval.fallback is off. For processes without a
// daemon. Building it costs nothing until a read misses a block.
void install_config_fallback(core::Node& node);

}  // namespace ipfskit::retrieval
