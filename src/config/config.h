// The repository's config.json: the seeds' schema (daemon, backends,
// replication, monitoring) plus what a real deployment needs (listener
// addresses, an API token, import defaults).
//
// Every key is declared in a schema with its type, default and validation;
// `set` refuses unknown keys and bad values and leaves the file untouched.
// Files are written atomically.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace ipfskit {

struct ConfigKey {
  std::string path;          // dotted, e.g. "daemon.api_address"
  nlohmann::json default_value;
  std::string description;
  // Validates (and may normalize) a value; returns an error message or "".
  std::function<std::string(nlohmann::json&)> validate;
  bool needs_restart = false;  // a running daemon cannot apply it live
};

// The schema, in display order.
const std::vector<ConfigKey>& config_schema();
const ConfigKey* find_config_key(std::string_view path);

class Config {
 public:
  // The defaults for every key.
  static Config defaults();

  // Reads `path`; keys missing from the file take their defaults. Unknown keys
  // or invalid values are an error naming the key.
  static Result<Config> load(const std::string& path);

  // Loads `path` when it exists, else the defaults.
  static Result<Config> load_or_default(const std::string& path);

  Status save(const std::string& path) const;

  // The value of a dotted key (a leaf or a section).
  Result<nlohmann::json> get(std::string_view path) const;

  // Parses `text` for the key's type (JSON, or a bare string for string keys),
  // validates it and stores it. For backends, "backends.NAME" takes a whole
  // section as JSON (null removes the backend) and "backends.NAME.FIELD" a
  // value parsed for the field (see config/backends.h).
  Status set(std::string_view path, std::string_view text);
  Status set_json(std::string_view path, nlohmann::json value);

  const nlohmann::json& document() const { return doc_; }

  // ---- backends (see config/backends.h) ----
  // Replaces (or adds) one backend's section after validating it as a whole.
  // A new backend defaults to enabled and auto_start.
  Status set_backend(const std::string& name, nlohmann::json section);
  // Removes a user-named backend; the seeds' five cannot be removed.
  Status remove_backend(const std::string& name);
  std::vector<std::string> backend_names() const;

  // The document (or one key) with secrets replaced by "(set)": the API
  // token, backend tokens and keys, and supervised processes' env values.
  // What `config show`, logs and the API print.
  nlohmann::json redacted() const;
  Result<nlohmann::json> get_redacted(std::string_view path) const;

 private:
  Status set_backend_field(std::string_view path, nlohmann::json value);
  nlohmann::json doc_;
};

}  // namespace ipfskit
