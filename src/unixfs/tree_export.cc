#include "unixfs/tree_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/io.h"

namespace ipfskit::unixfs {

bool safe_entry_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// A directory's entries, refusing the whole directory if any name is unsafe
// to write (both `get` to disk and `get` as tar walk with it).
Result<std::vector<DirEntry>> list_safe(Exporter& ex, const Cid& dir, const std::string& shown) {
  std::vector<DirEntry> entries;
  TRY_STATUS(ex.list(dir, [&](const DirEntry& e) -> Status {
    if (!safe_entry_name(e.name)) return invalid_argument("refusing unsafe entry name \"" + e.name + "\" in " + shown);
    entries.push_back(e);
    return {};
  }));
  return entries;
}

namespace {

// Writes one node under the directory `dirfd` as `name`, never following a
// symlink and never replacing anything (O_EXCL / mkdirat / symlinkat fail on
// existing names). Directories are walked with an explicit stack.
Status write_into(Exporter& ex, int root_dirfd, const std::string& root_name, const Cid& root_cid,
                  const std::string& shown_root, const ProgressFn& progress) {
  struct Frame {
    UniqueFd dir;        // the directory the entries go into
    std::string shown;   // its path, for messages
    std::vector<DirEntry> entries;
    size_t next = 0;
  };
  constexpr size_t kMaxDepth = 1024;
  std::vector<Frame> stack;

  // Writes `cid` as `name` in `dirfd`; pushes a frame when it is a directory.
  auto write_one = [&](int dirfd, const std::string& name, const Cid& cid, const std::string& shown) -> Status {
    NodeInfo info = TRY(ex.stat(cid));
    switch (info.kind) {
      case NodeKind::kFile: {
        int fd = ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) return tl::unexpected(errno_error("create " + shown));
        UniqueFd out(fd);
        return ex.read(cid, 0, std::nullopt, [&](ByteView b) -> Status {
          if (progress) progress(b.size());
          return write_all(out.get(), b, shown);
        });
      }
      case NodeKind::kSymlink: {
        std::string target = TRY(ex.read_symlink(cid));
        if (target.find('\0') != std::string::npos) return corruption("symlink " + shown + " has a NUL in its target");
        if (::symlinkat(target.c_str(), dirfd, name.c_str()) != 0) return tl::unexpected(errno_error("create " + shown));
        return {};
      }
      case NodeKind::kDirectory:
      case NodeKind::kHAMTDirectory: {
        if (stack.size() >= kMaxDepth) return invalid_argument("directory nesting deeper than " + std::to_string(kMaxDepth));
        if (::mkdirat(dirfd, name.c_str(), 0755) != 0) return tl::unexpected(errno_error("create " + shown));
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return tl::unexpected(errno_error("open " + shown));
        UniqueFd dir(fd);
        // Listed before the Frame is built: an early return from inside a
        // braced initializer would skip destroying its finished members.
        auto entries = TRY(list_safe(ex, cid, shown));
        Frame f{std::move(dir), shown, std::move(entries), 0};
        stack.push_back(std::move(f));
        return {};
      }
      case NodeKind::kOther:
        return unsupported(shown + " is not a UnixFS file, directory or symlink");
    }
    return {};
  };

  TRY_STATUS(write_one(root_dirfd, root_name, root_cid, shown_root));
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.entries.size()) {
      stack.pop_back();
      continue;
    }
    const DirEntry e = top.entries[top.next++];
    const int dirfd = top.dir.get();
    const std::string shown = top.shown + "/" + e.name;
    TRY_STATUS(write_one(dirfd, e.name, e.cid, shown));
  }
  return {};
}

}  // namespace

Status write_tree(Exporter& ex, const Cid& root, const std::string& out, const ProgressFn& progress) {
  std::string target = out;
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  if (target.empty()) return invalid_argument("empty output path");
  auto slash = target.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : target.substr(0, slash));
  std::string name = slash == std::string::npos ? target : target.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") return invalid_argument("invalid output path " + out);
  struct stat st;
  if (::lstat(target.c_str(), &st) == 0) return make_error(Code::kAlreadyExists, out + " already exists");
  int dirfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return tl::unexpected(errno_error("open " + parent));
  UniqueFd dir(dirfd);
  return write_into(ex, dir.get(), name, root, out, progress);
}

}  // namespace ipfskit::unixfs
