#include "config/config.h"

#include "base/utf8.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/io.h"
#include "config/backends.h"
#include "multiformats/multihash.h"
#include "unixfs/chunker.h"

namespace ipfskit {

using nlohmann::json;

namespace {

using Validator = std::function<std::string(json&)>;

Validator boolean() {
  return [](json& j) { return j.is_boolean() ? "" : "expected true or false"; };
}

Validator integer(int64_t min, int64_t max) {
  return [min, max](json& j) -> std::string {
    if (!j.is_number_integer()) return "expected an integer";
    int64_t v = j.get<int64_t>();
    if (v < min || v > max) return "expected an integer between " + std::to_string(min) + " and " + std::to_string(max);
    return "";
  };
}

Validator one_of(std::vector<std::string> options, bool upper = false, bool nullable = false) {
  return [options, upper, nullable](json& j) -> std::string {
    if (nullable && j.is_null()) return "";
    if (!j.is_string()) return "expected a string";
    std::string s = j.get<std::string>();
    if (upper) std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    if (std::find(options.begin(), options.end(), s) == options.end()) {
      std::string list;
      for (const auto& o : options) list += (list.empty() ? "" : ", ") + o;
      return "expected one of: " + list;
    }
    j = s;
    return "";
  };
}

// "host:port" or "[v6addr]:port".
Validator address() {
  return [](json& j) -> std::string {
    if (!j.is_string()) return "expected \"host:port\"";
    std::string s = j.get<std::string>();
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return "expected \"host:port\"";
    std::string host = s.substr(0, colon), port = s.substr(colon + 1);
    if (host.front() == '[' && host.back() != ']') return "malformed IPv6 address";
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535)
      return "port must be a number between 0 and 65535";
    for (char c : host)
      if (std::isspace(static_cast<unsigned char>(c))) return "host contains whitespace";
    return "";
  };
}

// An address, or "" to disable the listener.
Validator optional_address() {
  return [](json& j) -> std::string {
    if (j.is_string() && j.get<std::string>().empty()) return "";
    return address()(j);
  };
}

// A list of absolute directory paths (mcp.allowed_roots).
Validator absolute_paths() {
  return [](json& j) -> std::string {
    if (!j.is_array()) return "expected a list of absolute paths, e.g. [\"/srv/data\"]";
    for (const auto& v : j) {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>()[0] != '/')
        return "expected a list of absolute paths, e.g. [\"/srv/data\"]";
      const std::string p = v.get<std::string>();
      if (p.find("/../") != std::string::npos || (p.size() >= 3 && p.compare(p.size() - 3, 3, "/..") == 0))
        return "paths may not contain \"..\"";
    }
    return "";
  };
}

Validator string_list() {
  return [](json& j) -> std::string {
    if (!j.is_array()) return "expected a list of strings";
    for (const auto& v : j)
      if (!v.is_string() || v.get<std::string>().empty()) return "expected a list of non-empty strings";
    return "";
  };
}

Validator nullable_string() {
  return [](json& j) -> std::string { return j.is_null() || j.is_string() ? "" : "expected a string or null"; };
}

Validator nullable_bool() {
  return [](json& j) -> std::string { return j.is_null() || j.is_boolean() ? "" : "expected true, false or null"; };
}

Validator chunker() {
  return [](json& j) -> std::string {
    if (j.is_null()) return "";
    if (!j.is_string()) return "expected a chunker spec such as \"size-262144\"";
    auto spec = unixfs::parse_chunker(j.get<std::string>(), 262144);
    return spec ? "" : spec.error().message();
  };
}

Validator hash_function() {
  return [](json& j) -> std::string {
    if (j.is_null()) return "";
    if (!j.is_string()) return "expected a hash function name";
    auto h = multihash::by_name(j.get<std::string>());
    if (!h || !h->implemented) return "unsupported hash function";
    return "";
  };
}

Validator cid_version() {
  return [](json& j) -> std::string {
    if (j.is_null()) return "";
    if (!j.is_number_integer() || (j.get<int64_t>() != 0 && j.get<int64_t>() != 1)) return "expected 0, 1 or null";
    return "";
  };
}

// vfs.mounts: [{"mountpoint": "/abs/dir", "source": "/ipfs/<cid>" (optional)}].
Validator mount_list() {
  return [](json& j) -> std::string {
    if (!j.is_array()) return "expected a list of {\"mountpoint\": \"/abs/dir\", \"source\": \"/ipfs/<cid>\"}";
    if (j.size() > 64) return "at most 64 mounts";
    for (auto& m : j) {
      if (!m.is_object() || !m.contains("mountpoint") || !m["mountpoint"].is_string())
        return "each mount needs a \"mountpoint\" string";
      std::string mp = m["mountpoint"].get<std::string>();
      if (mp.empty() || mp[0] != '/') return "mount points must be absolute paths";
      for (auto& [k, v] : m.items()) {
        if (k != "mountpoint" && k != "source") return "unknown mount field \"" + k + "\"";
        if (k == "source" && !v.is_null() && !v.is_string()) return "\"source\" must be a string";
      }
    }
    return "";
  };
}

