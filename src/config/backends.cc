#include "config/backends.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "base/utf8.h"

namespace ipfskit {

using nlohmann::json;

namespace {

using K = BackendFieldKind;

BackendField field(std::string name, K kind, std::string description, std::string example = "", bool required = false,
                   bool secret = false) {
  BackendField f;
  f.name = std::move(name);
  f.kind = kind;
  f.description = std::move(description);
  f.example = std::move(example);
  f.required = required;
  f.secret = secret;
  return f;
}

BackendField integer_field(std::string name, std::string description, int64_t min, int64_t max) {
  BackendField f = field(std::move(name), K::kInteger, std::move(description));
  f.min = min;
  f.max = max;
  return f;
}

std::vector<BackendType> build_types() {
  const std::string gateway_readback =
      "optional trustless gateway to read pinned blocks back from (so its copies can be verified)";
  return {
      {"ipfs", "the embedded IPFS node (this repository)", {}, ""},
      {"kubo",
       "any node speaking Kubo's RPC (Kubo, or another ipfs-kit daemon)",
       {field("rpc", K::kUrl, "Kubo RPC base URL", "http://127.0.0.1:5001", true),
        field("gateway", K::kUrl, "gateway URL to read blocks back from (default: the RPC)", "http://127.0.0.1:8080"),
        field("token", K::kString, "sent as Authorization: Bearer (or Basic for user:password)", "", false, true)},
       ""},
      {"s3",
       "an S3-compatible object store (AWS, MinIO, Ceph, R2, ...): one object per block",
       {field("endpoint", K::kUrl, "service URL (default https://s3.<region>.amazonaws.com)", "http://127.0.0.1:9000"),
        field("bucket", K::kString, "bucket name", "my-bucket", true),
        field("region", K::kString, "signing region (default us-east-1)", "us-east-1"),
        field("prefix", K::kString, "key prefix inside the bucket, e.g. \"ipfs/\"", "ipfs/"),
        field("access_key", K::kString, "access key id", "AKIA...", true, true),
        field("secret_key", K::kString, "secret access key", "", true, true),
        field("path_style", K::kBool, "path-style URLs (http://host/bucket/key) instead of bucket.host"),
        integer_field("concurrency", "parallel connections for transfers (default 16)", 1, 256)},
       ""},
      {"filesystem",
       "a directory in Kubo's flatfs layout (an external disk, an NFS or SMB mount, a Kubo repository's blocks/)",
       {field("path", K::kPath, "the flatfs directory (its parent must exist)", "/mnt/disk/ipfs-blocks", true)},
       ""},
      {"pinning_service",
       "a remote pinning service speaking the IPFS Pinning Service API (Pinata, Filebase, another ipfs-kit)",
       {field("endpoint", K::kUrl, "API base URL (the one ending before /pins)", "https://api.pinata.cloud/psa", true),
        field("token", K::kString, "access token (sent as a Bearer token)", "", true, true),
        field("gateway", K::kUrl, gateway_readback, "https://gateway.example"),
        integer_field("pin_timeout", "seconds to wait for a pin to leave queued/pinning (default 600)", 1, 86400)},
       ""},
      {"ipfs_cluster",
       "an IPFS Cluster peer's REST API",
       {field("endpoint", K::kUrl, "REST API URL", "http://127.0.0.1:9094", true),
        field("token", K::kString, "Bearer token, or user:password for Basic auth", "", false, true),
        field("gateway", K::kUrl, gateway_readback, "http://127.0.0.1:8080"),
        integer_field("pin_timeout", "seconds to wait for the cluster to pin (default 600)", 1, 86400)},
       ""},
      {"gateway",
       "a trustless HTTP gateway or a Lassie daemon: retrieval only, never a replica",
       {field("url", K::kUrl, "gateway base URL (the one before /ipfs/)", "http://127.0.0.1:8080", true)},
       ""},
      {"lotus",
       "a Filecoin Lotus node",
       {field("rpc", K::kUrl, "Lotus JSON-RPC URL", "http://127.0.0.1:1234/rpc/v0"),
        field("token", K::kString, "Lotus API token", "", false, true)},
       "Lotus removed JSON-RPC deal making in 2024 (deals now go through Boost and similar market nodes); "
       "ipfs-kit does not make Filecoin deals"},
      {"storacha",
       "Storacha (web3.storage)",
       {},
       "Storacha's upload API needs UCAN delegations (a signing key and proofs), which ipfs-kit does not implement"},
  };
}

const std::vector<SeedBackend> kSeeds = {
    {"ipfs", "ipfs", true},       {"ipfs_cluster", "ipfs_cluster", true}, {"lotus", "lotus", false},
    {"lassie", "gateway", true},  {"storacha", "storacha", false},
};

const BackendField* find_field(const std::vector<BackendField>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

bool valid_env_name(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string part(text.substr(start, comma - start));
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
    start = comma + 1;
  }
  return out;
}

// Checks (and normalizes) one value; "" or what is wrong with it.
std::string check_value(const BackendField& f, json& v) {
  auto utf8_string = [](const json& s) { return s.is_string() && valid_utf8(s.get_ref<const std::string&>()); };
  switch (f.kind) {
    case K::kString:
      if (!utf8_string(v)) return "expected a string";
      if (v.get_ref<const std::string&>().size() > 4096) return "longer than 4096 bytes";
      return "";
    case K::kUrl: {
      if (!utf8_string(v)) return "expected a URL";
      const std::string& s = v.get_ref<const std::string&>();
      if (s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) return "expected an http:// or https:// URL";
      const size_t host_start = s.find("://") + 3;
      if (host_start >= s.size() || s[host_start] == '/') return "the URL has no host";
      for (char c : s)
        if (std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) < 0x20) return "the URL contains whitespace";
      std::string trimmed = s;
      while (trimmed.size() > host_start + 1 && trimmed.back() == '/') trimmed.pop_back();
      v = trimmed;
      return "";
    }
    case K::kPath:
      if (!utf8_string(v)) return "expected an absolute path";
      if (v.get_ref<const std::string&>().empty() || v.get_ref<const std::string&>()[0] != '/') return "expected an absolute path";
      if (v.get_ref<const std::string&>().find('\0') != std::string::npos) return "the path contains NUL";
      return "";
    case K::kBool:
      return v.is_boolean() ? "" : "expected true or false";
    case K::kInteger:
      if (!v.is_number_integer()) return "expected an integer";
      if (v.get<int64_t>() < f.min || v.get<int64_t>() > f.max)
        return "expected an integer between " + std::to_string(f.min) + " and " + std::to_string(f.max);
      return "";
    case K::kStringList:
      if (v.is_string()) v = split_list(v.get<std::string>());
      if (!v.is_array()) return "expected a list of strings";
      if (v.size() > 256) return "more than 256 entries";
      for (const auto& e : v)
        if (!utf8_string(e)) return "expected a list of strings";
      return "";
    case K::kStringMap:
      if (!v.is_object()) return "expected an object of strings";
      if (v.size() > 256) return "more than 256 entries";
      for (auto& [k, e] : v.items()) {
        if (!valid_env_name(k)) return "\"" + k + "\" is not a valid environment variable name";
        if (!utf8_string(e)) return "the value of \"" + k + "\" must be a string";
      }
      return "";
  }
  return "unknown field kind";
}

}  // namespace

