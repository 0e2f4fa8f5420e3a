#define FUSE_USE_VERSION 312
#include "vfs/filesystem.h"

#include <fuse3/fuse_lowlevel.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <future>
#include <thread>
#include <cstring>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/thread_pool.h"
#include "mfs/mfs.h"
#include "unixfs/file_reader.h"

namespace ipfskit::vfs {

namespace {

constexpr fuse_ino_t kTopIno = FUSE_ROOT_ID;  // 1
constexpr fuse_ino_t kIpfsIno = 2;
constexpr fuse_ino_t kPinsIno = 3;
constexpr fuse_ino_t kMfsIno = 4;
constexpr fuse_ino_t kFirstDynamicIno = 16;
constexpr const char* kCidXattr = "user.ipfs.cid";
constexpr const char* kKuboCidXattr = "ipfs.cid";
constexpr size_t kMaxIo = 1 << 20;

// The errno that reports an error to the kernel.
int to_errno(const Error& e) {
  switch (e.code()) {
    case Code::kNotFound: return ENOENT;
    case Code::kAlreadyExists: return EEXIST;
    case Code::kInvalidArgument: return EINVAL;
    case Code::kPermissionDenied: return EACCES;
    case Code::kUnsupported: return ENOTSUP;
    case Code::kResourceExhausted: return ENOSPC;
    case Code::kTimeout: return ETIMEDOUT;
    case Code::kCancelled: return EINTR;
    default: return EIO;  // corruption, I/O, internal: never wrong bytes
  }
}

// A name a DAG may hold that cannot be shown as a directory entry.
bool showable(std::string_view name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

std::string child_path(const std::string& dir, std::string_view name) {
  return dir == "/" ? "/" + std::string(name) : dir + "/" + std::string(name);
}

bool is_dir_kind(unixfs::NodeKind k) {
  return k == unixfs::NodeKind::kDirectory || k == unixfs::NodeKind::kHAMTDirectory;
}

// Builds a file's DAG while it is written from its start to its end (the
// way cp, tar and rsync write): each write is queued here and a builder
// thread imports the queue, so at close only the last blocks are left to
// hash, and the bytes are written to disk once (into the pack). Any other
// access (a seek, a truncate, a read) first ends the stream: its DAG so far
// is committed and copied into the spool, which takes over.
class Streamer {
 public:
  Streamer(mfs::Mfs& m, std::string path) : reader_(*this) {
    builder_ = std::thread([this, &m, path = std::move(path)] {
      auto r = m.prepare_file(path, reader_);
      std::lock_guard lock(mu_);
      result_.emplace(std::move(r));
      done_ = true;
      cv_.notify_all();
    });
  }
  ~Streamer() {
    abandon();
    if (builder_.joinable()) builder_.join();
  }
  uint64_t fed() const { return fed_; }
  bool abandoned() const { return abandoned_; }
  // Queues the bytes written at `offset`; false when they do not follow
  // what was fed so far (nothing is queued then).
  bool feed(ByteView b, uint64_t offset) {
    if (abandoned_ || offset != fed_) return false;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queued_ < kMaxQueued || done_ || abandoned_; });
    if (abandoned_ || done_) return false;
    queue_.emplace_back(b.begin(), b.end());
    queued_ += b.size();
    fed_ += b.size();
    cv_.notify_all();
    return true;
  }
  void abandon() {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    cv_.notify_all();
  }
  // Ends the input and waits for the DAG.
  Result<mfs::PreparedFile> finish() {
    std::unique_lock lock(mu_);
    eof_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return done_; });
    lock.unlock();
    builder_.join();
    if (abandoned_) return make_error(Code::kCancelled, "abandoned");
    return std::move(*result_);
  }

 private:
  static constexpr size_t kMaxQueued = 32 << 20;
  class QueueReader : public ByteReader {
   public:
    explicit QueueReader(Streamer& s) : s_(s) {}
    Result<size_t> read(uint8_t* buf, size_t n) override {
      std::unique_lock lock(s_.mu_);
      s_.cv_.wait(lock, [&] { return !s_.queue_.empty() || s_.eof_ || s_.abandoned_; });
      if (s_.abandoned_) return make_error(Code::kCancelled, "write pattern changed: importing from the spool");
      if (s_.queue_.empty()) return size_t{0};
      Bytes& front = s_.queue_.front();
      size_t take = std::min(n, front.size() - pos_);
      std::memcpy(buf, front.data() + pos_, take);
      pos_ += take;
      if (pos_ == front.size()) {
        s_.queued_ -= front.size();
        s_.queue_.pop_front();
        pos_ = 0;
        s_.cv_.notify_all();
      }
      return take;
    }

   private:
    Streamer& s_;
    size_t pos_ = 0;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Bytes> queue_;
  size_t queued_ = 0;
  std::atomic<uint64_t> fed_{0};
  std::atomic<bool> abandoned_{false};
  bool eof_ = false, done_ = false;
  std::optional<Result<mfs::PreparedFile>> result_;
  QueueReader reader_;
  std::thread builder_;
};

// The bytes being written to one MFS file: shared by its handles.
struct Spool {
  std::mutex mu;
  UniqueFd fd;
  uint64_t size = 0;
  bool dirty = false;
  bool unlinked = false;  // the file was removed: never commit
  int writers = 0;
  // While set, the file's bytes are in the streamer, not in `fd`.
  std::unique_ptr<Streamer> streamer;
  // After a streamed commit, the bytes are this DAG's, not yet in `fd`.
  std::optional<Cid> backing;
};

struct Inode {
  enum class Kind { kTop, kIpfsDir, kPinsDir, kContent, kMfs };
  Kind kind = Kind::kContent;
  Cid cid;                                // kContent
  std::optional<unixfs::NodeInfo> info;   // kContent (immutable, cached)
  std::string path;                       // kMfs
  uint64_t nlookup = 0;
  std::shared_ptr<Spool> spool;           // kMfs file open for writing
};

// An open file.
struct Handle {
  std::unique_ptr<unixfs::FileReader> reader;  // immutable content or an MFS version
  std::shared_ptr<Spool> spool;                // MFS file opened for writing (or read while written)
  fuse_ino_t ino = 0;
  bool writer = false;
};

// An open directory: its entries, read at opendir.
struct DirHandle {
  struct Item {
    std::string name;
    Cid cid;  // undefined for the top directory's fixed entries
    fuse_ino_t fixed_ino = 0;
    std::optional<Result<unixfs::NodeInfo>> info;  // read ahead at opendir, in parallel
  };
  std::vector<Item> items;
  bool mfs = false;
  std::string path;  // mfs: the directory's path
  Cid root;          // mfs: the MFS root the listing was read under
};

}  // namespace

struct Filesystem::Impl {
  core::Node& node;
  MountOptions o;
  mfs::Mfs mfs;
  ThreadPool pool{4};
  std::string spool_dir;
  fuse_session* se = nullptr;
  bool mounted = false;
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  time_t started = ::time(nullptr);

