// MCP resources: what an agent can read without calling a tool.
//
//   ipfs://{cid}{/path*}       a file's bytes (text or blob), or a directory's
//                              listing (application/json)
//   ipfs-kit://status          the daemon's status document
//   ipfs-kit://backends        every backend's state and health
//   ipfs-kit://backends/{name} one backend
//   ipfs-kit://config          the configuration (secrets redacted)
//   ipfs-kit://repo            repository statistics
//   ipfs-kit://pins            the first page of pins (pin_ls pages further)
//   ipfs-kit://pins/{cid}      one pin
//
// resources/list names the fixed resources, then every explicit pin as
// ipfs://<cid>, a page at a time; resources/templates/list gives the
// templates above. Backend health changes are announced as
// notifications/resources/updated for ipfs-kit://backends, its per-backend
// URIs and ipfs-kit://status (see server.h).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "mcp/tools.h"

namespace ipfskit::mcp {

struct ResourcePage {
  nlohmann::json resources;  // array of Resource objects
  std::optional<std::string> next_cursor;
};

// `cursor` as received (nullopt for the first page).
Result<ResourcePage> list_resources(api::Client& client, const Policy& policy, const std::optional<std::string>& cursor);
nlohmann::json resource_templates();

// The ReadResourceResult "contents" array. NotFound for a URI that names
// nothing (the caller maps it to the era's error code); InvalidArgument for
// a URI we do not serve.
Result<nlohmann::json> read_resource(api::Client& client, const Policy& policy, const std::string& uri);

// URIs whose content follows backend health (for change notifications).
bool is_health_resource(const std::string& uri);

}  // namespace ipfskit::mcp
