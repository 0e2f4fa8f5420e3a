#include "unixfs/importer.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

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

struct Entry {
  std::string name;
  unsigned char type;  // DT_REG, DT_DIR, DT_LNK, ... or DT_UNKNOWN
  bool operator<(const Entry& o) const { return name < o.name; }
};

// A directory's entries sorted by name, with the types readdir reports (so
// most entries need no stat).
Result<std::vector<Entry>> list_dir(const std::string& path, bool hidden) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return tl::unexpected(errno_error("open directory " + path));
  std::vector<Entry> entries;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (!hidden && name[0] == '.') continue;
    entries.push_back(Entry{std::move(name), e->d_type});
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return tl::unexpected(errno_error("read directory " + path, err));
  std::sort(entries.begin(), entries.end());
  return entries;
}

// The file type of `path`: from readdir's hint when it has one, else lstat.
Result<mode_t> file_type(const std::string& path, unsigned char hint) {
  switch (hint) {
    case DT_REG: return S_IFREG;
    case DT_DIR: return S_IFDIR;
    case DT_LNK: return S_IFLNK;
    default: break;
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return tl::unexpected(errno_error("stat " + path));
  return st.st_mode & S_IFMT;
}

// A command-line argument: where it is, and its name in the output.
struct Arg {
  std::string fs_path;
  std::string name;
};

// Resolves each argument first so that bad arguments fail before any work:
// missing paths, directories without -r, two different arguments with the
// same name (the same one twice is added once).
Result<std::vector<Arg>> resolve_args(const std::vector<std::string>& paths, const ImportOptions& o) {
  std::vector<Arg> args;
  for (const std::string& p : paths) {
    struct stat st;
    int rc = o.dereference_args ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st);
    if (rc != 0) return tl::unexpected(errno_error(p));
    if (S_ISDIR(st.st_mode) && !o.recursive)
      return invalid_argument(p + " is a directory, use the '-r' flag to specify directories");
    std::string fs_path = p;
    if (o.dereference_args) {
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
  return args;
}

}  // namespace

Importer::Importer(ImportOptions options, BlockSink* sink, AddedFn on_added, ProgressFn progress)
    : o_(std::move(options)),
      sink_(sink),
      on_added_(std::move(on_added)),
      progress_(std::move(progress)),
      cids_(o_.dag),
      ctx_(std::make_unique<ImportContext>(o_.workers, o_.chunker.max_chunk())) {}

Importer::~Importer() {
  // Workers may still be importing queued files that refer to this importer.
  for (auto& q : queue_)
    if (q->group && q->group->done.valid()) q->group->done.wait();
}

Result<NodeRef> Importer::add_file(const std::string& path) {
  UniqueFd fd = TRY(open_file(path, O_RDONLY));
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && st.st_size > (8 << 20)) ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  FdReader reader(fd.get(), path);
  return build_file(reader, o_.chunker, o_.dag, *ctx_, sink_, progress_);
}

Result<std::optional<NodeRef>> Importer::add_small_file(const std::string& path, BlockSink* sink) {
  UniqueFd fd = TRY(open_file(path, O_RDONLY));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(errno_error("stat " + path));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (o_.chunker.kind != ChunkSpec::Kind::kFixed || size > o_.chunker.size) return std::optional<NodeRef>();
  Bytes buf(kLeafHeadroom + size + kLeafTailroom + 1);
  FdReader reader(fd.get(), path);
  // One byte more than the size: a file that grew since fstat goes the streaming way.
  size_t n = TRY(reader.read_full(buf.data() + kLeafHeadroom, size + 1));
  if (n > size) return std::optional<NodeRef>();
  if (progress_) progress_(n);
  NodeRef node = TRY(build_small_file(buf.data() + kLeafHeadroom, n, cids_, o_.dag, sink));
  return std::optional<NodeRef>(std::move(node));
}