  std::mutex mu;
  std::unordered_map<fuse_ino_t, std::shared_ptr<Inode>> inodes;
  std::unordered_map<Cid, fuse_ino_t, CidHash> by_cid;
  std::unordered_map<std::string, fuse_ino_t> by_path;
  fuse_ino_t next_ino = kFirstDynamicIno;

  Impl(core::Node& n, MountOptions opts) : node(n), o(std::move(opts)), mfs(n), spool_dir(n.repo().path() + "/tmp") {}

  // ---- mfs/ lookups, cached per MFS root ----
  // Paths resolved under the current root, so that a getattr or a lookup in
  // mfs/ is not a walk from the root every time. The root is re-read from the
  // index at most every 100 ms (changes by other processes show up within the
  // mutable timeout anyway) and at once after a change made here.
  struct Resolved {
    Cid cid;
    unixfs::NodeInfo info;
  };
  std::mutex cache_mu;
  Cid cached_root;
  std::chrono::steady_clock::time_point root_read{};
  std::unordered_map<std::string, Resolved> resolved;

  void invalidate() {
    std::lock_guard lock(cache_mu);
    resolved.clear();
    root_read = {};
  }

  Result<Resolved> mfs_stat(const std::string& path) {
    {
      std::lock_guard lock(cache_mu);
      auto now = std::chrono::steady_clock::now();
      if (now - root_read > std::chrono::milliseconds(100)) {
        Cid root = TRY(mfs.root());
        if (root != cached_root) {
          resolved.clear();
          cached_root = root;
        }
        root_read = now;
      }
      auto it = resolved.find(path);
      if (it != resolved.end()) return it->second;
    }
    Resolved r;
    if (path == "/") {
      std::lock_guard lock(cache_mu);
      r.cid = cached_root;
    } else {
      auto slash = path.rfind('/');
      std::string parent = slash == 0 ? "/" : path.substr(0, slash);
      Resolved p = TRY(mfs_stat(parent));
      if (!is_dir_kind(p.info.kind)) return invalid_argument(parent + " is not a directory");
      auto e = TRY(node.lookup(p.cid, path.substr(slash + 1)));
      if (!e) return not_found(path + ": file does not exist");
      r.cid = e->cid;
    }
    r.info = TRY(node.stat(r.cid));
    remember(path, r);
    return r;
  }

  // Remembers `r` for `path` if the root is still `root` (a listing's).
  void remember_under(const Cid& root, const std::string& path, const Resolved& r) {
    std::lock_guard lock(cache_mu);
    if (root != cached_root) return;
    resolved[path] = r;
  }

  void remember(const std::string& path, const Resolved& r) {
    std::lock_guard lock(cache_mu);
    if (resolved.size() > 200000) resolved.clear();
    resolved[path] = r;
  }

  Result<Cid> mfs_resolve(const std::string& path) { return TRY(mfs_stat(path)).cid; }

  bool single() const { return o.single_root.has_value(); }

  std::shared_ptr<Inode> get(fuse_ino_t ino) {
    std::lock_guard lock(mu);
    auto it = inodes.find(ino);
    return it == inodes.end() ? nullptr : it->second;
  }

  // The inode for content `cid` (one per CID: immutable content is the same
  // file wherever it appears); counts one lookup when `count`.
  std::pair<fuse_ino_t, std::shared_ptr<Inode>> content_inode(const Cid& cid, bool count) {
    std::lock_guard lock(mu);
    auto it = by_cid.find(cid);
    if (it != by_cid.end()) {
      auto in = inodes[it->second];
      if (count) ++in->nlookup;
      return {it->second, in};
    }
    auto in = std::make_shared<Inode>();
    in->kind = Inode::Kind::kContent;
    in->cid = cid;
    in->nlookup = count ? 1 : 0;
    fuse_ino_t ino = next_ino++;
    inodes[ino] = in;
    by_cid[cid] = ino;
    return {ino, in};
  }

  std::pair<fuse_ino_t, std::shared_ptr<Inode>> mfs_inode(const std::string& path, bool count) {
    std::lock_guard lock(mu);
    if (path == "/") {
      auto in = inodes[kMfsIno];
      if (count) ++in->nlookup;
      return {kMfsIno, in};
    }
    auto it = by_path.find(path);
    if (it != by_path.end()) {
      auto in = inodes[it->second];
      if (count) ++in->nlookup;
      return {it->second, in};
    }
    auto in = std::make_shared<Inode>();
    in->kind = Inode::Kind::kMfs;
    in->path = path;
    in->nlookup = count ? 1 : 0;
    fuse_ino_t ino = next_ino++;
    inodes[ino] = in;
    by_path[path] = ino;
    return {ino, in};
  }

  void forget(fuse_ino_t ino, uint64_t n) {
    std::lock_guard lock(mu);
    if (ino < kFirstDynamicIno) return;
    auto it = inodes.find(ino);
    if (it == inodes.end()) return;
    auto& in = *it->second;
    in.nlookup = in.nlookup > n ? in.nlookup - n : 0;
    if (in.nlookup > 0 || in.spool) return;
    if (in.kind == Inode::Kind::kContent) by_cid.erase(in.cid);
    if (in.kind == Inode::Kind::kMfs) {
      auto p = by_path.find(in.path);
      if (p != by_path.end() && p->second == ino) by_path.erase(p);
    }
    inodes.erase(it);
  }

  Result<unixfs::NodeInfo> content_info(Inode& in) {
    {
      std::lock_guard lock(mu);
      if (in.info) return *in.info;
    }
    unixfs::NodeInfo info = TRY(node.stat(in.cid));
    std::lock_guard lock(mu);
    in.info = info;
    return info;
  }

  void fill_dir(struct stat& st, fuse_ino_t ino, mode_t perms) {
    std::memset(&st, 0, sizeof st);
    st.st_ino = ino;
    st.st_mode = S_IFDIR | perms;
    st.st_nlink = 2;
    st.st_uid = uid;
    st.st_gid = gid;
    st.st_blksize = kMaxIo;
    st.st_mtim.tv_sec = started;
    st.st_ctim = st.st_atim = st.st_mtim;
  }

  void fill_node(struct stat& st, fuse_ino_t ino, const unixfs::NodeInfo& info, bool writable) {
    std::memset(&st, 0, sizeof st);
    st.st_ino = ino;
    st.st_uid = uid;
    st.st_gid = gid;
    st.st_blksize = kMaxIo;
    mode_t perms;
    if (is_dir_kind(info.kind)) {
      perms = info.mode ? (*info.mode & 07777) : 0755;
      st.st_mode = S_IFDIR;
      st.st_nlink = 2;
    } else if (info.kind == unixfs::NodeKind::kSymlink) {
      perms = 0777;
      st.st_mode = S_IFLNK;
      st.st_nlink = 1;
      st.st_size = static_cast<off_t>(info.size);
    } else {
      perms = info.mode ? (*info.mode & 07777) : 0644;
      st.st_mode = S_IFREG;
      st.st_nlink = 1;
      st.st_size = static_cast<off_t>(info.size);
    }
    if (!writable) perms &= ~static_cast<mode_t>(0222);
    st.st_mode |= perms;
    st.st_blocks = (st.st_size + 511) / 512;
    if (info.mtime) {
      st.st_mtim.tv_sec = info.mtime->seconds;
      st.st_mtim.tv_nsec = info.mtime->nanos.value_or(0);
    }
    st.st_ctim = st.st_atim = st.st_mtim;
  }

