#include "retrieval/sources.h"

#include <algorithm>

#include "backends/health.h"
#include "backends/types.h"
#include "config/backends.h"
#include "log/log.h"

namespace ipfskit::retrieval {

using nlohmann::json;
using backends::Health;

namespace {

int health_rank(Health h) {
  switch (h) {
    case Health::kHealthy: return 0;
    case Health::kDegraded: return 1;
    case Health::kUnknown: return 2;
    default: return -1;  // not used
  }
}

int int_key(const Config& c, const char* key, int def) {
  auto v = c.get(key);
  return v && v->is_number_integer() ? v->get<int>() : def;
}

bool bool_key(const Config& c, const char* key, bool def) {
  auto v = c.get(key);
  return v && v->is_boolean() ? v->get<bool>() : def;
}

// Sources that failed to answer (as opposed to answering "not here" or
// sending bad bytes): worth a cooldown.
bool transport_failure(Code c) {
  return c == Code::kUnavailable || c == Code::kTimeout || c == Code::kIOError || c == Code::kPermissionDenied ||
         c == Code::kResourceExhausted || c == Code::kInternal;
}

}  // namespace

std::vector<ReadSource> rank(std::vector<Candidate> candidates) {
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [](const Candidate& c) { return health_rank(c.health) < 0; }),
                   candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    const int ra = health_rank(a.health), rb = health_rank(b.health);
    if (ra != rb) return ra < rb;
    return a.latency_ms < b.latency_ms;
  });
  std::vector<ReadSource> out;
  out.reserve(candidates.size());
  for (auto& c : candidates) out.push_back(std::move(c.source));
  return out;
}

// ---- the daemon's registry ----

std::vector<ReadSource> RegistrySources::sources() {
  std::vector<Candidate> candidates;
  std::string left_out;
  for (auto& c : registry_.read_candidates()) {
    if (c.health == Health::kUnhealthy)
      left_out += (left_out.empty() ? "" : "; ") + c.name + ": " + backends::health_name(c.health);
    candidates.push_back({{c.name, c.backend}, c.health, c.latency_ms});
  }
  std::lock_guard lock(mu_);
  left_out_ = std::move(left_out);
  return rank(std::move(candidates));
}

std::string RegistrySources::left_out() {
  std::lock_guard lock(mu_);
  return left_out_;
}

// ---- the configuration, without a daemon ----

ConfigSources::ConfigSources(Config config, ConfigSourcesOptions options)
    : config_(std::move(config)), o_(options) {}

std::vector<ReadSource> ConfigSources::sources() {
  std::lock_guard lock(mu_);
  if (!built_) {
    built_ = true;
    backends::Environment env;
    env.request_timeout = o_.request_timeout;
    for (const std::string& name : config_.backend_names()) {
      auto section = config_.get("backends." + name);
      if (!section || !section->is_object() || !section->value("enabled", true)) continue;
      if (!missing_fields(name, *section).empty()) continue;
      auto type = backend_type_of(name, *section);
      if (!type || *type == "ipfs") continue;  // the repository itself
      auto b = backends::make_backend(name, *section, env);
      if (!b) continue;  // unconfigured (an unset variable) or unsupported
      std::shared_ptr<backends::Backend> backend(std::move(*b));
      const backends::Capabilities caps = backend->capabilities();
      if (!caps.get_blocks || !caps.unsupported_reason.empty()) continue;
      all_.push_back({name, std::move(backend)});
      busy_.push_back(std::make_shared<std::atomic<bool>>(false));
    }
  }
  if (all_.empty()) return {};
  const auto now = std::chrono::steady_clock::now();
  if (probed_at_ != std::chrono::steady_clock::time_point{} && now - probed_at_ < o_.reprobe_interval) return ranked_;
  // One round, all at once (as the daemon's health rounds): the first read
  // that misses a block waits for it, at most about the probe timeout.
  std::vector<backends::ProbeTarget> targets;
  for (size_t i = 0; i < all_.size(); ++i) targets.push_back({all_[i].backend, busy_[i]});
  std::vector<backends::ProbeOutcome> outcomes = backends::probe_all(targets, o_.probe_timeout);
  std::vector<Candidate> candidates;
  left_out_.clear();
  for (size_t i = 0; i < all_.size(); ++i) {
    if (!outcomes[i].result) {
      left_out_ += (left_out_.empty() ? "" : "; ") + all_[i].name + ": down (" + outcomes[i].result.error().message() + ")";
      continue;
    }
    candidates.push_back({all_[i], outcomes[i].result->warning.empty() ? Health::kHealthy : Health::kDegraded,
                          outcomes[i].latency_ms});
  }
  ranked_ = rank(std::move(candidates));
  probed_at_ = std::chrono::steady_clock::now();
  return ranked_;
}

std::string ConfigSources::left_out() {
  std::lock_guard lock(mu_);
  return left_out_;
}