std::vector<ConfigKey> build_schema() {
  std::vector<ConfigKey> s = {
      {"daemon.pid_file", "daemon.pid", "pid file, relative to the repository unless absolute", nullable_string(), true},
      {"daemon.log_level", "INFO", "DEBUG, INFO, WARNING, ERROR or CRITICAL",
       one_of({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, /*upper=*/true), false},
      {"daemon.health_check_interval", 30, "seconds between backend health checks", integer(1, 86400), false},
      {"daemon.health_check_timeout", 5, "seconds a backend health probe may take before it counts as missed",
       integer(1, 300), false},
      {"daemon.replication_check_interval", 300, "seconds between replication checks", integer(1, 604800), false},
      {"daemon.log_rotation_interval", 3600, "seconds between log rotations", integer(60, 604800), false},
      {"daemon.api_address", "127.0.0.1:8887", "management API listener", address(), true},
      {"daemon.rpc_address", "127.0.0.1:5001", "Kubo RPC listener", address(), true},
      {"daemon.gateway_address", "127.0.0.1:8080", "HTTP gateway listener", address(), true},
      {"daemon.gateway_sendfile", "auto",
       "gateway file bodies sent from the pack files with sendfile(2) once verified: auto (to clients on other "
       "hosts; loopback clients get the verified copy), always, never",
       one_of({"auto", "always", "never"}), true},
      {"daemon.api_token", nullptr, "bearer token required by the API and RPC when set", nullable_string(), false},
      {"daemon.http_header_timeout", 30, "seconds a client has to send a request's header", integer(1, 3600), true},
      {"daemon.http_idle_timeout", 60, "seconds a keep-alive connection may idle, or a transfer stall", integer(1, 86400), true},
      {"daemon.http_max_connections", 1024, "open connections per listener; more wait to be accepted", integer(1, 65536), true},
      {"daemon.mcp_address", "127.0.0.1:8888", "MCP, the seeds' /api REST and the dashboard (\"\" disables)",
       optional_address(), true},
      {"mcp.address", "127.0.0.1:8888", "listener of `ipfs-kit mcp serve`", address(), false},
      {"mcp.allowed_roots", json::array(), "directories MCP tools may read and write on the server (none by default)",
       absolute_paths(), true},
      {"mcp.allowed_hosts", json::array(), "extra Host names the MCP listener answers (behind a proxy)", string_list(),
       true},
      {"mcp.max_content_bytes", 1 << 20, "bytes of content one MCP call returns (cat, block_get, dag_export)",
       integer(1024, 64 << 20), true},
  };
  // The seeds' five backends exist by default; others are added by name
  // (config/backends.h validates every backend section as a whole).
  for (const SeedBackend& b : seed_backends()) {
    s.push_back({std::string("backends.") + b.name + ".enabled", b.enabled, "whether the backend is used", boolean(), false});
    s.push_back({std::string("backends.") + b.name + ".auto_start", b.enabled, "start it with the daemon", boolean(), false});
  }
  std::vector<ConfigKey> rest = {
      {"replication.enabled", true, "keep pins replicated across backends", boolean(), false},
      {"replication.auto_replication", true, "repair replicas automatically", boolean(), false},
      {"replication.min_replicas", 2, "fewest verified copies of each pin", integer(1, 100), false},
      {"replication.max_replicas", 5, "most copies of each pin", integer(1, 100), false},
      {"replication.check_interval", 300, "seconds between replication passes", integer(1, 604800), false},
      {"retrieval.fallback", true, "reads fetch blocks the repository lacks from healthy backends", boolean(), false},
      {"retrieval.cache", true, "keep fetched blocks in the repository, unpinned (garbage collection removes them)",
       boolean(), false},
      {"retrieval.timeout", 30, "seconds one block fetch from one backend may take", integer(1, 600), false},
      {"replication.repair_grace", 600, "seconds a backend may be down before its copies are made elsewhere",
       integer(0, 31536000), false},
      {"replication.verify_interval", 3600, "seconds between sampled re-verifications of copies", integer(1, 31536000),
       false},
      {"replication.verify_sample", 20, "copies read back again per sampled re-verification", integer(0, 100000), false},
      {"replication.concurrency", 4, "pins a replication pass works on at once", integer(1, 64), false},
      {"monitoring.health_checks", true, "run backend health checks", boolean(), false},
      {"monitoring.metrics_collection", true, "collect metrics", boolean(), false},
      {"monitoring.log_aggregation", true, "collect backend logs", boolean(), false},
      {"monitoring.performance_monitoring", true, "record latencies", boolean(), false},
      {"import.profile", "unixfs-v0-2015", "IPIP-499 profile: unixfs-v0-2015 or unixfs-v1-2025",
       one_of({"unixfs-v0-2015", "unixfs-v1-2025", "legacy-cid-v0"}), false},
      {"import.cid_version", nullptr, "CID version for adds (null: from the profile)", cid_version(), false},
      {"import.raw_leaves", nullptr, "raw leaves for adds (null: from the profile)", nullable_bool(), false},
      {"import.chunker", nullptr, "chunker for adds (null: from the profile)", chunker(), false},
      {"import.hash", nullptr, "hash function for adds (null: sha2-256)", hash_function(), false},
      {"import.layout", nullptr, "balanced or trickle (null: balanced)",
       one_of({"balanced", "trickle"}, false, /*nullable=*/true), false},
      {"vfs.mounts", json::array(), "FUSE mounts the daemon holds: [{\"mountpoint\": \"/dir\", \"source\": \"/ipfs/<cid>\"}]",
       mount_list(), true},
  };
  s.insert(s.end(), rest.begin(), rest.end());
  return s;
}

json::json_pointer pointer_of(std::string_view dotted) {
  std::string p;
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string_view::npos) dot = dotted.size();
    p += "/";
    p += dotted.substr(start, dot - start);
    start = dot + 1;
  }
  return json::json_pointer(p);
}