  // Attributes of any inode; `timeout` gets its cache time.
  Result<struct stat> attr(fuse_ino_t ino, Inode& in, double* timeout) {
    struct stat st;
    switch (in.kind) {
      case Inode::Kind::kTop:
      case Inode::Kind::kIpfsDir:
        fill_dir(st, ino, in.kind == Inode::Kind::kIpfsDir ? 0111 : 0555);
        if (timeout) *timeout = o.immutable_timeout;
        return st;
      case Inode::Kind::kPinsDir:
        fill_dir(st, ino, 0555);
        if (timeout) *timeout = o.mutable_timeout;
        return st;
      case Inode::Kind::kContent: {
        unixfs::NodeInfo info = TRY(content_info(in));
        fill_node(st, ino, info, false);
        if (timeout) *timeout = o.immutable_timeout;
        return st;
      }
      case Inode::Kind::kMfs: {
        std::string path;
        std::shared_ptr<Spool> spool;
        {
          std::lock_guard lock(mu);
          path = in.path;
          spool = in.spool;
        }
        Resolved r = TRY(mfs_stat(path));
        fill_node(st, ino, r.info, true);
        if (spool) {
          std::lock_guard lock(spool->mu);
          st.st_size = static_cast<off_t>(spool->size);
          st.st_blocks = (st.st_size + 511) / 512;
        }
        if (timeout) *timeout = o.mutable_timeout;
        return st;
      }
    }
    return internal_error("unknown inode kind");
  }

  // Looks `name` up in directory inode `parent`: (inode, counted once).
  Result<std::pair<fuse_ino_t, std::shared_ptr<Inode>>> lookup(fuse_ino_t parent, const std::string& name) {
    auto p = get(parent);
    if (!p) return not_found("stale directory");
    if (!showable(name)) return not_found(name);
    switch (p->kind) {
      case Inode::Kind::kTop: {
        fuse_ino_t ino = name == "ipfs" ? kIpfsIno : name == "pins" ? kPinsIno : name == "mfs" ? kMfsIno : 0;
        if (ino == 0) return not_found(name);
        auto in = get(ino);
        std::lock_guard lock(mu);
        ++in->nlookup;
        return std::make_pair(ino, in);
      }
      case Inode::Kind::kIpfsDir: {
        auto cid = Cid::parse(name);
        if (!cid) return not_found(name + " is not a CID");
        TRY(node.stat(*cid));  // present and decodable
        return content_inode(*cid, true);
      }
      case Inode::Kind::kPinsDir: {
        std::optional<Cid> found;
        TRY_STATUS(list_pins([&](const std::string& n, const Cid& c) -> Status {
          if (!found && n == name) found = c;
          return {};
        }));
        if (!found) return not_found(name);
        TRY(node.stat(*found));
        return content_inode(*found, true);
      }
      case Inode::Kind::kContent: {
        unixfs::NodeInfo info = TRY(content_info(*p));
        if (!is_dir_kind(info.kind)) return make_error(Code::kInvalidArgument, "not a directory");
        auto e = TRY(node.lookup(p->cid, name));
        if (!e) return not_found(name);
        return content_inode(e->cid, true);
      }
      case Inode::Kind::kMfs: {
        std::string path;
        {
          std::lock_guard lock(mu);
          path = child_path(p->path, name);
        }
        TRY(mfs_stat(path));
        return mfs_inode(path, true);
      }
    }
    return internal_error("unknown inode kind");
  }

  // Pins by name (unnamed: by CID), first of a name wins, unsafe names skipped.
  Status list_pins(const std::function<Status(const std::string&, const Cid&)>& fn) {
    core::PinListOptions lo;
    lo.indirect = false;
    std::unordered_map<std::string, bool> seen;
    return node.pin_ls(lo, [&](const core::PinEntry& e) -> Status {
      std::string name = e.info && e.info->name && !e.info->name->empty() ? *e.info->name : e.cid.to_string();
      if (!showable(name) || seen.count(name)) return {};
      seen[name] = true;
      return fn(name, e.cid);
    });
  }

  fuse_entry_param entry_for(fuse_ino_t ino, const struct stat& st, double timeout) {
    fuse_entry_param e;
    std::memset(&e, 0, sizeof e);
    e.ino = ino;
    e.generation = 1;
    e.attr = st;
    e.attr_timeout = timeout;
    e.entry_timeout = timeout;
    return e;
  }

  bool writable_dir(const Inode& in) const { return in.kind == Inode::Kind::kMfs; }

  // ---- writes ----

  Result<std::shared_ptr<Spool>> open_spool(Inode& in, bool truncate) {
    std::shared_ptr<Spool> s;
    std::string path;
    {
      std::lock_guard lock(mu);
      s = in.spool;
      path = in.path;
    }
    if (s) {
      std::lock_guard lock(s->mu);
      ++s->writers;
      if (truncate && s->size > 0) {
        s->streamer.reset();
        s->backing.reset();
        if (::ftruncate(s->fd.get(), 0) != 0) return tl::unexpected(errno_error("truncate spool"));
        s->size = 0;
        s->dirty = true;
      }
      return s;
    }
    s = std::make_shared<Spool>();
    s->fd = TRY(make_spool());
    s->writers = 1;
    if (!truncate) {
      // The current content, so that writes at offsets keep the rest.
      uint64_t pos = 0;
      auto st = mfs.read(path, 0, std::nullopt, [&](ByteView b) -> Status {
        TRY_STATUS(pwrite_all(s->fd.get(), b, pos));
        pos += b.size();
        return {};
      });
      if (!st && st.error().code() != Code::kNotFound) return tl::unexpected(st.error());
      s->size = pos;
    } else {
      s->dirty = true;
    }
    std::lock_guard lock(mu);
    if (in.spool) {  // another opener won: use theirs
      std::lock_guard l2(in.spool->mu);
      ++in.spool->writers;
      if (truncate && in.spool->size > 0) {
        in.spool->streamer.reset();
        in.spool->backing.reset();
      }
      if (truncate && in.spool->size > 0 && ::ftruncate(in.spool->fd.get(), 0) == 0) {
        in.spool->size = 0;
        in.spool->dirty = true;
      }
      return in.spool;
    }
    in.spool = s;
    return s;
  }

