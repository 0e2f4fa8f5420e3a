// The management API's backend and health routes (port 8887), over the
// daemon's Registry. JSON in and out; errors are {"error": "...", "code":
// "<code name>"} with the HTTP status their code maps to.
//
//   GET    /backends                          every backend: config (redacted), process, health
//   GET    /backends/health[?check=true][&name=N]   the same, after a health round when check=true
//   POST   /backends/start/NAME, /backends/stop/NAME
//   GET    /health/alerts                     {"active": [...], "recent": [...]}
//   GET    /backends/NAME                     one backend
//   GET    /backends/NAME/usage               bytes used/free, blocks, pins (where known)
//   GET    /backends/NAME/pins                {"pins": [{cid, name, meta, status}...]}
//   GET    /backends/NAME/pins/CID            one pin, 404 when the backend holds none
//   POST   /backends/NAME/pins/CID[?name=&meta=k=v...&verify=false&replication-min=&replication-max=&origin=]
//                                             copy the local DAG there, pin it, prove it: the receipt
//   DELETE /backends/NAME/pins/CID            unpin there
//   POST   /backends/NAME/verify/CID          read the DAG back and re-hash it: the report
//   GET    /backends/NAME/blocks/CID          one block's bytes, hash-checked
//   *      /backends/NAME/OP                  OP from `more` (operations built above this library,
//                                             such as restore: daemon/api.cc)
#pragma once

#include <functional>
#include <map>
#include <string>

#include "backends/registry.h"
#include "http/server.h"

namespace ipfskit::backends {

// An operation on one backend served at /backends/NAME/OP (any method; the
// handler checks it), called with the request and NAME.
using BackendOpHandler = std::function<http::Response(const http::Request&, const std::string& name)>;

void register_api_routes(http::Server& server, Registry& registry, std::map<std::string, BackendOpHandler> more = {});

}  // namespace ipfskit::backends
