// ipfs-kit vfs mount|list|unmount: the FUSE mount (vfs/filesystem.h).
//
//   vfs mount DIR                         ipfs/ mfs/ pins/ under DIR
//   vfs mount /ipfs/<cid> --mount-point DIR   (the seeds' spelling) one DAG, read-only
//   vfs list                              this repository's mounts and their state
//   vfs unmount DIR [--force]             stop the serving process; --force detaches a stale mount
//
// `vfs mount` serves in the foreground until unmounted or signalled;
// --detach returns once the mount answers.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "cli/app.h"
#include "retrieval/sources.h"
#include "vfs/filesystem.h"
#include "vfs/mounts.h"

namespace ipfskit::cli {

namespace {

struct MountFlags {
  std::string target, mountpoint;
  bool detach = false, allow_other = false;
};

// Mounts and serves; `ready` (a pipe, -1 when not detached) gets one byte
// once the mount is up, or the error text.
Status mount_and_serve(Context& ctx, const MountFlags& f, const std::string& mountpoint, const std::string& source,
                       int ready) {
  // Block buffers (256 KiB to 1 MiB) come and go with every read: from the
  // heap they are reused, above glibc's mmap threshold each would be a fresh
  // mapping (page faults, zeroing). As the daemon does.
  ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 8 << 20);
  // The mount is a front end of its own kind: a long-lived process serving
  // the kernel from the repository directly (blocks, MFS), like the daemon.
  auto owned = TRY(core::Node::open(ctx.repo_path(), ctx.config_flag, ctx.workers));
  core::Node* node = owned.get();
  // Reads of ipfs/ and pins/ fall back to the configured backends.
  retrieval::install_config_fallback(*node);
  vfs::MountOptions o;
  o.mountpoint = mountpoint;
  o.allow_other = f.allow_other;
  if (!source.empty()) o.single_root = TRY(node->resolve(source));
  auto fs = TRY(vfs::Filesystem::mount(*node, o));
  vfs::MountRecord rec{mountpoint, source, static_cast<int>(::getpid()), static_cast<int64_t>(std::time(nullptr))};
  TRY_STATUS(vfs::record_mount(ctx.repo_path(), rec));
  if (ready >= 0) {
    (void)!::write(ready, "k", 1);
    ::close(ready);
  } else {
    std::fprintf(stderr, "mounted %s at %s (pid %d); `ipfs-kit vfs unmount %s` or Ctrl-C to stop\n",
                 source.empty() ? "ipfs/ mfs/ pins/" : source.c_str(), mountpoint.c_str(), static_cast<int>(::getpid()),
                 mountpoint.c_str());
  }
  Status st = fs->serve();
  fs.reset();
  vfs::forget_mount(ctx.repo_path(), mountpoint);
  return st;
}

}  // namespace

void register_vfs(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* vfs = app.add_subcommand("vfs", "Mount IPFS content, MFS and pins as a file system (FUSE)");
  vfs->require_subcommand(1);

  auto mf = std::make_shared<MountFlags>();
  CLI::App* mount = vfs->add_subcommand("mount", "Mount ipfs/ mfs/ pins/ at DIR, or one DAG with --mount-point");
  mount->add_option("target", mf->target, "DIR, or /ipfs/<cid> with --mount-point")->required();
  mount->add_option("--mount-point", mf->mountpoint, "where to mount the DAG named by target");
  mount->add_flag("--detach", mf->detach, "return once mounted; serve in the background");
  mount->add_flag("--allow-other", mf->allow_other, "let other users access the mount");
  mount->callback([mf, &ctx, &action] {
    action = [mf, &ctx]() -> Status {
      std::string dir = mf->mountpoint.empty() ? mf->target : mf->mountpoint;
      std::string source;
      if (!mf->mountpoint.empty()) {
        source = mf->target;
        if (source.rfind("/ipfs/", 0) != 0) source = "/ipfs/" + source;
      }
      std::string mp = TRY(vfs::canonical_dir(dir));
      if (vfs::fuse_mounted_at(mp)) return make_error(Code::kAlreadyExists, mp + " is already a FUSE mount (see `ipfs-kit vfs list`)");
      if (!mf->detach) return mount_and_serve(ctx, *mf, mp, source, -1);
      // Detach before the repository is opened (no SQLite handle crosses a
      // fork); the parent waits for the child's word.
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) return tl::unexpected(errno_error("pipe"));
      int err[2];
      if (::pipe2(err, O_CLOEXEC) != 0) return tl::unexpected(errno_error("pipe"));
      pid_t pid = ::fork();
      if (pid < 0) return tl::unexpected(errno_error("fork"));
      if (pid == 0) {
        ::close(fds[0]);
        ::close(err[0]);
        ::setsid();
        int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
          ::dup2(null, 0);
          ::dup2(null, 1);
        }
        ::dup2(err[1], 2);  // errors before the mount is up reach the parent
        Status st = mount_and_serve(ctx, *mf, mp, source, fds[1]);
        if (!st) std::fprintf(stderr, "Error: %s\n", st.error().message().c_str());
        std::fflush(stderr);
        ::_exit(st ? 0 : exit_status(st.error().code()));
      }
      ::close(fds[1]);
      ::close(err[1]);
      char c = 0;
      ssize_t n = ::read(fds[0], &c, 1);
      ::close(fds[0]);
      if (n == 1) {
        ::close(err[0]);
        std::printf("mounted %s at %s (pid %d)\n", source.empty() ? "ipfs/ mfs/ pins/" : source.c_str(), mp.c_str(),
                    static_cast<int>(pid));
        return {};
      }
      std::string msg;
      char buf[512];
      ssize_t r;
      while ((r = ::read(err[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(r));
      ::close(err[0]);
      int status = 0;
      ::waitpid(pid, &status, 0);
      while (!msg.empty() && (msg.back() == '\n')) msg.pop_back();
      if (msg.rfind("Error: ", 0) == 0) msg = msg.substr(7);
      return make_error(Code::kIOError, msg.empty() ? "the mount process failed" : msg);
    };
  });

  CLI::App* list = vfs->add_subcommand("list", "This repository's mounts: mount point, source, state");
  list->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      auto mounts = TRY(vfs::list_mounts(ctx.repo_path()));
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& m : mounts) {
        vfs::MountState s = vfs::state_of(m);
        std::string source = m.source.empty() ? "ipfs/ mfs/ pins/" : m.source;
        if (ctx.json) {
          arr.push_back({{"MountPoint", m.mountpoint}, {"Source", source}, {"Pid", m.pid}, {"State", vfs::state_name(s)}});
        } else {
          std::printf("%s\t%s\t%s (pid %d)\n", m.mountpoint.c_str(), source.c_str(), vfs::state_name(s), m.pid);
        }
      }
      if (ctx.json) print_json(arr);
      return {};
    };
  });

  auto uf = std::make_shared<std::pair<std::string, bool>>();
  CLI::App* unmount = vfs->add_subcommand("unmount", "Unmount DIR (its process commits pending writes first)");
  unmount->alias("umount");
  unmount->add_option("dir", uf->first, "mount point")->required();
  unmount->add_flag("--force", uf->second, "detach a mount whose process is gone (or does not answer)");
  unmount->callback([uf, &ctx, &action] {
    action = [uf, &ctx]() -> Status {
      std::string mp = TRY(vfs::canonical_dir(uf->first));
      return vfs::unmount(ctx.repo_path(), mp, uf->second);
    };
  });
}

}  // namespace ipfskit::cli