  Result<UniqueFd> make_spool() {
    if (::mkdir(spool_dir.c_str(), 0700) != 0 && errno != EEXIST) return tl::unexpected(errno_error("create " + spool_dir));
    int fd = ::open(spool_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return UniqueFd(fd);
    std::string tmpl = spool_dir + "/vfs-XXXXXX";
    fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd < 0) return tl::unexpected(errno_error("create a spool file"));
    ::unlink(tmpl.c_str());
    return UniqueFd(fd);
  }

  static Status pwrite_all(int fd, ByteView b, uint64_t off) {
    size_t done = 0;
    while (done < b.size()) {
      ssize_t n = ::pwrite(fd, b.data() + done, b.size() - done, static_cast<off_t>(off + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return tl::unexpected(errno_error("write spool"));
      done += static_cast<size_t>(n);
    }
    return {};
  }

  // Makes the spool's bytes the file's content in MFS (if changed): the DAG
  // the streamer built, when it saw every byte in order; else the spool's.
  Status commit(Inode& in, Spool& s) {
    std::string path;
    {
      std::lock_guard lock(mu);
      path = in.path;
    }
    std::lock_guard lock(s.mu);
    if (!s.dirty || s.unlinked) {
      s.streamer.reset();
      return {};
    }
    if (s.streamer) {
      auto prepared = s.streamer->finish();
      s.streamer.reset();
      if (!prepared) return tl::unexpected(prepared.error().wrap("importing " + path));
      Cid cid = prepared->ref.cid;
      Status linked = mfs.link_file(path, std::move(*prepared));
      invalidate();
      TRY_STATUS(linked);
      s.backing = cid;  // copied into the spool only if the file is used further
      s.dirty = false;
      return {};
    }
    s.streamer.reset();
    Status replaced = mfs.replace_file(path, s.fd.get(), s.size);
    invalidate();
    TRY_STATUS(replaced);
    s.dirty = false;
    return {};
  }

  // Ends a stream: its bytes so far (committed as a DAG, unreferenced) are
  // copied into the spool, which holds the file from now on. Call with
  // s.mu held.
  Status materialize(Spool& s) {
    std::optional<mfs::PreparedFile> prepared;  // keeps its blocks from GC until copied
    if (s.streamer) {
      auto p = s.streamer->finish();
      s.streamer.reset();
      if (!p) return tl::unexpected(p.error().wrap("buffering a file being written"));
      s.backing = p->ref.cid;
      prepared = std::move(*p);
    }
    if (!s.backing) return {};
    unixfs::Exporter ex(node.reader());
    uint64_t pos = 0;
    TRY_STATUS(ex.read(*s.backing, 0, std::nullopt, [&](ByteView b) -> Status {
      TRY_STATUS(pwrite_all(s.fd.get(), b, pos));
      pos += b.size();
      return {};
    }));
    s.backing.reset();
    s.size = pos;
    return {};
  }

  void release_writer(Inode& in, const std::shared_ptr<Spool>& s) {
    std::lock_guard lock(mu);
    std::lock_guard l2(s->mu);
    if (--s->writers <= 0 && in.spool == s) in.spool.reset();
  }

  // After a rename: inode paths under `from` move under `to`.
  void move_paths(const std::string& from, const std::string& to) {
    std::lock_guard lock(mu);
    std::vector<std::pair<std::string, fuse_ino_t>> moved;
    for (auto it = by_path.begin(); it != by_path.end();) {
      const std::string& p = it->first;
      if (p == from || (p.size() > from.size() && p.compare(0, from.size(), from) == 0 && p[from.size()] == '/')) {
        moved.emplace_back(to + p.substr(from.size()), it->second);
        it = by_path.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [p, ino] : moved) {
      inodes[ino]->path = p;
      by_path[p] = ino;
    }
  }

  // The inode at `path` (if known) leaves the namespace: its spool never commits.
  void unlinked(const std::string& path) {
    std::lock_guard lock(mu);
    auto it = by_path.find(path);
    if (it == by_path.end()) return;
    auto in = inodes[it->second];
    if (in->spool) {
      std::lock_guard l2(in->spool->mu);
      in->spool->unlinked = true;
    }
    in->path = "/.unlinked-" + std::to_string(it->second);  // never resolves
    by_path.erase(it);
  }

  void commit_all() {
    std::vector<std::shared_ptr<Inode>> open;
    {
      std::lock_guard lock(mu);
      for (auto& [ino, in] : inodes)
        if (in->spool) open.push_back(in);
    }
    for (auto& in : open) {
      auto s = in->spool;
      if (s) (void)commit(*in, *s);
    }
  }
};

namespace {

Filesystem::Impl& fs_of(fuse_req_t req) { return *static_cast<Filesystem::Impl*>(fuse_req_userdata(req)); }

void reply_error(fuse_req_t req, const Error& e) { fuse_reply_err(req, to_errno(e)); }

// Every operation body runs inside this: exceptions never cross into libfuse.
template <typename Fn>
void guarded(fuse_req_t req, Fn&& fn) {
  try {
    fn();
  } catch (...) {
    fuse_reply_err(req, EIO);
  }
}

void op_init(void* userdata, fuse_conn_info* conn) {
  (void)userdata;
  conn->max_write = kMaxIo;
  conn->max_read = kMaxIo;  // must match the max_read mount option
  conn->max_readahead = kMaxIo;
  if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
  if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO) conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;  // always plus
  if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
  if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

void op_destroy(void* userdata) { static_cast<Filesystem::Impl*>(userdata)->commit_all(); }

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto r = fs.lookup(parent, name);
    if (!r) {
      if (r.error().code() == Code::kNotFound) {
        // A negative entry: cached as long as the directory's content is.
        auto p = fs.get(parent);
        fuse_entry_param e;
        std::memset(&e, 0, sizeof e);
        e.entry_timeout = p && p->kind == Inode::Kind::kContent ? fs.o.immutable_timeout : 0;
        fuse_reply_entry(req, &e);
        return;
      }
      return reply_error(req, r.error());
    }
    auto [ino, in] = *r;
    double timeout = 0;
    auto st = fs.attr(ino, *in, &timeout);
    if (!st) {
      fs.forget(ino, 1);
      return reply_error(req, st.error());
    }
    fuse_entry_param e = fs.entry_for(ino, *st, timeout);
    if (fuse_reply_entry(req, &e) != 0) fs.forget(ino, 1);
  });
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  fs_of(req).forget(ino, nlookup);
  fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  auto& fs = fs_of(req);
  for (size_t i = 0; i < count; ++i) fs.forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, ENOENT);
    double timeout = 0;
    auto st = fs.attr(ino, *in, &timeout);
    if (!st) return reply_error(req, st.error());
    fuse_reply_attr(req, &*st, timeout);
  });
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, ENOENT);
    if (in->kind != Inode::Kind::kMfs) return (void)fuse_reply_err(req, EROFS);
    if (to_set & FUSE_SET_ATTR_SIZE) {
      std::shared_ptr<Spool> s;
      bool own = false;
      if (fi && fi->fh) s = reinterpret_cast<Handle*>(fi->fh)->spool;
      if (!s) {
        auto opened = fs.open_spool(*in, attr->st_size == 0);
        if (!opened) return reply_error(req, opened.error());
        s = *opened;
        own = true;
      }
      {
        std::lock_guard lock(s->mu);
        Status m = fs.materialize(*s);
        if (!m) {
          if (own) fs.release_writer(*in, s);
          return reply_error(req, m.error());
        }
        if (::ftruncate(s->fd.get(), attr->st_size) != 0) {
          if (own) fs.release_writer(*in, s);
          return (void)fuse_reply_err(req, errno);
        }
        s->size = static_cast<uint64_t>(attr->st_size);
        s->dirty = true;
      }
      if (own) {
        // truncate(2) by path: the change is made now.
        Status st = fs.commit(*in, *s);
        fs.release_writer(*in, s);
        if (!st) return reply_error(req, st.error());
      }
    }
    // Mode, owner and times are accepted and not stored (see filesystem.h).
    double timeout = 0;
    auto st = fs.attr(ino, *in, &timeout);
    if (!st) return reply_error(req, st.error());
    fuse_reply_attr(req, &*st, timeout);
  });
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, ENOENT);
    Result<Cid> cid = in->kind == Inode::Kind::kContent ? Result<Cid>(in->cid)
                      : in->kind == Inode::Kind::kMfs   ? fs.mfs_resolve(in->path)
                                                        : Result<Cid>(invalid_argument("not a symlink"));
    if (!cid) return reply_error(req, cid.error());
    auto target = fs.node.read_symlink(*cid);
    if (!target) return reply_error(req, target.error());
    if (target->find('\0') != std::string::npos) return (void)fuse_reply_err(req, EIO);
    fuse_reply_readlink(req, target->c_str());
  });
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, ENOENT);
    auto h = std::make_unique<DirHandle>();
    auto add = [&](const std::string& name, const Cid& c) -> Status {
      if (showable(name)) h->items.push_back({name, c, 0});
      return {};
    };
    Status st;
    switch (in->kind) {
      case Inode::Kind::kTop:
        h->items = {{"ipfs", Cid(), kIpfsIno}, {"mfs", Cid(), kMfsIno}, {"pins", Cid(), kPinsIno}};
        break;
      case Inode::Kind::kIpfsDir:
        break;  // any CID resolves on lookup; nothing to list
      case Inode::Kind::kPinsDir:
        st = fs.list_pins(add);
        break;
      case Inode::Kind::kContent: {
        auto info = fs.content_info(*in);
        if (!info) return reply_error(req, info.error());
        if (!is_dir_kind(info->kind)) return (void)fuse_reply_err(req, ENOTDIR);
        st = fs.node.ls(in->cid, [&](const unixfs::DirEntry& e) { return add(e.name, e.cid); });
        break;
      }
      case Inode::Kind::kMfs: {
        {
          std::lock_guard lock(fs.mu);
          h->path = in->path;
        }
        h->mfs = true;
        auto cid = fs.mfs_resolve(h->path);
        {
          std::lock_guard lock(fs.cache_mu);
          h->root = fs.cached_root;
        }
        if (!cid) return reply_error(req, cid.error());
        st = fs.node.ls(*cid, [&](const unixfs::DirEntry& e) { return add(e.name, e.cid); });
        break;
      }
    }
    if (!st) return reply_error(req, st.error());
    // readdirplus answers with every entry's attributes: read the entries'
    // root blocks now, on the pool, rather than one by one as it asks.
    if (h->items.size() > 8) {
      constexpr size_t chunk = 128;
      std::vector<std::future<void>> jobs;
      for (size_t start = 0; start < h->items.size(); start += chunk) {
        jobs.push_back(fs.pool.submit([&fs, &h, start] {
          for (size_t i = start; i < std::min(h->items.size(), start + chunk); ++i)
            if (h->items[i].cid.defined()) h->items[i].info = fs.node.stat(h->items[i].cid);
        }));
      }
      for (auto& j : jobs) j.wait();
    }
    fi->fh = reinterpret_cast<uint64_t>(h.release());
    if (in->kind == Inode::Kind::kContent) fi->cache_readdir = 1;
    fi->keep_cache = in->kind == Inode::Kind::kContent ? 1 : 0;
    if (fuse_reply_open(req, fi) != 0) delete reinterpret_cast<DirHandle*>(fi->fh);
  });
}

