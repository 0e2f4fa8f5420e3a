// The backend types (one .cc file each) and the factory that builds a
// backend from its config section (see config/backends.h for the fields).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/backend.h"

namespace ipfskit::core {
class Node;
}

namespace ipfskit::backends {

// What backends get from their host (the daemon).
struct Environment {
  core::Node* node = nullptr;               // the embedded node: type ipfs
  std::function<bool()> embedded_serving;   // whether the embedded node serves (backend start|stop ipfs)
  std::chrono::milliseconds request_timeout{60000};  // one request to a remote service
};

// Builds the backend `name` from its section. Secrets given as FIELD_env are
// read from the environment now. InvalidArgument when a required field is
// missing or an environment variable is unset (the backend is then
// `unconfigured`); Unsupported for types that answer unsupported.
Result<std::unique_ptr<Backend>> make_backend(const std::string& name, const nlohmann::json& section,
                                              const Environment& env);

// One per type (called by make_backend with the resolved fields).
struct TypeArgs {
  BackendInfo info;
  const nlohmann::json* section;  // validated
  const Environment* env;
  // A type field (resolving FIELD_env); "" when unset.
  Result<std::string> field(std::string_view name) const;
  // A required type field; InvalidArgument naming backends.NAME.FIELD when unset.
  Result<std::string> required(std::string_view name) const;
};
Result<std::unique_ptr<Backend>> make_ipfs_backend(const TypeArgs& a);
Result<std::unique_ptr<Backend>> make_kubo_backend(const TypeArgs& a);
Result<std::unique_ptr<Backend>> make_s3_backend(const TypeArgs& a);
Result<std::unique_ptr<Backend>> make_filesystem_backend(const TypeArgs& a);
Result<std::unique_ptr<Backend>> make_pinning_service_backend(const TypeArgs& a);
Result<std::unique_ptr<Backend>> make_ipfs_cluster_backend(const TypeArgs& a);
Result<std::unique_ptr<Backend>> make_gateway_backend(const TypeArgs& a);
// lotus and storacha: every operation answers Unsupported with the reason.
Result<std::unique_ptr<Backend>> make_unsupported_backend(const TypeArgs& a, std::string reason);

}  // namespace ipfskit::backends