// Collects the dotted paths of every leaf in `j`.
void leaves(const json& j, const std::string& prefix, std::vector<std::string>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it) leaves(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else {
    out.push_back(prefix);
  }
}

}  // namespace

const std::vector<ConfigKey>& config_schema() {
  static const std::vector<ConfigKey> schema = build_schema();
  return schema;
}

const ConfigKey* find_config_key(std::string_view path) {
  for (const auto& k : config_schema())
    if (k.path == path) return &k;
  return nullptr;
}

Config Config::defaults() {
  Config c;
  c.doc_ = json::object();
  for (const auto& k : config_schema()) c.doc_[pointer_of(k.path)] = k.default_value;
  return c;
}

Result<Config> Config::load(const std::string& path) {
  Bytes raw = TRY(read_file(path));
  json file = json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
  if (file.is_discarded()) return invalid_argument("config " + path + " is not valid JSON");
  if (!file.is_object()) return invalid_argument("config " + path + " must be a JSON object");
  Config c = defaults();
  std::vector<std::string> keys;
  leaves(file, "", keys);
  for (const std::string& k : keys) {
    if (k.empty()) continue;  // an empty file object
    if (k == "backends" || k.rfind("backends.", 0) == 0) continue;  // below, one section at a time
    const ConfigKey* def = find_config_key(k);
    if (def == nullptr) return invalid_argument("config " + path + ": unknown key \"" + k + "\"");
    json v = file[pointer_of(k)];
    std::string err = def->validate(v);
    if (!err.empty()) return invalid_argument("config " + path + ": " + k + ": " + err);
    c.doc_[pointer_of(k)] = v;
  }
  if (file.contains("backends")) {
    if (!file["backends"].is_object()) return invalid_argument("config " + path + ": backends: expected an object");
    for (auto& [name, section] : file["backends"].items()) {
      json merged = c.doc_["backends"].contains(name) ? c.doc_["backends"][name] : json::object();
      if (!section.is_object()) return invalid_argument("config " + path + ": backends." + name + ": expected an object");
      for (auto& [f, v] : section.items()) merged[f] = v;
      std::string err = validate_backend(name, merged);
      if (!err.empty()) return invalid_argument("config " + path + ": " + err);
      c.doc_["backends"][name] = std::move(merged);
    }
  }
  return c;
}

Result<Config> Config::load_or_default(const std::string& path) {
  auto c = load(path);
  if (!c && c.error().code() == Code::kNotFound) return defaults();
  return c;
}

Status Config::save(const std::string& path) const {
  std::string text = doc_.dump(2) + "\n";
  return write_file_atomic(path, as_bytes(text));
}

Result<json> Config::get(std::string_view path) const {
  if (path.empty()) return doc_;
  auto ptr = pointer_of(path);
  if (!doc_.contains(ptr)) return not_found("unknown config key \"" + std::string(path) + "\"");
  return doc_[ptr];
}

Status Config::set_json(std::string_view path, json value) {
  if (path.rfind("backends.", 0) == 0) return set_backend_field(path, std::move(value));
  const ConfigKey* def = find_config_key(path);
  if (def == nullptr) return invalid_argument("unknown config key \"" + std::string(path) + "\"");
  std::string err = def->validate(value);
  if (!err.empty()) return invalid_argument(std::string(path) + ": " + err);
  json updated = doc_;
  updated[pointer_of(path)] = value;
  if (updated["replication"]["min_replicas"].get<int64_t>() > updated["replication"]["max_replicas"].get<int64_t>())
    return invalid_argument("replication.min_replicas may not exceed replication.max_replicas");
  doc_ = std::move(updated);
  return {};
}