void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto* h = reinterpret_cast<DirHandle*>(fi->fh);
    std::vector<char> buf(size);
    size_t used = 0;
    for (size_t i = static_cast<size_t>(off); i < h->items.size(); ++i) {
      const auto& item = h->items[i];
      struct stat st;
      std::memset(&st, 0, sizeof st);
      if (!plus) {
        st.st_ino = item.fixed_ino ? item.fixed_ino : (CidHash()(item.cid) | 1);
        size_t need = fuse_add_direntry(req, buf.data() + used, size - used, item.name.c_str(), &st,
                                        static_cast<off_t>(i + 1));
        if (need > size - used) break;
        used += need;
        continue;
      }
      fuse_ino_t child;
      std::shared_ptr<Inode> in;
      if (item.fixed_ino) {
        child = item.fixed_ino;
        in = fs.get(child);
      } else if (h->mfs) {
        std::tie(child, in) = fs.mfs_inode(child_path(h->path, item.name), false);
      } else {
        std::tie(child, in) = fs.content_inode(item.cid, false);
      }
      double timeout = 0;
      Result<struct stat> a = [&]() -> Result<struct stat> {
        if (!h->mfs && item.info && *item.info) {
          std::lock_guard lock(fs.mu);
          if (!in->info) in->info = **item.info;
        }
        if (h->mfs) {
          // The entry's CID is known from the listing: no path walk.
          unixfs::NodeInfo info = item.info ? TRY(Result<unixfs::NodeInfo>(*item.info)) : TRY(fs.node.stat(item.cid));
          fs.remember_under(h->root, child_path(h->path, item.name), {item.cid, info});
          struct stat s;
          fs.fill_node(s, child, info, true);
          timeout = fs.o.mutable_timeout;
          return s;
        }
        return fs.attr(child, *in, &timeout);
      }();
      if (!a) {
        if (used == 0) return reply_error(req, a.error());
        break;
      }
      fuse_entry_param e = fs.entry_for(child, *a, timeout);
      size_t need = fuse_add_direntry_plus(req, buf.data() + used, size - used, item.name.c_str(), &e,
                                           static_cast<off_t>(i + 1));
      if (need > size - used) break;
      used += need;
      std::lock_guard lock(fs.mu);
      ++in->nlookup;  // each entry returned by readdirplus counts as a lookup
    }
    (void)ino;
    fuse_reply_buf(req, buf.data(), used);
  });
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  do_readdir(req, ino, size, off, fi, false);
}
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  do_readdir(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, ENOENT);
    const int acc = fi->flags & O_ACCMODE;
    const bool write = acc == O_WRONLY || acc == O_RDWR || (fi->flags & O_TRUNC);
    auto h = std::make_unique<Handle>();
    h->ino = ino;
    if (in->kind == Inode::Kind::kContent) {
      if (write) return (void)fuse_reply_err(req, EROFS);
      auto info = fs.content_info(*in);
      if (!info) return reply_error(req, info.error());
      if (is_dir_kind(info->kind)) return (void)fuse_reply_err(req, EISDIR);
      h->reader = std::make_unique<unixfs::FileReader>(fs.node.reader(), in->cid, info->size, &fs.pool);
      fi->keep_cache = 1;
    } else if (in->kind == Inode::Kind::kMfs) {
      std::string path;
      {
        std::lock_guard lock(fs.mu);
        path = in->path;
      }
      auto r = fs.mfs_stat(path);
      if (!r) return reply_error(req, r.error());
      auto cid = Result<Cid>(r->cid);
      auto info = Result<unixfs::NodeInfo>(r->info);
      if (is_dir_kind(info->kind)) return (void)fuse_reply_err(req, EISDIR);
      if (write) {
        auto s = fs.open_spool(*in, (fi->flags & O_TRUNC) != 0);
        if (!s) return reply_error(req, s.error());
        h->spool = *s;
        h->writer = true;
      } else {
        std::lock_guard lock(fs.mu);
        h->spool = in->spool;  // being written here: read what is written
      }
      if (!h->spool)
        h->reader = std::make_unique<unixfs::FileReader>(fs.node.reader(), *cid, info->size, &fs.pool);
      fi->keep_cache = 0;
    } else {
      return (void)fuse_reply_err(req, EISDIR);
    }
    fi->fh = reinterpret_cast<uint64_t>(h.get());
    if (fuse_reply_open(req, fi) == 0) {
      (void)h.release();
    } else if (h->writer) {
      fs.release_writer(*in, h->spool);
    }
  });
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  guarded(req, [&] {
    (void)mode;
    auto& fs = fs_of(req);
    auto p = fs.get(parent);
    if (!p) return (void)fuse_reply_err(req, ENOENT);
    if (!fs.writable_dir(*p)) return (void)fuse_reply_err(req, EROFS);
    if (!showable(name)) return (void)fuse_reply_err(req, EINVAL);
    std::string path;
    {
      std::lock_guard lock(fs.mu);
      path = child_path(p->path, name);
    }
    fs.invalidate();
    auto existing = fs.mfs.resolve(path);
    if (existing && (fi->flags & O_EXCL)) return (void)fuse_reply_err(req, EEXIST);
    if (!existing) {
      if (existing.error().code() != Code::kNotFound) return reply_error(req, existing.error());
      // The file exists (empty) from now on, as after creat(2).
      auto empty = fs.make_spool();
      if (!empty) return reply_error(req, empty.error());
      Status st = fs.mfs.replace_file(path, empty->get(), 0);
    fs.invalidate();
      if (!st) return reply_error(req, st.error());
    }
    auto [ino, in] = fs.mfs_inode(path, true);
    auto s = fs.open_spool(*in, existing.has_value() ? (fi->flags & O_TRUNC) != 0 : true);
    if (!s) {
      fs.forget(ino, 1);
      return reply_error(req, s.error());
    }
    auto h = std::make_unique<Handle>();
    h->ino = ino;
    h->spool = *s;
    h->writer = true;
    double timeout = 0;
    auto st = fs.attr(ino, *in, &timeout);
    if (!st) {
      fs.release_writer(*in, h->spool);
      fs.forget(ino, 1);
      return reply_error(req, st.error());
    }
    fuse_entry_param e = fs.entry_for(ino, *st, timeout);
    fi->fh = reinterpret_cast<uint64_t>(h.get());
    fi->keep_cache = 0;
    if (fuse_reply_create(req, &e, fi) == 0) {
      (void)h.release();
    } else {
      fs.release_writer(*in, h->spool);
      fs.forget(ino, 1);
    }
  });
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  guarded(req, [&] {
    auto* h = reinterpret_cast<Handle*>(fi->fh);
    size = std::min(size, kMaxIo);
    if (h->spool) {
      std::unique_ptr<uint8_t[]> buf(new uint8_t[size]);
      std::lock_guard lock(h->spool->mu);
      Status m = fs_of(req).materialize(*h->spool);
      if (!m) return reply_error(req, m.error());
      uint64_t o = static_cast<uint64_t>(off);
      size_t n = o >= h->spool->size ? 0 : static_cast<size_t>(std::min<uint64_t>(size, h->spool->size - o));
      size_t done = 0;
      while (done < n) {
        ssize_t r = ::pread(h->spool->fd.get(), buf.get() + done, n - done, off + static_cast<off_t>(done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return (void)fuse_reply_err(req, EIO);
        done += static_cast<size_t>(r);
      }
      fuse_reply_buf(req, reinterpret_cast<const char*>(buf.get()), n);
      return;
    }
    // Straight from the verified blocks to the kernel (one copy, by writev).
    std::vector<unixfs::FileReader::Piece> pieces;
    auto n = h->reader->read_pieces(static_cast<uint64_t>(off), size, pieces);
    if (!n) return reply_error(req, n.error());
    std::vector<iovec> iov(pieces.size());
    for (size_t i = 0; i < pieces.size(); ++i) {
      iov[i].iov_base = const_cast<uint8_t*>(pieces[i].data);
      iov[i].iov_len = pieces[i].size;
    }
    fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
  });
}

void op_write(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off, fuse_file_info* fi) {
  guarded(req, [&] {
    auto* h = reinterpret_cast<Handle*>(fi->fh);
    if (!h->writer || !h->spool) return (void)fuse_reply_err(req, EBADF);
    auto& fs = fs_of(req);
    std::lock_guard lock(h->spool->mu);
    Spool& sp = *h->spool;
    const ByteView bytes(reinterpret_cast<const uint8_t*>(data), size);
    if (off == 0 && sp.size == 0 && !sp.streamer) {
      std::string path;
      auto in = fs.get(h->ino);
      if (in) {
        std::lock_guard l2(fs.mu);
        path = in->path;
      }
      if (!path.empty()) sp.streamer = std::make_unique<Streamer>(fs.mfs, path);
    }
    if (!sp.streamer || !sp.streamer->feed(bytes, static_cast<uint64_t>(off))) {
      Status m = fs.materialize(sp);
      if (!m) return reply_error(req, m.error());
      Status st = Filesystem::Impl::pwrite_all(sp.fd.get(), bytes, static_cast<uint64_t>(off));
      if (!st) return reply_error(req, st.error());
    }
    h->spool->size = std::max<uint64_t>(h->spool->size, static_cast<uint64_t>(off) + size);
    h->spool->dirty = true;
    fuse_reply_write(req, size);
  });
}

void commit_handle(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto* h = reinterpret_cast<Handle*>(fi->fh);
    if (!h->writer || !h->spool) return (void)fuse_reply_err(req, 0);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, 0);
    Status st = fs.commit(*in, *h->spool);
    fuse_reply_err(req, st ? 0 : to_errno(st.error()));
  });
}

