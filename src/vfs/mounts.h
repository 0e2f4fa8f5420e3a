// The mounts of a repository: who serves which mount point, found again by
// `vfs list` and `vfs unmount`, and mounts left behind by a killed process.
//
// Each mounting process records itself in <repo>/vfs/<hash>.json (mount
// point, source, pid) and removes the record when it unmounts. A record
// whose process is gone while the kernel still has the mount is "stale":
// the mount point then answers ENOTCONN until `vfs unmount --force` detaches
// it (umount2(MNT_DETACH) as root, else `fusermount3 -u -z`).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace ipfskit::vfs {

struct MountRecord {
  std::string mountpoint;  // absolute, symlinks resolved
  std::string source;      // "" for the ipfs/ mfs/ pins/ tree; else "/ipfs/<cid>"
  int pid = 0;
  int64_t started = 0;     // unix seconds
};

enum class MountState {
  kServing,  // the recorded process is alive and the mount is there
  kStale,    // the process is gone, the kernel still has the mount
  kGone,     // not mounted (a record left by a process killed after unmounting)
};

const char* state_name(MountState s);

Status record_mount(const std::string& repo, const MountRecord& r);
void forget_mount(const std::string& repo, const std::string& mountpoint);
Result<std::vector<MountRecord>> list_mounts(const std::string& repo);
MountState state_of(const MountRecord& r);

// Whether the kernel has a FUSE mount at `mountpoint` (/proc/self/mountinfo).
bool fuse_mounted_at(const std::string& mountpoint);

// Stops the process serving `mountpoint` (SIGTERM, waits for the unmount),
// or with `force` detaches a mount whose process is gone. The record goes.
Status unmount(const std::string& repo, const std::string& mountpoint, bool force);

// `path` made absolute with symlinks resolved (the directory must exist).
Result<std::string> canonical_dir(const std::string& path);

}  // namespace ipfskit::vfs
