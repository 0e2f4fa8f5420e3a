// The HTTP gateway (https://specs.ipfs.tech/http-gateways/):
//  - the path gateway: GET/HEAD /ipfs/<cid>[/path] serves UnixFS files (with
//    Range requests, Content-Type from the name or the first bytes, Etag and
//    immutable caching) and directories (index.html, or an HTML listing;
//    a missing trailing slash redirects);
//  - the trustless gateway: ?format=raw|car or the matching Accept types
//    return verifiable blocks and CARs, with dag-scope (all, entity, block)
//    and entity-bytes for CARs.
// Invalid CIDs and paths are 400, content that is not here 404. Every block
// served was verified against its CID when read from the repository.
#pragma once

#include "core/node.h"
#include "http/server.h"

namespace ipfskit::gateway {

struct GatewayContext {
  core::Node* node = nullptr;
};

// Adds the /ipfs/ and /ipns/ routes. `ctx` must outlive the server.
void register_routes(http::Server& server, const GatewayContext& ctx);

}  // namespace ipfskit::gateway