void op_flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { commit_handle(req, ino, fi); }
void op_fsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) { commit_handle(req, ino, fi); }

void op_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto& fs = fs_of(req);
  std::unique_ptr<Handle> h(reinterpret_cast<Handle*>(fi->fh));
  if (h->writer && h->spool) {
    auto in = fs.get(ino);
    if (in) {
      (void)fs.commit(*in, *h->spool);  // flush already reported errors to close()
      fs.release_writer(*in, h->spool);
    }
  }
  fuse_reply_err(req, 0);
}

// Resolves (parent, name) in mfs/ to a path; EROFS outside it.
int mfs_child(Filesystem::Impl& fs, fuse_ino_t parent, const char* name, std::string& path) {
  auto p = fs.get(parent);
  if (!p) return ENOENT;
  if (!fs.writable_dir(*p)) return EROFS;
  if (!showable(name)) return EINVAL;
  std::lock_guard lock(fs.mu);
  path = child_path(p->path, name);
  return 0;
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    std::string path;
    if (int err = mfs_child(fs, parent, name, path)) return (void)fuse_reply_err(req, err);
    Status st = fs.mfs.mkdir(path, {});
    fs.invalidate();
    if (!st) return reply_error(req, st.error());
    auto [ino, in] = fs.mfs_inode(path, true);
    double timeout = 0;
    auto a = fs.attr(ino, *in, &timeout);
    if (!a) {
      fs.forget(ino, 1);
      return reply_error(req, a.error());
    }
    fuse_entry_param e = fs.entry_for(ino, *a, timeout);
    if (fuse_reply_entry(req, &e) != 0) fs.forget(ino, 1);
  });
}