Result<std::shared_ptr<backends::Backend>> configured_backend(const Config& config, const std::string& name,
                                                              std::chrono::milliseconds request_timeout) {
  auto section = config.get("backends." + name);
  if (!section || !section->is_object()) {
    std::string names;
    for (const auto& n : config.backend_names()) names += (names.empty() ? "" : ", ") + n;
    return not_found("unknown backend \"" + name + "\" (configured: " + names + ")");
  }
  if (backend_type_of(name, *section) == std::optional<std::string>("ipfs"))
    return invalid_argument("backend " + name +
                            " is this repository itself; restore from another backend (ipfs-kit backend list)");
  if (!section->value("enabled", true))
    return make_error(Code::kUnavailable, "backend " + name + " is disabled (backends." + name + ".enabled is false)");
  auto missing = missing_fields(name, *section);
  if (!missing.empty())
    return make_error(Code::kUnavailable, "backend " + name + " is unconfigured: " + describe_missing(name, *section, missing));
  backends::Environment env;
  env.request_timeout = request_timeout;
  auto b = backends::make_backend(name, *section, env);
  if (!b) {
    if (b.error().code() == Code::kUnsupported) return tl::unexpected(b.error());
    return make_error(Code::kUnavailable, "backend " + name + " is unconfigured: " + b.error().message());
  }
  return std::shared_ptr<backends::Backend>(std::move(*b));
}

// ---- the fallback ----

BackendFallback::BackendFallback(std::shared_ptr<SourceList> list, BackendFallbackOptions options)
    : list_(std::move(list)), o_(options) {}

Result<Bytes> BackendFallback::fetch(const Cid& cid) {
  std::vector<ReadSource> sources = list_->sources();
  // Backends that are down may hold the block: Unavailable rather than
  // NotFound when nobody else has it.
  const std::string down = list_->left_out();
  if (sources.empty()) {
    if (down.empty()) return not_found("no backend can serve blocks");
    return make_error(Code::kUnavailable, "no healthy backend can serve blocks (" + down + ")");
  }
  std::string tried = down;
  bool unavailable = !down.empty(), corrupt = false;
  auto note = [&](const std::string& name, const std::string& what) {
    tried += (tried.empty() ? "" : "; ") + name + ": " + what;
  };
  for (const ReadSource& s : sources) {
    {
      std::lock_guard lock(mu_);
      PerSource& p = per_source_[s.name];
      if (std::chrono::steady_clock::now() < p.skip_until) {
        unavailable = true;
        note(s.name, "skipped (it failed to answer moments ago)");
        continue;
      }
    }
    auto data = s.backend->get_block(cid);  // re-hashed: Corruption when wrong
    std::lock_guard lock(mu_);
    PerSource& p = per_source_[s.name];
    if (data) {
      p.served++;
      return data;
    }
    const Error& e = data.error();
    if (e.code() == Code::kNotFound) {
      p.not_found++;
      note(s.name, "not there");
    } else if (e.code() == Code::kCorruption) {
      p.refused++;
      corrupt = true;
      note(s.name, "sent bad data (refused)");
      const auto now = std::chrono::steady_clock::now();
      if (now - p.last_refusal_log >= std::chrono::minutes(1)) {
        p.last_refusal_log = now;
        logging::warn("retrieval", "backend sent a block that does not match its CID",
                      {{"backend", s.name}, {"cid", cid.to_string()}, {"error", e.message()},
                       {"refused_so_far", std::to_string(p.refused)}});
      }
    } else {
      p.failed++;
      unavailable = true;
      note(s.name, e.message());
      if (transport_failure(e.code())) p.skip_until = std::chrono::steady_clock::now() + o_.cooldown;
    }
  }
  const std::string msg = "no backend delivered " + cid.to_string() + " (" + tried + ")";
  if (unavailable) return make_error(Code::kUnavailable, msg);
  if (corrupt) return make_error(Code::kCorruption, msg);
  return not_found(msg);
}

json BackendFallback::stats_json() {
  std::lock_guard lock(mu_);
  json out = json::object();
  for (auto& [name, p] : per_source_)
    out[name] = {{"served", p.served}, {"not_found", p.not_found}, {"refused", p.refused}, {"failed", p.failed}};
  return out;
}

// ---- settings ----

RetrievalSettings settings_of(const Config& config) {
  RetrievalSettings s;
  s.fallback = bool_key(config, "retrieval.fallback", true);
  s.cache = bool_key(config, "retrieval.cache", true);
  s.timeout = std::chrono::milliseconds(int_key(config, "retrieval.timeout", 30) * 1000L);
  return s;
}

void install_config_fallback(core::Node& node) {
  const Config& config = node.repo().config();
  RetrievalSettings s = settings_of(config);
  if (!s.fallback) return;
  ConfigSourcesOptions o;
  o.request_timeout = s.timeout;
  o.probe_timeout = std::chrono::milliseconds(int_key(config, "daemon.health_check_timeout", 5) * 1000L);
  o.reprobe_interval = std::chrono::seconds(int_key(config, "daemon.health_check_interval", 30));
  auto list = std::make_shared<ConfigSources>(config, o);
  core::FallbackOptions fo;
  fo.cache = s.cache;
  node.set_fallback(std::make_shared<BackendFallback>(std::move(list)), fo);
}

}  // namespace ipfskit::retrieval
