// The IPIP-499 UnixFS profiles: named sets of import parameters that fix
// the CIDs an import produces.
//
//   unixfs-v0-2015 (Kubo's default): CIDv0, dag-pb leaves, 256 KiB chunks,
//     174 links per node, HAMT threshold 256 KiB measured as name + CID bytes.
//   unixfs-v1-2025: CIDv1, raw leaves, 1 MiB chunks, 1024 links per node,
//     HAMT threshold 256 KiB measured as the real block size.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "unixfs/dag.h"

namespace ipfskit::unixfs {

struct Profile {
  std::string name;
  DagOptions dag;        // cid version, links, HAMT settings
  uint64_t chunk_size;   // the default fixed chunk size
  // Whether the profile fixes raw leaves. Kubo's default (unixfs-v0-2015)
  // does not: there, --cid-version=1 turns raw leaves on.
  std::optional<bool> raw_leaves;
};

// Accepts the canonical names and Kubo's alias "legacy-cid-v0".
Result<Profile> profile_by_name(std::string_view name);
const std::vector<std::string>& profile_names();

}  // namespace ipfskit::unixfs