void remove_entry(fuse_req_t req, fuse_ino_t parent, const char* name, bool dir) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    std::string path;
    if (int err = mfs_child(fs, parent, name, path)) return (void)fuse_reply_err(req, err);
    auto s = fs.mfs.stat(path);
    if (!s) return reply_error(req, s.error());
    const bool is_dir = is_dir_kind(s->kind);
    if (dir && !is_dir) return (void)fuse_reply_err(req, ENOTDIR);
    if (!dir && is_dir) return (void)fuse_reply_err(req, EISDIR);
    if (dir) {
      bool empty = true;
      Status ls = fs.node.ls(s->cid, [&](const unixfs::DirEntry&) -> Status {
        empty = false;
        return make_error(Code::kCancelled, "stop");
      });
      if (!ls && ls.error().code() != Code::kCancelled) return reply_error(req, ls.error());
      if (!empty) return (void)fuse_reply_err(req, ENOTEMPTY);
    }
    Status st = fs.mfs.rm(path, dir, false);
    fs.invalidate();
    if (!st) return reply_error(req, st.error());
    fs.unlinked(path);
    fuse_reply_err(req, 0);
  });
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) { remove_entry(req, parent, name, false); }
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) { remove_entry(req, parent, name, true); }

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
               unsigned int flags) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    std::string from, to;
    if (int err = mfs_child(fs, parent, name, from)) return (void)fuse_reply_err(req, err);
    if (int err = mfs_child(fs, newparent, newname, to)) return (void)fuse_reply_err(req, err);
    if (flags & RENAME_EXCHANGE) return (void)fuse_reply_err(req, EINVAL);
    auto src = fs.mfs.stat(from);
    if (!src) return reply_error(req, src.error());
    auto dst = fs.mfs.stat(to);
    if (dst) {
      if (flags & RENAME_NOREPLACE) return (void)fuse_reply_err(req, EEXIST);
      const bool sdir = is_dir_kind(src->kind), ddir = is_dir_kind(dst->kind);
      if (sdir && !ddir) return (void)fuse_reply_err(req, ENOTDIR);
      if (!sdir && ddir) return (void)fuse_reply_err(req, EISDIR);
      if (ddir) {
        bool empty = true;
        Status ls = fs.node.ls(dst->cid, [&](const unixfs::DirEntry&) -> Status {
          empty = false;
          return make_error(Code::kCancelled, "stop");
        });
        if (!ls && ls.error().code() != Code::kCancelled) return reply_error(req, ls.error());
        if (!empty) return (void)fuse_reply_err(req, ENOTEMPTY);
      }
    } else if (dst.error().code() != Code::kNotFound) {
      return reply_error(req, dst.error());
    }
    // A file being written commits first, so what moves is what was written.
    {
      std::shared_ptr<Inode> in;
      {
        std::lock_guard lock(fs.mu);
        auto it = fs.by_path.find(from);
        if (it != fs.by_path.end()) in = fs.inodes[it->second];
      }
      if (in && in->spool) {
        Status st = fs.commit(*in, *in->spool);
        if (!st) return reply_error(req, st.error());
      }
    }
    Status st = fs.mfs.rename(from, to);
    fs.invalidate();
    if (!st) return reply_error(req, st.error());
    if (dst) fs.unlinked(to);
    fs.move_paths(from, to);
    fuse_reply_err(req, 0);
  });
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    struct statvfs st;
    if (::statvfs(fs.node.repo().path().c_str(), &st) != 0) return (void)fuse_reply_err(req, errno);
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
  });
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    if (std::strcmp(name, kCidXattr) != 0 && std::strcmp(name, kKuboCidXattr) != 0)
      return (void)fuse_reply_err(req, ENODATA);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, ENOENT);
    Result<Cid> cid = in->kind == Inode::Kind::kContent ? Result<Cid>(in->cid)
                      : in->kind == Inode::Kind::kMfs   ? fs.mfs_resolve(in->path)
                                                        : Result<Cid>(not_found("no CID"));
    if (!cid) return (void)fuse_reply_err(req, cid.error().code() == Code::kNotFound ? ENODATA : to_errno(cid.error()));
    std::string v = cid->to_string();
    if (size == 0) return (void)fuse_reply_xattr(req, v.size());
    if (size < v.size()) return (void)fuse_reply_err(req, ERANGE);
    fuse_reply_buf(req, v.data(), v.size());
  });
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    auto in = fs.get(ino);
    if (!in) return (void)fuse_reply_err(req, ENOENT);
    std::string names;
    if (in->kind == Inode::Kind::kContent || in->kind == Inode::Kind::kMfs) names = std::string(kCidXattr) + '\0';
    if (size == 0) return (void)fuse_reply_xattr(req, names.size());
    if (size < names.size()) return (void)fuse_reply_err(req, ERANGE);
    fuse_reply_buf(req, names.data(), names.size());
  });
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char*, const char*, size_t, int) {
  auto in = fs_of(req).get(ino);
  fuse_reply_err(req, in && in->kind == Inode::Kind::kMfs ? ENOTSUP : EROFS);
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char*) {
  auto in = fs_of(req).get(ino);
  fuse_reply_err(req, in && in->kind == Inode::Kind::kMfs ? ENOTSUP : EROFS);
}