Status Config::set(std::string_view path, std::string_view text) {
  if (path.rfind("backends.", 0) == 0) {
    // A backend field: parsed for its type (bare strings, "a,b" lists).
    std::string_view rest = path.substr(9);
    const size_t dot = rest.find('.');
    if (dot == std::string_view::npos) {
      json section = json::parse(text, nullptr, false);
      if (section.is_discarded()) return invalid_argument(std::string(path) + ": expected a JSON object");
      // null removes the backend (backend rm).
      if (section.is_null()) return remove_backend(std::string(rest));
      return set_backend(std::string(rest), std::move(section));
    }
    const std::string name(rest.substr(0, dot));
    std::string field(rest.substr(dot + 1));
    if (field.rfind("env.", 0) == 0) return set_backend_field(path, json(std::string(text)));
    if (field == "type") return set_backend_field(path, json(std::string(text)));
    const json current = doc_["backends"].contains(name) ? doc_["backends"][name] : json::object();
    auto type = backend_type_of(name, current);
    if (!type)
      return invalid_argument("backends." + name + " does not exist: add it with `ipfs-kit backend add " + name +
                              " --type TYPE` (or set backends." + name + ".type first)");
    return set_backend_field(path, TRY(parse_backend_value(*type, field, text)));
  }
  const ConfigKey* def = find_config_key(path);
  if (def == nullptr) return invalid_argument("unknown config key \"" + std::string(path) + "\"");
  if (!valid_utf8(text)) return invalid_argument(std::string(path) + ": the value is not valid UTF-8");
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = std::string(text);  // a bare word for a string key
  return set_json(path, std::move(value));
}

Status Config::set_backend_field(std::string_view path, json value) {
  std::string_view rest = path.substr(9);
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return set_backend(std::string(rest), std::move(value));
  const std::string name(rest.substr(0, dot));
  const std::string field(rest.substr(dot + 1));
  json section = doc_["backends"].contains(name) ? doc_["backends"][name] : json::object();
  if (!section.is_object()) section = json::object();
  if (field.rfind("env.", 0) == 0) {
    if (!section.contains("env") || !section["env"].is_object()) section["env"] = json::object();
    if (value.is_null()) section["env"].erase(field.substr(4));
    else section["env"][field.substr(4)] = std::move(value);
  } else if (value.is_null()) {
    section.erase(field);
  } else {
    section[field] = std::move(value);
  }
  return set_backend(name, std::move(section));
}

Status Config::set_backend(const std::string& name, json section) {
  if (!section.is_object()) return invalid_argument("backends." + name + ": expected an object");
  const bool existed = doc_["backends"].contains(name);
  if (!existed && find_seed_backend(name) == nullptr) {
    // A new backend is used once added; its process starts with the daemon.
    if (!section.contains("enabled")) section["enabled"] = true;
    if (!section.contains("auto_start")) section["auto_start"] = true;
  }
  std::string err = validate_backend(name, section);
  if (!err.empty()) return invalid_argument(err);
  doc_["backends"][name] = std::move(section);
  return {};
}

Status Config::remove_backend(const std::string& name) {
  if (find_seed_backend(name) != nullptr)
    return invalid_argument("\"" + name + "\" is one of the seeds' backends and cannot be removed; disable it with: ipfs-kit config set backends." +
                            name + ".enabled false");
  if (!doc_["backends"].contains(name)) return not_found("no backend named \"" + name + "\"");
  doc_["backends"].erase(name);
  return {};
}

std::vector<std::string> Config::backend_names() const {
  std::vector<std::string> out;
  if (doc_.contains("backends") && doc_["backends"].is_object())
    for (auto it = doc_["backends"].begin(); it != doc_["backends"].end(); ++it) out.push_back(it.key());
  return out;
}

json Config::redacted() const {
  json out = doc_;
  if (out.contains("daemon") && out["daemon"].contains("api_token")) {
    const json& t = out["daemon"]["api_token"];
    if (!t.is_null() && !(t.is_string() && t.get<std::string>().empty())) out["daemon"]["api_token"] = "(set)";
  }
  if (out.contains("backends") && out["backends"].is_object())
    for (auto& [name, section] : out["backends"].items()) section = redact_backend(name, section);
  return out;
}

Result<json> Config::get_redacted(std::string_view path) const {
  if (path.empty()) return redacted();
  json r = redacted();
  auto ptr = pointer_of(path);
  if (!r.contains(ptr)) return not_found("unknown config key \"" + std::string(path) + "\"");
  return r[ptr];
}

}  // namespace ipfskit
