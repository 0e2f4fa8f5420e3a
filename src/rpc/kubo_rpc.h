// Kubo's HTTP RPC (/api/v0/...), wire-compatible so that kubo-rpc-client,
// the `ipfs` CLI's --api mode and other Kubo tooling work unchanged:
//  - POST only (GET is 405), arguments in repeated `?arg=`, options as query
//    parameters with Kubo's names and defaults;
//  - files arrive as multipart/form-data (add, block/put, dag/put, dag/import);
//  - results are JSON, streamed one value per line for commands that emit
//    many, or bytes (cat, get, block/get, dag/export, dag/get);
//  - errors before the output starts are Kubo's error object
//    {"Message", "Code", "Type": "error"} with 400 (bad request, Code 1) or
//    500 (Code 0); an error after the output started cuts the response off
//    without its end, so every client sees a failed transfer.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/node.h"
#include "http/server.h"

namespace ipfskit::rpc {

struct RpcContext {
  core::Node* node = nullptr;
  // The configuration as of now (the daemon reloads it).
  std::function<std::shared_ptr<const Config>()> config;
  std::string repo_path;
};

// Adds the /api/v0 routes to `server`. `ctx` must outlive the server.
void register_routes(http::Server& server, const RpcContext& ctx);

}  // namespace ipfskit::rpc