const std::vector<BackendField>& common_backend_fields() {
  static const std::vector<BackendField> fields = {
      field("type", K::kString, "backend type: " + backend_type_names(), "s3"),
      field("enabled", K::kBool, "whether the daemon uses it (default true)"),
      field("auto_start", K::kBool, "start its process with the daemon (default true; needs command)"),
      field("tags", K::kStringList, "labels for placement, e.g. [\"ssd\", \"eu\"]"),
      field("failure_domain", K::kString, "what fails together (a host, a rack, a provider); copies go to distinct ones"),
      field("command", K::kString, "a program the daemon runs and supervises for this backend", "node"),
      field("args", K::kStringList, "the program's arguments"),
      field("env", K::kStringMap, "environment variables for the program"),
      field("cwd", K::kPath, "the program's working directory"),
  };
  return fields;
}

const std::vector<BackendType>& backend_types() {
  static const std::vector<BackendType> types = build_types();
  return types;
}

const BackendType* find_backend_type(std::string_view name) {
  for (const auto& t : backend_types())
    if (t.name == name) return &t;
  return nullptr;
}

std::string backend_type_names() {
  std::string out;
  for (const auto& t : backend_types()) out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

const std::vector<SeedBackend>& seed_backends() { return kSeeds; }

const SeedBackend* find_seed_backend(std::string_view name) {
  for (const auto& s : kSeeds)
    if (name == s.name) return &s;
  return nullptr;
}

bool valid_backend_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

std::optional<std::string> backend_type_of(std::string_view name, const json& section) {
  if (section.is_object() && section.contains("type") && section["type"].is_string()) return section["type"].get<std::string>();
  if (const SeedBackend* s = find_seed_backend(name)) return std::string(s->type);
  return std::nullopt;
}

std::string validate_backend(const std::string& name, json& section) {
  const std::string key = "backends." + name;
  if (!valid_backend_name(name)) return key + ": a backend name is 1-64 letters, digits, '_' or '-'";
  if (!section.is_object()) return key + ": expected an object";
  auto type_name = backend_type_of(name, section);
  if (!type_name) return key + ".type: required (one of: " + backend_type_names() + ")";
  const BackendType* type = find_backend_type(*type_name);
  if (type == nullptr) return key + ".type: unknown backend type \"" + *type_name + "\" (one of: " + backend_type_names() + ")";
  if (const SeedBackend* seed = find_seed_backend(name); seed != nullptr && *type_name != seed->type)
    return key + ".type: \"" + name + "\" is one of the seeds' backends and has type " + seed->type;
  if (name == "ipfs" && type->name == "ipfs") {
    // The embedded node is not a process the daemon runs.
    for (const char* f : {"command", "args", "env", "cwd"})
      if (section.contains(f)) return key + "." + f + ": the embedded node is not supervised";
  } else if (type->name == "ipfs") {
    return key + ".type: only the backend named \"ipfs\" can be the embedded node";
  }
  for (auto it = section.begin(); it != section.end(); ++it) {
    const std::string& f = it.key();
    const BackendField* def = find_field(common_backend_fields(), f);
    bool env_form = false;
    if (def == nullptr) def = find_field(type->fields, f);
    if (def == nullptr && f.size() > 4 && f.compare(f.size() - 4, 4, "_env") == 0) {
      def = find_field(type->fields, std::string_view(f).substr(0, f.size() - 4));
      env_form = def != nullptr;
    }
    if (def == nullptr) {
      std::string fields;
      for (const auto& c : type->fields) fields += (fields.empty() ? "" : ", ") + c.name;
      return key + ": unknown field \"" + f + "\" for type " + type->name +
             (fields.empty() ? " (it has no fields of its own)" : " (its fields: " + fields + ")");
    }
    if (env_form) {
      if (def->kind != K::kString && def->kind != K::kUrl && def->kind != K::kPath)
        return key + "." + f + ": only string fields can come from the environment";
      if (!it.value().is_string() || !valid_env_name(it.value().get<std::string>()))
        return key + "." + f + ": expected the name of an environment variable";
      if (section.contains(def->name)) return key + ": give " + def->name + " or " + f + ", not both";
      continue;
    }
    std::string err = check_value(*def, it.value());
    if (!err.empty()) return key + "." + f + ": " + err;
  }
  if (section.contains("type") && section["type"].is_string() && !find_backend_type(section["type"].get<std::string>()))
    return key + ".type: unknown backend type";
  return "";
}

std::vector<std::string> missing_fields(const std::string& name, const json& section) {
  std::vector<std::string> out;
  auto type_name = backend_type_of(name, section);
  const BackendType* type = type_name ? find_backend_type(*type_name) : nullptr;
  if (type == nullptr) return {"backends." + name + ".type"};
  for (const auto& f : type->fields) {
    if (!f.required) continue;
    const bool set = section.contains(f.name) && !(section[f.name].is_string() && section[f.name].get<std::string>().empty());
    if (!set && !section.contains(f.name + "_env")) out.push_back("backends." + name + "." + f.name);
  }
  return out;
}

std::string describe_missing(const std::string& name, const json& section, const std::vector<std::string>& missing) {
  auto type_name = backend_type_of(name, section);
  const BackendType* type = type_name ? find_backend_type(*type_name) : nullptr;
  std::string out;
  for (const auto& key : missing) {
    out += out.empty() ? "set " : "; set ";
    out += key;
    const std::string field = key.substr(key.rfind('.') + 1);
    const BackendField* f = type != nullptr ? find_field(type->fields, field) : nullptr;
    if (f != nullptr) {
      out += " (" + f->description;
      if (!f->example.empty()) out += ", e.g. " + f->example;
      if (f->secret) out += "; or " + field + "_env naming an environment variable";
      out += ")";
    }
  }
  return out;
}

json redact_backend(const std::string& name, const json& section) {
  json out = section;
  if (!out.is_object()) return out;
  auto type_name = backend_type_of(name, section);
  const BackendType* type = type_name ? find_backend_type(*type_name) : nullptr;
  if (type != nullptr)
    for (const auto& f : type->fields)
      if (f.secret && out.contains(f.name) && !out[f.name].is_null()) out[f.name] = "(set)";
  if (out.contains("env") && out["env"].is_object())
    for (auto& [k, v] : out["env"].items()) v = "(set)";
  return out;
}

Result<std::optional<std::string>> resolve_field(const json& section, std::string_view field_name) {
  const std::string f(field_name);
  if (section.contains(f) && !section[f].is_null()) {
    if (!section[f].is_string()) return invalid_argument(f + " is not a string");
    return std::optional<std::string>(section[f].get<std::string>());
  }
  if (section.contains(f + "_env") && section[f + "_env"].is_string()) {
    const std::string var = section[f + "_env"].get<std::string>();
    const char* v = std::getenv(var.c_str());
    if (v == nullptr)
      return invalid_argument(f + "_env names the environment variable " + var + ", which is not set in the daemon's environment");
    return std::optional<std::string>(std::string(v));
  }
  return std::optional<std::string>();
}

Result<json> parse_backend_value(std::string_view type_name, std::string_view field_name, std::string_view text) {
  const BackendType* type = find_backend_type(type_name);
  if (type == nullptr) return invalid_argument("unknown backend type \"" + std::string(type_name) + "\"");
  if (!valid_utf8(text)) return invalid_argument(std::string(field_name) + ": the value is not valid UTF-8");
  const BackendField* def = find_field(common_backend_fields(), field_name);
  if (def == nullptr) def = find_field(type->fields, field_name);
  if (def == nullptr && field_name.size() > 4 && field_name.substr(field_name.size() - 4) == "_env")
    return json(std::string(text));
  if (def == nullptr) {
    std::string fields;
    for (const auto& c : type->fields) fields += (fields.empty() ? "" : ", ") + c.name;
    return invalid_argument("unknown field \"" + std::string(field_name) + "\" for type " + type->name +
                            (fields.empty() ? " (it has no fields of its own)" : " (its fields: " + fields + ")"));
  }
  switch (def->kind) {
    case K::kBool:
      if (text == "true") return json(true);
      if (text == "false") return json(false);
      return invalid_argument(std::string(field_name) + ": expected true or false");
    case K::kInteger: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size())
        return invalid_argument(std::string(field_name) + ": expected an integer");
      return json(v);
    }
    case K::kStringList:
    case K::kStringMap: {
      if (!text.empty() && (text.front() == '[' || text.front() == '{')) {
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded()) return invalid_argument(std::string(field_name) + ": malformed JSON");
        return j;
      }
      if (def->kind == K::kStringMap)
        return invalid_argument(std::string(field_name) + ": expected a JSON object, or give " + std::string(field_name) +
                                ".NAME=VALUE");
      return json(split_list(text));
    }
    default:
      return json(std::string(text));
  }
}

}  // namespace ipfskit
