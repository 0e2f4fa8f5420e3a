// MCP over stdio (what desktop clients spawn): newline-delimited JSON-RPC
// messages on stdin, answers and notifications on stdout, nothing else on
// stdout (logs go to stderr). Both eras: `initialize` starts the legacy
// session of this process; requests with the 2026-07-28 _meta are served
// statelessly. Requests run concurrently, so notifications/cancelled can stop
// one that is working; a cancelled request gets no response. At the end of
// input, requests still running get a second to finish and answer; then they
// are cancelled and the server returns.
#pragma once

#include "mcp/server.h"

namespace ipfskit::mcp {

// Serves until `in_fd` reaches its end; returns the process exit status.
int serve_stdio(Server& server, int in_fd, int out_fd);

}  // namespace ipfskit::mcp
