#include "unixfs/importer.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "unixfs/directory.h"

namespace ipfskit::unixfs {

namespace {

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

// The name `ipfs add` gives a command-line path: its base name, with "." and
// friends resolved to the real directory's name.
std::string display_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  std::string base = p.substr(p.rfind('/') == std::string::npos ? 0 : p.rfind('/') + 1);
  if (base.empty() || base == "." || base == "..") {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) != nullptr) {
      std::string r(resolved);
      base = r == "/" ? "" : r.substr(r.rfind('/') + 1);
    }
  }
  return base;
}

std::string mode_name(mode_t m) {
  if (S_ISFIFO(m)) return "named pipe";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "character device";
  if (S_ISBLK(m)) return "block device";
  return "special file";
}

Result<std::vector<std::string>> list_dir(const std::string& path, bool hidden) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return tl::unexpected(errno_error("open directory " + path));
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (!hidden && name[0] == '.') continue;
    names.push_back(std::move(name));
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return tl::unexpected(errno_error("read directory " + path, err));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Importer::Importer(ImportOptions options, BlockSink* sink, AddedFn on_added, ProgressFn progress)
    : o_(std::move(options)),
      sink_(sink),
      on_added_(std::move(on_added)),
      progress_(std::move(progress)),
      cids_(o_.dag),
      ctx_(std::make_unique<ImportContext>(o_.workers, o_.chunker.max_chunk())) {}

Importer::~Importer() = default;

Result<NodeRef> Importer::add_file(const std::string& path) {
  UniqueFd fd = TRY(open_file(path, O_RDONLY));
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  FdReader reader(fd.get(), path);
  return build_file(reader, o_.chunker, o_.dag, *ctx_, sink_, progress_);
}

// Imports `fs_path` (a file, directory or symlink) whose output name is
// `out_name`. File events are emitted at once; directory events are
// appended to `dirs` in the order Kubo prints them.
Result<NodeRef> Importer::add_tree(const std::string& fs_path, const std::string& out_name,
                                   std::vector<AddedEntry>& dirs) {
  struct stat st;
  if (::lstat(fs_path.c_str(), &st) != 0) return tl::unexpected(errno_error("stat " + fs_path));
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX + 1];
    ssize_t n = ::readlink(fs_path.c_str(), target, PATH_MAX);
    if (n < 0) return tl::unexpected(errno_error("readlink " + fs_path));
    NodeRef node = TRY(put_symlink(cids_, sink_, std::string_view(target, static_cast<size_t>(n))));
    if (on_added_) on_added_(AddedEntry{out_name, node.cid, node.tsize});
    return node;
  }
  if (S_ISREG(st.st_mode)) {
    NodeRef node = TRY(add_file(fs_path));
    if (on_added_) on_added_(AddedEntry{out_name, node.cid, node.tsize});
    return node;
  }
  if (S_ISDIR(st.st_mode)) {
    std::vector<std::string> names = TRY(list_dir(fs_path, o_.hidden));
    DirectoryBuilder dir(o_.dag);
    for (const std::string& name : names) {
      std::string child_path = join(fs_path, name);
      if (!o_.empty_dirs) {
        struct stat cst;
        if (::lstat(child_path.c_str(), &cst) == 0 && S_ISDIR(cst.st_mode)) {
          auto sub = list_dir(child_path, o_.hidden);
          if (sub && sub->empty()) continue;
        }
      }
      NodeRef child = TRY(add_tree(child_path, join(out_name, name), dirs));
      dir.add(name, std::move(child));
    }
    NodeRef node = TRY(dir.build(cids_, sink_));
    dirs.push_back(AddedEntry{out_name, node.cid, node.tsize});
    return node;
  }
  return invalid_argument("unrecognized file type for " + fs_path + ": " + mode_name(st.st_mode));
}