void Importer::submit_group() {
  if (!open_group_) return;
  std::shared_ptr<Group> owner = std::move(open_group_);
  owner->results.reserve(owner->paths.size());
  // The job must not own the group: the group holds the job's future, and a
  // cycle would leak both. The queue entries keep the group alive until the
  // job is done (finish() waits for it, and so does ~Importer).
  Group* g = owner.get();
  auto job = [this, g]() -> Status {
    CollectingSink collected;
    for (const std::string& p : g->paths) g->results.push_back(add_small_file(p, sink_ ? &collected : nullptr));
    return sink_ ? collected.flush_to(*sink_) : Status{};
  };
  if (ctx_->pool() != nullptr) {
    g->done = ctx_->pool()->submit(std::move(job)).share();
  } else {
    std::promise<Status> now;
    now.set_value(job());
    g->done = now.get_future().share();
  }
}

Status Importer::finish(Queued& q) {
  if (q.node) return {};
  if (q.is_dir) {
    // Its entries come before it in the queue, so they are all finished.
    DirectoryBuilder dir(o_.dag);
    for (auto& [name, child] : q.children) {
      TRY_STATUS(finish(*child));
      dir.add(name, *child->node);
    }
    q.children.clear();
    q.node = TRY(dir.build(cids_, sink_));
    (*q.dirs)[q.dir_index] = AddedEntry{q.out_name, q.node->cid, q.node->tsize};
    return {};
  }
  if (q.group == open_group_) submit_group();
  TRY_STATUS(q.group->done.get());
  std::optional<NodeRef> small = TRY(std::move(q.group->results[q.index]));
  if (small) {
    q.node = std::move(small);
  } else {
    q.node = TRY(add_file(q.fs_path));  // a large file streams here, in walk order
  }
  return {};
}

Status Importer::drain(size_t keep) {
  while (queue_.size() > keep) {
    std::shared_ptr<Queued> q = queue_.front();
    TRY_STATUS(finish(*q));
    queue_.pop_front();
    if (on_added_ && !q->is_dir) on_added_(AddedEntry{q->out_name, q->node->cid, q->node->tsize});
  }
  return {};
}

// Imports `fs_path` (a file, directory or symlink) whose output name is
// `out_name`. Files and symlinks join the walk-order queue (their events are
// emitted as it drains); directory events are appended to `dirs` in the
// order Kubo prints them. A returned entry may still be unfinished.
Result<std::shared_ptr<Importer::Queued>> Importer::add_tree(const std::string& fs_path, const std::string& out_name,
                                                             std::vector<AddedEntry>& dirs, unsigned char type_hint) {
  const mode_t type = TRY(file_type(fs_path, type_hint));
  auto q = std::make_shared<Queued>();
  q->fs_path = fs_path;
  q->out_name = out_name;
  if (S_ISLNK(type)) {
    char target[PATH_MAX + 1];
    ssize_t n = ::readlink(fs_path.c_str(), target, PATH_MAX);
    if (n < 0) return tl::unexpected(errno_error("readlink " + fs_path));
    q->node = TRY(put_symlink(cids_, sink_, std::string_view(target, static_cast<size_t>(n))));
    queue_.push_back(q);
    return q;
  }
  if (S_ISREG(type)) {
    // Small files are read and hashed by workers while the walk continues,
    // so many small files use every core; the queue keeps output in order.
    constexpr size_t kMaxQueued = 1024;
    constexpr size_t kGroupSize = 64;
    if (!open_group_) open_group_ = std::make_shared<Group>();
    q->group = open_group_;
    q->index = open_group_->paths.size();
    open_group_->paths.push_back(fs_path);
    if (open_group_->paths.size() >= kGroupSize) submit_group();
    queue_.push_back(q);
    if (queue_.size() > kMaxQueued) TRY_STATUS(drain(kMaxQueued / 2));
    return q;
  }
  if (S_ISDIR(type)) {
    std::vector<Entry> entries = TRY(list_dir(fs_path, o_.hidden));
    std::vector<std::pair<std::string, std::shared_ptr<Queued>>> children;
    children.reserve(entries.size());
    constexpr size_t kMaxQueued = 1024;
    if (queue_.size() > kMaxQueued) TRY_STATUS(drain(kMaxQueued / 2));
    for (const Entry& e : entries) {
      std::string child_path = join(fs_path, e.name);
      if (!o_.empty_dirs) {
        auto t = file_type(child_path, e.type);
        if (t && S_ISDIR(*t)) {
          auto sub = list_dir(child_path, o_.hidden);
          if (sub && sub->empty()) continue;
        }
      }
      children.emplace_back(e.name, TRY(add_tree(child_path, join(out_name, e.name), dirs, e.type)));
    }
    // Built when the queue drains to it, after all its entries.
    q->is_dir = true;
    q->children = std::move(children);
    q->dirs = &dirs;
    q->dir_index = dirs.size();
    dirs.push_back(AddedEntry{out_name, Cid(), 0});
    queue_.push_back(q);
    return q;
  }
  return invalid_argument("unrecognized file type for " + fs_path + ": " + mode_name(type));
}

