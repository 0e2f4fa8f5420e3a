// Picking the client for a repository (see client.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/client.h"
#include "api/remote.h"

namespace ipfskit::api {

struct OpenOptions {
  std::string repo_path;
  std::string config_flag;  // --config; "" for <repo>/config.json
  size_t workers = 0;
};

// The endpoints of the daemon running on the repository (with the token
// from its configuration), or nullopt when none runs. Takes no lock and
// changes nothing.
Result<std::optional<RemoteEndpoints>> find_daemon(const OpenOptions& options);

// With a daemon running on the repository: a client whose writes and
// operations go to the daemon and whose reads go to the repository directly.
// Without one: a LocalClient.
Result<std::unique_ptr<Client>> open(const OpenOptions& options);

}  // namespace ipfskit::api
