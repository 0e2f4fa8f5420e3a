// Kubo's MFS commands, /api/v0/files/{stat,ls,read,write,mkdir,cp,mv,rm,
// flush,chcid,touch,chmod}, registered by register_routes() (kubo_rpc.h).
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "base/error.h"

namespace ipfskit::rpc {

class Call;

// Appends (command name under /api/v0/, handler) for every files/* command.
void add_files_routes(std::vector<std::pair<const char*, std::function<Status(Call&)>>>& out);

}  // namespace ipfskit::rpc