Result<NodeRef> Importer::add_paths(const std::vector<std::string>& paths) {
  TRY_STATUS(validate(o_.dag));
  if (paths.empty()) return invalid_argument("expected a file argument");
  TRY_STATUS(scan(paths, o_, /*count_bytes=*/false));

  std::vector<Arg> args = TRY(resolve_args(paths, o_));

  roots_.clear();
  if (!o_.wrap) {
    for (const Arg& a : args) {
      std::vector<AddedEntry> dirs;
      auto q = TRY(add_tree(a.fs_path, a.name, dirs, DT_UNKNOWN));
      TRY_STATUS(drain(0));
      roots_.push_back(*q->node);
      if (on_added_)
        for (const AddedEntry& d : dirs) on_added_(d);
    }
    return roots_.back();
  }

  DirectoryBuilder wrapper(o_.dag);
  std::map<std::string, std::vector<AddedEntry>> dirs_by_name;  // printed in name order
  for (const Arg& a : args) {
    std::vector<AddedEntry>& dirs = dirs_by_name[a.name];
    auto q = TRY(add_tree(a.fs_path, a.name, dirs, DT_UNKNOWN));
    TRY_STATUS(drain(0));
    wrapper.add(a.name, *q->node);
  }
  NodeRef root = TRY(wrapper.build(cids_, sink_));
  if (on_added_) {
    for (const auto& [name, dirs] : dirs_by_name)
      for (const AddedEntry& d : dirs) on_added_(d);
    on_added_(AddedEntry{"", root.cid, root.tsize});
  }
  roots_.push_back(root);
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
    roots_ = {root};
    return root;
  }
  if (on_added_) on_added_(AddedEntry{name.empty() ? node.cid.to_string() : name, node.cid, node.tsize});
  roots_ = {node};
  return node;
}

namespace {

// The directory tree of an upload, built as its entries arrive.
struct UploadDir {
  std::map<std::string, UploadDir> dirs;
  std::map<std::string, NodeRef> leaves;  // files and symlinks
};

constexpr size_t kMaxUploadDepth = 256;

Result<std::vector<std::string>> split_upload_path(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      return invalid_argument("invalid path in upload: \"" + std::string(path) + "\"");
    if (part.find('\0') != std::string_view::npos) return invalid_argument("NUL byte in an upload path");
    parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() > kMaxUploadDepth) return invalid_argument("upload path nested too deeply");
  return parts;
}

}  // namespace

