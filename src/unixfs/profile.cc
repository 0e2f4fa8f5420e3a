#include "unixfs/profile.h"

namespace ipfskit::unixfs {

const std::vector<std::string>& profile_names() {
  static const std::vector<std::string> names = {"unixfs-v0-2015", "unixfs-v1-2025"};
  return names;
}

Result<Profile> profile_by_name(std::string_view name) {
  Profile p;
  if (name == "unixfs-v0-2015" || name == "legacy-cid-v0") {
    p.name = "unixfs-v0-2015";
    p.chunk_size = 256 * 1024;
    // DagOptions' defaults are this profile.
    return p;
  }
  if (name == "unixfs-v1-2025") {
    p.name = "unixfs-v1-2025";
    p.chunk_size = 1024 * 1024;
    p.dag.cid_version = 1;
    p.dag.raw_leaves = true;
    p.raw_leaves = true;
    p.dag.max_links = 1024;
    p.dag.hamt_estimation = HamtEstimation::kBlock;
    return p;
  }
  return invalid_argument("unknown profile \"" + std::string(name) + "\" (expected unixfs-v0-2015 or unixfs-v1-2025)");
}

}  // namespace ipfskit::unixfs