void op_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  guarded(req, [&] {
    auto& fs = fs_of(req);
    std::string path;
    if (int err = mfs_child(fs, parent, name, path)) return (void)fuse_reply_err(req, err);
    Status st = fs.mfs.symlink(path, target);
    fs.invalidate();
    if (!st) return reply_error(req, st.error());
    auto [ino, in] = fs.mfs_inode(path, true);
    double timeout = 0;
    auto a = fs.attr(ino, *in, &timeout);
    if (!a) {
      fs.forget(ino, 1);
      return reply_error(req, a.error());
    }
    fuse_entry_param e = fs.entry_for(ino, *a, timeout);
    if (fuse_reply_entry(req, &e) != 0) fs.forget(ino, 1);
  });
}

// Where only mfs/ could change anything, and it does not do these.
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char*, mode_t, dev_t) {
  auto p = fs_of(req).get(parent);
  fuse_reply_err(req, p && p->kind == Inode::Kind::kMfs ? ENOTSUP : EROFS);
}
void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t parent, const char*) {
  auto p = fs_of(req).get(parent);
  fuse_reply_err(req, p && p->kind == Inode::Kind::kMfs ? ENOTSUP : EROFS);
}

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops ops;
  std::memset(&ops, 0, sizeof ops);
  ops.init = op_init;
  ops.destroy = op_destroy;
  ops.lookup = op_lookup;
  ops.forget = op_forget;
  ops.forget_multi = op_forget_multi;
  ops.getattr = op_getattr;
  ops.setattr = op_setattr;
  ops.readlink = op_readlink;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.releasedir = op_releasedir;
  ops.open = op_open;
  ops.create = op_create;
  ops.read = op_read;
  ops.write = op_write;
  ops.flush = op_flush;
  ops.fsync = op_fsync;
  ops.release = op_release;
  ops.mkdir = op_mkdir;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.rename = op_rename;
  ops.statfs = op_statfs;
  ops.getxattr = op_getxattr;
  ops.listxattr = op_listxattr;
  ops.setxattr = op_setxattr;
  ops.removexattr = op_removexattr;
  ops.symlink = op_symlink;
  ops.mknod = op_mknod;
  ops.link = op_link;
  return ops;
}

// Larger kernel read-ahead for this mount (the bdi default is 128 KiB):
// best effort, root only. The device comes from mountinfo: a stat of the
// mount point would wait for this very process to answer.
void raise_readahead(const std::string& mountpoint) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, dev;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string id, parent, majmin, root, mp;
    ls >> id >> parent >> majmin >> root >> mp;
    if (mp == mountpoint) dev = majmin;  // the last (topmost) mount wins
  }
  if (dev.empty()) return;
  std::string path = "/sys/class/bdi/" + dev + "/read_ahead_kb";
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  const char* kb = "1024";
  (void)!::write(fd, kb, std::strlen(kb));
  ::close(fd);
}

}  // namespace

Filesystem::Filesystem(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Filesystem::~Filesystem() {
  if (impl_->se) {
    if (impl_->mounted) fuse_session_unmount(impl_->se);
    fuse_session_destroy(impl_->se);
  }
}

Result<std::unique_ptr<Filesystem>> Filesystem::mount(core::Node& node, const MountOptions& options) {
  struct stat st;
  if (::stat(options.mountpoint.c_str(), &st) != 0) return tl::unexpected(errno_error("mount point " + options.mountpoint));
  if (!S_ISDIR(st.st_mode)) return invalid_argument("mount point " + options.mountpoint + " is not a directory");
  if (::access("/dev/fuse", R_OK | W_OK) != 0)
    return make_error(Code::kUnavailable, "FUSE is not available here (/dev/fuse: " + std::string(std::strerror(errno)) + ")");

  auto impl = std::make_unique<Impl>(node, options);
  // Fixed inodes.
  auto fixed = [&](fuse_ino_t ino, Inode::Kind kind) {
    auto in = std::make_shared<Inode>();
    in->kind = kind;
    in->nlookup = 1;
    impl->inodes[ino] = in;
    return in;
  };
  if (options.single_root) {
    auto info = TRY(node.stat(*options.single_root));
    auto in = fixed(kTopIno, Inode::Kind::kContent);
    in->cid = *options.single_root;
    in->info = info;
  } else {
    fixed(kTopIno, Inode::Kind::kTop);
    fixed(kIpfsIno, Inode::Kind::kIpfsDir);
    fixed(kPinsIno, Inode::Kind::kPinsDir);
    fixed(kMfsIno, Inode::Kind::kMfs)->path = "/";
    TRY(impl->mfs.root());  // the empty root exists before anyone looks
  }

  std::string opts = "fsname=ipfs-kit,subtype=ipfs-kit,max_read=" + std::to_string(kMaxIo);
  if (options.single_root) opts += ",ro";
  if (options.allow_other) opts += ",allow_other";
  std::vector<std::string> argv_s = {"ipfs-kit", "-o", opts};
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  static const fuse_lowlevel_ops ops = make_ops();
  impl->se = fuse_session_new(&args, &ops, sizeof ops, impl.get());
  fuse_opt_free_args(&args);  // the session may have copied them into allocations of its own
  if (!impl->se) return make_error(Code::kIOError, "could not create the FUSE session");
  if (fuse_session_mount(impl->se, options.mountpoint.c_str()) != 0) {
    fuse_session_destroy(impl->se);
    impl->se = nullptr;
    return make_error(Code::kIOError, "could not mount on " + options.mountpoint +
                                          " (is it already a mount point? see `ipfs-kit vfs list`)");
  }
  impl->mounted = true;
  raise_readahead(options.mountpoint);
  return std::unique_ptr<Filesystem>(new Filesystem(std::move(impl)));
}

Status Filesystem::serve() {
  if (fuse_set_signal_handlers(impl_->se) != 0) return make_error(Code::kIOError, "could not install signal handlers");
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, impl_->o.max_threads);
  fuse_loop_cfg_set_idle_threads(cfg, 4);
  int rc = fuse_session_loop_mt(impl_->se, cfg);
  fuse_loop_cfg_destroy(cfg);
  fuse_remove_signal_handlers(impl_->se);
  impl_->commit_all();
  fuse_session_unmount(impl_->se);
  impl_->mounted = false;
  if (rc < 0) return make_error(Code::kIOError, "FUSE session ended with an error: " + std::string(std::strerror(-rc)));
  return {};
}

}  // namespace ipfskit::vfs