Result<NodeRef> Importer::add_entries(UploadSource& source) {
  TRY_STATUS(validate(o_.dag));
  roots_.clear();
  UploadDir root;
  std::optional<NodeRef> lone;  // a nameless file
  size_t count = 0;
  auto report = [&](AddedEntry e) {
    if (on_added_) on_added_(e);
  };
  // Builds a directory of the upload: its subdirectories first (each
  // reported, names sorted), then itself.
  std::function<Result<NodeRef>(UploadDir&, const std::string&)> build = [&](UploadDir& d,
                                                                           const std::string& path) -> Result<NodeRef> {
    DirectoryBuilder builder(o_.dag);
    for (auto& [name, sub] : d.dirs) {
      std::string sub_path = path.empty() ? name : path + "/" + name;
      NodeRef node = TRY(build(sub, sub_path));
      report(AddedEntry{sub_path, node.cid, node.tsize});
      builder.add(name, std::move(node));
    }
    for (auto& [name, leaf] : d.leaves) builder.add(name, leaf);
    if (builder.size() == 0) return put_empty_directory(cids_, sink_);
    return builder.build(cids_, sink_);
  };
  // Without -w, each top-level entry is finished (its directories built
  // and reported) when the upload moves on to the next one.
  std::string open_top;
  std::set<std::string> finished_tops;
  auto finish_top = [&]() -> Status {
    if (open_top.empty()) return {};
    if (auto d = root.dirs.find(open_top); d != root.dirs.end()) {
      NodeRef node = TRY(build(d->second, open_top));
      report(AddedEntry{open_top, node.cid, node.tsize});
      roots_.push_back(std::move(node));
      root.dirs.erase(d);
    } else if (auto l = root.leaves.find(open_top); l != root.leaves.end()) {
      roots_.push_back(l->second);
      root.leaves.erase(l);
    }
    finished_tops.insert(std::move(open_top));
    open_top.clear();
    return {};
  };

  for (;;) {
    std::optional<UploadEntry> e = TRY(source.next());
    if (!e) break;
    ++count;
    if (e->path.empty()) {
      if (e->kind != UploadEntry::Kind::kFile || count > 1)
        return invalid_argument("only a lone file may be nameless in an upload");
      NodeRef node = TRY(build_file(*e->content, o_.chunker, o_.dag, *ctx_, sink_, progress_));
      report(AddedEntry{node.cid.to_string(), node.cid, node.tsize});
      lone = node;
      continue;
    }
    if (lone) return invalid_argument("only a lone file may be nameless in an upload");
    std::vector<std::string> parts = TRY(split_upload_path(e->path));
    if (!o_.wrap && parts[0] != open_top) {
      TRY_STATUS(finish_top());
      if (finished_tops.count(parts[0]) != 0)
        return invalid_argument("the entries under \"" + parts[0] + "\" are not together in the upload");
      open_top = parts[0];
    }
    UploadDir* dir = &root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (dir->leaves.count(parts[i]) != 0) return invalid_argument("upload path goes through a file: " + e->path);
      dir = &dir->dirs[parts[i]];
    }
    const std::string& name = parts.back();
    if (dir->leaves.count(name) != 0 || (e->kind != UploadEntry::Kind::kDirectory && dir->dirs.count(name) != 0))
      return invalid_argument("duplicate path in upload: " + e->path);
    switch (e->kind) {
      case UploadEntry::Kind::kDirectory: dir->dirs[name]; break;
      case UploadEntry::Kind::kFile: {
        NodeRef node = TRY(build_file(*e->content, o_.chunker, o_.dag, *ctx_, sink_, progress_));
        report(AddedEntry{e->path, node.cid, node.tsize});
        dir->leaves.emplace(name, std::move(node));
        break;
      }
      case UploadEntry::Kind::kSymlink: {
        char target[4097];
        size_t n = TRY(e->content->read_full(reinterpret_cast<uint8_t*>(target), sizeof target));
        if (n == sizeof target) return invalid_argument("symlink target longer than 4096 bytes: " + e->path);
        NodeRef node = TRY(put_symlink(cids_, sink_, std::string_view(target, n)));
        report(AddedEntry{e->path, node.cid, node.tsize});
        dir->leaves.emplace(name, std::move(node));
        break;
      }
    }
  }
  if (count == 0) return invalid_argument("the upload holds no files");
  if (o_.wrap) {
    if (lone) root.leaves.emplace(lone->cid.to_string(), *lone);
    NodeRef top = TRY(build(root, ""));
    report(AddedEntry{"", top.cid, top.tsize});
    roots_ = {top};
    return top;
  }
  if (lone) {
    roots_ = {*lone};
    return *lone;
  }
  TRY_STATUS(finish_top());
  return roots_.back();
}