Result<NodeRef> Importer::add_paths(const std::vector<std::string>& paths) {
  TRY_STATUS(validate(o_.dag));
  if (paths.empty()) return invalid_argument("expected a file argument");
  [[maybe_unused]] uint64_t bytes = TRY(scan(paths, o_));

  // Resolve each argument first so that bad arguments fail before any work.
  struct Arg {
    std::string fs_path;
    std::string name;
  };
  std::vector<Arg> args;
  for (const std::string& p : paths) {
    struct stat st;
    int rc = o_.dereference_args ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st);
    if (rc != 0) return tl::unexpected(errno_error(p));
    if (S_ISDIR(st.st_mode) && !o_.recursive)
      return invalid_argument(p + " is a directory, use the '-r' flag to specify directories");
    std::string fs_path = p;
    if (o_.dereference_args) {
      char resolved[PATH_MAX];
      if (::realpath(p.c_str(), resolved) == nullptr) return tl::unexpected(errno_error(p));
      fs_path = resolved;
    }
    Arg a{fs_path, display_name(p)};
    bool duplicate = false;
    for (const Arg& b : args) {
      if (b.name != a.name) continue;
      char ra[PATH_MAX], rb[PATH_MAX];
      bool same = ::realpath(a.fs_path.c_str(), ra) && ::realpath(b.fs_path.c_str(), rb) &&
                  std::string(ra) == std::string(rb);
      if (!same) return invalid_argument("two arguments are both named '" + a.name + "': " + b.fs_path + ", " + p);
      duplicate = true;
    }
    if (!duplicate) args.push_back(std::move(a));
  }

  if (!o_.wrap) {
    NodeRef last;
    for (const Arg& a : args) {
      std::vector<AddedEntry> dirs;
      last = TRY(add_tree(a.fs_path, a.name, dirs));
      if (on_added_)
        for (const AddedEntry& d : dirs) on_added_(d);
    }
    return last;
  }

  DirectoryBuilder wrapper(o_.dag);
  std::map<std::string, std::vector<AddedEntry>> dirs_by_name;  // printed in name order
  for (const Arg& a : args) {
    std::vector<AddedEntry>& dirs = dirs_by_name[a.name];
    NodeRef node = TRY(add_tree(a.fs_path, a.name, dirs));
    wrapper.add(a.name, std::move(node));
  }
  NodeRef root = TRY(wrapper.build(cids_, sink_));
  if (on_added_) {
    for (const auto& [name, dirs] : dirs_by_name)
      for (const AddedEntry& d : dirs) on_added_(d);
    on_added_(AddedEntry{"", root.cid, root.tsize});
  }
  return root;
}

Result<NodeRef> Importer::add_stream(ByteReader& input, const std::string& name) {
  TRY_STATUS(validate(o_.dag));
  NodeRef node = TRY(build_file(input, o_.chunker, o_.dag, *ctx_, sink_, progress_));
  if (o_.wrap) {
    std::string entry = name.empty() ? node.cid.to_string() : name;
    if (on_added_) on_added_(AddedEntry{entry, node.cid, node.tsize});
    DirectoryBuilder wrapper(o_.dag);
    wrapper.add(entry, node);
    NodeRef root = TRY(wrapper.build(cids_, sink_));
    if (on_added_) on_added_(AddedEntry{"", root.cid, root.tsize});
    return root;
  }
  if (on_added_) on_added_(AddedEntry{name.empty() ? node.cid.to_string() : name, node.cid, node.tsize});
  return node;
}

Result<uint64_t> Importer::scan(const std::vector<std::string>& paths, const ImportOptions& options) {
  uint64_t total = 0;
  std::vector<std::pair<std::string, bool>> stack;  // path, is a command-line argument
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) stack.emplace_back(*it, true);
  while (!stack.empty()) {
    auto [p, top] = stack.back();
    stack.pop_back();
    struct stat st;
    int rc = top && options.dereference_args ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st);
    if (rc != 0) return tl::unexpected(errno_error(p));
    if (S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      if (!options.recursive) return invalid_argument(p + " is a directory, use the '-r' flag to specify directories");
      std::vector<std::string> names = TRY(list_dir(p, options.hidden));
      for (auto n = names.rbegin(); n != names.rend(); ++n) stack.emplace_back(join(p, *n), false);
    } else if (!S_ISLNK(st.st_mode)) {
      return invalid_argument("unrecognized file type for " + p + ": " + mode_name(st.st_mode));
    }
  }
  return total;
}

}  // namespace ipfskit::unixfs
