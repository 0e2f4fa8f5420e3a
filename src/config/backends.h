// The `backends` section of config.json: user-named storage backends.
//
//   "backends": {
//     "ipfs":    {"enabled": true, "auto_start": true},           <- the seeds' five names
//     "archive": {"type": "s3", "endpoint": "http://127.0.0.1:4568", "bucket": "pins",
//                 "access_key": "S3RVER", "secret_key_env": "ARCHIVE_SECRET",
//                 "tags": ["cold"], "failure_domain": "rack-2",
//                 "command": "node", "args": ["s3rver.js", "--port", "4568"], "env": {...}, "cwd": "/srv"}
//   }
//
// Every backend has the common fields (type, enabled, auto_start, tags,
// failure_domain, and the supervision fields command, args, env, cwd) and
// the fields of its type (see backend_types()). Unknown types and unknown
// fields are refused. The seeds' names (ipfs, ipfs_cluster, lotus, lassie,
// storacha) exist by default and have a fixed type (lassie is a `gateway`).
//
// Secrets (tokens, keys) are never printed: redact_backend() replaces them
// by "(set)". Any type field F may instead be given as F_env, the name of an
// environment variable read when the backend is used (resolve_field()).
//
// A backend may lack a required field: the configuration still loads and the
// backend reports itself `unconfigured`, naming the key to set
// (missing_fields()). `backend add` refuses such a backend outright.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace ipfskit {

enum class BackendFieldKind {
  kString,      // any UTF-8 string
  kUrl,         // http:// or https://
  kPath,        // an absolute path
  kBool,
  kInteger,     // within [min, max]
  kStringList,  // a JSON array of strings (or "a,b,c" when set from the command line)
  kStringMap,   // a JSON object of strings (env)
};

struct BackendField {
  std::string name;
  BackendFieldKind kind = BackendFieldKind::kString;
  bool required = false;
  bool secret = false;
  std::string description;
  std::string example;  // shown when the field is missing
  int64_t min = 0, max = 0;  // kInteger
};

struct BackendType {
  std::string name;                 // "s3"
  std::string description;
  std::vector<BackendField> fields; // the type's own fields (not the common ones)
  // Empty for types we implement; else why every operation is unsupported.
  std::string unsupported_reason;
};

// The common fields every backend has, in display order.
const std::vector<BackendField>& common_backend_fields();
// Every type, in display order.
const std::vector<BackendType>& backend_types();
const BackendType* find_backend_type(std::string_view name);
// "ipfs, kubo, s3, ..." for messages.
std::string backend_type_names();

// The seeds' names and their defaults: {name, type, enabled}.
struct SeedBackend {
  const char* name;
  const char* type;
  bool enabled;
};
const std::vector<SeedBackend>& seed_backends();
const SeedBackend* find_seed_backend(std::string_view name);

// Names are 1..64 characters of [A-Za-z0-9_-], starting with a letter or digit.
bool valid_backend_name(std::string_view name);

// The backend's type: its "type" field, else the seed name's type; nullopt
// when neither says.
std::optional<std::string> backend_type_of(std::string_view name, const nlohmann::json& section);

// Validates (and normalizes, e.g. "a,b" -> ["a","b"]) one backend's section.
// Returns "" or a message naming the field ("backends.x.bucket: expected a
// string"). Missing required fields are not an error here.
std::string validate_backend(const std::string& name, nlohmann::json& section);

// Required fields of the type that are neither set nor given as FIELD_env,
// as dotted keys ("backends.x.bucket").
std::vector<std::string> missing_fields(const std::string& name, const nlohmann::json& section);

// "set backends.x.endpoint (REST API URL, e.g. http://127.0.0.1:9094)" for
// the keys missing_fields() returned.
std::string describe_missing(const std::string& name, const nlohmann::json& section, const std::vector<std::string>& missing);

// The section with every secret value (and every env value) replaced by "(set)".
nlohmann::json redact_backend(const std::string& name, const nlohmann::json& section);

// The value of a type field as a string: the field itself, or the environment
// variable named by FIELD_env (read now). nullopt when neither is set;
// InvalidArgument naming the variable when FIELD_env names an unset variable.
Result<std::optional<std::string>> resolve_field(const nlohmann::json& section, std::string_view field);

// Parses a command-line value ("KEY=VALUE" of `backend add`) for a field of
// the backend's type: strings as given, booleans and integers as JSON, lists
// as a JSON array or comma-separated, maps as a JSON object.
Result<nlohmann::json> parse_backend_value(std::string_view type, std::string_view field, std::string_view text);

}  // namespace ipfskit
