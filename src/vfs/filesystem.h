// The FUSE mount (libfuse3 low-level API): IPFS content as ordinary files.
//
// Trees under the mount point, as Kubo's mount has them:
//   ipfs/   read-only; any CID (or CID/path) resolves on lookup, lazily;
//           listing it shows nothing.
//   mfs/    the MFS root (mfs/mfs.h), read-write.
//   pins/   read-only; each pin by its name (unnamed pins by their CID).
// Or, in single-DAG mode (the seeds' `vfs mount /ipfs/<cid>`), the one DAG
// read-only at the mount point.
//
// Speed by design: immutable content gets one FileReader per open handle
// (unixfs/file_reader.h: the layout is learnt once, leaves are fetched
// ahead), keeps the kernel page cache across opens, and has long entry and
// attribute timeouts; mfs/ has short ones (1 s) and no cached pages across
// opens. readdirplus answers listings with attributes in one pass, reads and
// writes go up to 1 MiB per request, and a multithreaded session loop serves
// requests in parallel.
//
// Writes (mfs/ only): an open-for-write file is spooled to an unlinked
// temporary file in the repository (one spool per inode, shared by its
// handles); its bytes become an MFS change (Mfs::replace_file: blocks and
// root in one transaction) on fsync, on close (flush) and on unmount. A
// crash loses what was not yet closed or fsynced, and never leaves a torn
// file: the root names the old content or the new. Other handles that read
// while a file is being written see the spool (close-to-open consistency
// across processes, as NFS).
//
// chmod, chown and utimes on mfs/ are accepted and not stored (so a tree
// copied in with tar or rsync -a has the CIDs of `add -r` of it; `files
// chmod` / `files touch` set UnixFS metadata explicitly).
//
// Bad input: names from a DAG that are empty, ".", "..", longer than 255
// bytes or contain '/' or NUL are not listed and cannot be looked up. A
// block that fails verification is EIO, never wrong bytes. Changes to
// ipfs/, pins/, the top directory or a single-DAG mount are EROFS.
//
// Extended attributes: `user.ipfs.cid` (the kernel passes only namespaced
// names, so Kubo's bare `ipfs.cid` cannot reach a FUSE file system on
// Linux; it is answered too where a kernel does pass it). statfs reports the
// file system holding the repository.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "core/node.h"
#include "multiformats/cid.h"

namespace ipfskit::vfs {

struct MountOptions {
  std::string mountpoint;
  std::optional<Cid> single_root;   // one DAG, read-only, at the mount point
  double immutable_timeout = 3600;  // entry/attribute cache for content (seconds)
  double mutable_timeout = 1;       // for mfs/ and pins/
  unsigned max_threads = 8;         // session loop threads
  bool allow_other = false;         // other users may access (needs root or user_allow_other)
};

class Filesystem {
 public:
  // Mounts at options.mountpoint (which must be an existing directory). The
  // session serves nothing until serve(). `node` must outlive this object.
  static Result<std::unique_ptr<Filesystem>> mount(core::Node& node, const MountOptions& options);
  ~Filesystem();  // unmounts if still mounted

  // Serves requests until the mount goes away (umount, `vfs unmount`) or a
  // SIGTERM/SIGINT/SIGHUP arrives (handlers installed by serve()); then
  // commits every spooled write and unmounts.
  Status serve();

  struct Impl;

 private:
  explicit Filesystem(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipfskit::vfs