Result<uint64_t> Importer::scan(const std::vector<std::string>& paths, const ScanOptions& options) {
  uint64_t total = 0;
  struct Item {
    std::string path;
    bool top;             // a command-line argument
    unsigned char type;   // readdir's type hint
  };
  std::vector<Item> stack;
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) stack.push_back({*it, true, DT_UNKNOWN});
  while (!stack.empty()) {
    Item item = std::move(stack.back());
    stack.pop_back();
    mode_t type;
    if (item.top) {
      struct stat st;
      int rc = options.dereference_args ? ::stat(item.path.c_str(), &st) : ::lstat(item.path.c_str(), &st);
      if (rc != 0) return tl::unexpected(errno_error(item.path));
      type = st.st_mode & S_IFMT;
    } else {
      type = TRY(file_type(item.path, item.type));
    }
    if (S_ISREG(type)) {
      if (options.count_bytes) {
        struct stat st;
        if (::stat(item.path.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
      }
    } else if (S_ISDIR(type)) {
      if (!options.recursive) return invalid_argument(item.path + " is a directory, use the '-r' flag to specify directories");
      std::vector<Entry> entries = TRY(list_dir(item.path, options.hidden));
      for (auto n = entries.rbegin(); n != entries.rend(); ++n) stack.push_back({join(item.path, n->name), false, n->type});
    } else if (!S_ISLNK(type)) {
      return invalid_argument("unrecognized file type for " + item.path + ": " + mode_name(type));
    }
  }
  return total;
}

// ---------------- LocalUpload ----------------

Result<size_t> LocalUpload::CountingReader::read(uint8_t* buf, size_t n) {
  size_t got = TRY(in_.read(buf, n));
  if (progress_ && got > 0) progress_(got);
  return got;
}

Result<std::unique_ptr<LocalUpload>> LocalUpload::open(const std::vector<std::string>& paths,
                                                       const ImportOptions& options) {
  if (paths.empty()) return invalid_argument("expected a file argument");
  std::vector<Arg> args = TRY(resolve_args(paths, options));
  std::unique_ptr<LocalUpload> u(new LocalUpload());
  u->o_ = options;
  for (auto it = args.rbegin(); it != args.rend(); ++it) u->stack_.push_back({it->fs_path, it->name, DT_UNKNOWN});
  return u;
}

Result<std::optional<UploadEntry>> LocalUpload::next() {
  file_.reset();
  fd_ = UniqueFd();
  link_.reset();
  if (stack_.empty()) return std::optional<UploadEntry>();
  Item item = std::move(stack_.back());
  stack_.pop_back();
  const mode_t type = TRY(file_type(item.fs_path, item.type_hint));
  UploadEntry e;
  e.path = item.out_name;
  if (S_ISREG(type)) {
    fd_ = TRY(open_file(item.fs_path, O_RDONLY));
    file_ = std::make_unique<CountingReader>(fd_.get(), item.fs_path, progress_);
    e.kind = UploadEntry::Kind::kFile;
    e.content = file_.get();
  } else if (S_ISLNK(type)) {
    char target[PATH_MAX + 1];
    ssize_t n = ::readlink(item.fs_path.c_str(), target, PATH_MAX);
    if (n < 0) return tl::unexpected(errno_error("readlink " + item.fs_path));
    link_target_.assign(target, static_cast<size_t>(n));
    link_ = std::make_unique<MemoryReader>(as_bytes(link_target_));
    e.kind = UploadEntry::Kind::kSymlink;
    e.content = link_.get();
  } else if (S_ISDIR(type)) {
    std::vector<Entry> entries = TRY(list_dir(item.fs_path, o_.hidden));
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      std::string child_path = join(item.fs_path, it->name);
      if (!o_.empty_dirs) {
        auto t = file_type(child_path, it->type);
        if (t && S_ISDIR(*t)) {
          auto sub = list_dir(child_path, o_.hidden);
          if (sub && sub->empty()) continue;
        }
      }
      stack_.push_back({child_path, join(item.out_name, it->name), it->type});
    }
    e.kind = UploadEntry::Kind::kDirectory;
  } else {
    return invalid_argument("unrecognized file type for " + item.fs_path + ": " + mode_name(type));
  }
  return std::optional<UploadEntry>(std::move(e));
}

}  // namespace ipfskit::unixfs
