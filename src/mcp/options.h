// The MCP server's settings from config.json (the mcp.* keys), shared by
// `ipfs-kit mcp serve|stdio` and the daemon's listener on daemon.mcp_address,
// so both front ends apply the same policy.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "mcp/server.h"

namespace ipfskit::mcp {

// mcp.allowed_roots and mcp.max_content_bytes as the tools' Policy; the other
// ServerOptions keep their defaults.
ServerOptions server_options_from(const Config& config);

// mcp.allowed_hosts: the extra Host names the listener answers.
std::vector<std::string> allowed_hosts_from(const Config& config);

}  // namespace ipfskit::mcp
