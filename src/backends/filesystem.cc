// The `filesystem` backend: a directory in Kubo's flatfs layout (see
// flatfs.h), on an external disk or a network mount.
//
// Nothing is ever created outside `path`: its parent must exist (a missing
// mount point is reported, not papered over by creating directories on the
// root file system), and every name written is derived from a multihash or a
// CID, never from untrusted text.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "backends/flatfs.h"
#include "backends/pin_record.h"
#include "backends/types.h"
#include "base/io.h"

namespace ipfskit::backends {

namespace {

constexpr uint64_t kMaxBlockFile = 8 << 20;
constexpr const char* kReadme =
    "This directory holds IPFS blocks in Kubo's flatfs layout (see SHARDING):\n"
    "each block is <shard>/<key>.data, where key is the block's multihash in\n"
    "base32 (upper case, no padding) and shard is the two characters before\n"
    "the key's last one. ipfs-kit keeps its pin records in .ipfs-kit/pins/.\n";

Status fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return tl::unexpected(errno_error("open " + dir));
  if (::fsync(fd.get()) != 0) return tl::unexpected(errno_error("fsync " + dir));
  return {};
}

// Writes `data` to dir/name through a temporary "put-XXXXXX" in `dir`:
// write, fdatasync, rename, fsync of the directory.
Status write_atomic(const std::string& dir, const std::string& name, ByteView data) {
  std::string tmpl = dir + "/put-XXXXXX";
  int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (raw < 0) return tl::unexpected(errno_error("create a temporary file in " + dir));
  UniqueFd fd(raw);
  auto cleanup = [&] { ::unlink(tmpl.c_str()); };
  if (::fchmod(fd.get(), 0644) != 0) {
    cleanup();
    return tl::unexpected(errno_error("chmod " + tmpl));
  }
  if (Status st = write_all(fd.get(), data, tmpl); !st) {
    cleanup();
    return st;
  }
  if (::fdatasync(fd.get()) != 0) {
    Error e = errno_error("fdatasync " + tmpl);
    cleanup();
    return tl::unexpected(e);
  }
  fd = UniqueFd();
  const std::string target = dir + "/" + name;
  if (::rename(tmpl.c_str(), target.c_str()) != 0) {
    Error e = errno_error("rename into " + target);
    cleanup();
    return tl::unexpected(e);
  }
  return fsync_dir(dir);
}

Result<Bytes> read_limited(const std::string& path, uint64_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return not_found("no file " + path);
    return tl::unexpected(errno_error("open " + path));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(errno_error("stat " + path));
  if (static_cast<uint64_t>(st.st_size) > limit)
    return corruption(path + " is " + std::to_string(st.st_size) + " bytes, larger than any block");
  Bytes out(static_cast<size_t>(st.st_size));
  FdReader r(fd.get(), path);
  size_t n = TRY(r.read_full(out.data(), out.size()));
  out.resize(n);
  return out;
}

class FilesystemBackend final : public Backend {
 public:
  FilesystemBackend(BackendInfo info, std::string path) : Backend(std::move(info)), path_(std::move(path)) {
    while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
  }

  Capabilities capabilities() const override {
    Capabilities c;
    c.put_blocks = c.get_blocks = c.pin = c.list_pins = c.replica = true;
    c.proof = kReadBack;
    return c;
  }

  Result<ProbeResult> probe(std::chrono::milliseconds) override {
    TRY_STATUS(ensure_layout());
    if (::access(path_.c_str(), W_OK) != 0) return tl::unexpected(errno_error(label() + ": cannot write to " + path_));
    ProbeResult r;
    struct statvfs vfs;
    if (::statvfs(path_.c_str(), &vfs) == 0) {
      const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
      const uint64_t total = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
      r.details = {{"path", path_}, {"bytes_free", free_bytes}, {"bytes_total", total}};
      if (total > 0 && (free_bytes < total / 100 || free_bytes < (64ULL << 20)))
        r.warning = "low free space: " + std::to_string(free_bytes >> 20) + " MiB left on " + path_;
    }
    return r;
  }

  Result<Usage> usage() override {
    TRY_STATUS(ensure_layout());
    Usage u;
    struct statvfs vfs;
    if (::statvfs(path_.c_str(), &vfs) == 0) u.bytes_free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    uint64_t blocks = 0, bytes = 0;
    TRY_STATUS(for_each_dir(path_, [&](const std::string& shard) -> Status {
      if (shard.size() != 2) return {};
      return for_each_file(path_ + "/" + shard, [&](const std::string& name, const struct stat& st) {
        if (name.size() > 5 && name.compare(name.size() - 5, 5, ".data") == 0) {
          blocks++;
          bytes += static_cast<uint64_t>(st.st_size);
        }
      });
    }));
    u.blocks = blocks;
    u.bytes_used = bytes;
    uint64_t pins = 0;
    TRY_STATUS(for_each_file(pins_dir(), [&](const std::string& name, const struct stat&) {
      if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) pins++;
    }));
    u.pins = pins;
    return u;
  }

  Result<std::string> put_block(const Cid& cid, ByteView data) override {
    TRY_STATUS(ensure_layout());
    const std::string key = flatfs::key_of(cid.multihash());
    const std::string dir = path_ + "/" + flatfs::shard_of(key);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      TRY_STATUS(fsync_dir(path_));  // the new shard directory itself must survive a crash
    } else if (errno != EEXIST) {
      return tl::unexpected(errno_error(label() + ": create " + dir));
    }
    TRY_STATUS(write_atomic(dir, key + ".data", data));
    return std::string();  // a local write proves nothing by itself: read it back
  }

  Result<bool> has_block(const Cid& cid) override {
    struct stat st;
    const std::string p = path_ + "/" + flatfs::relative_path(cid);
    if (::stat(p.c_str(), &st) == 0) return S_ISREG(st.st_mode);
    if (errno == ENOENT) return false;
    return tl::unexpected(errno_error(label() + ": stat " + p));
  }

  Status remove_block(const Cid& cid) override {
    const std::string rel = flatfs::relative_path(cid);
    const std::string p = path_ + "/" + rel;
    if (::unlink(p.c_str()) != 0) {
      if (errno == ENOENT) return not_found(label() + " has no block " + cid.to_string());
      return tl::unexpected(errno_error(label() + ": remove " + p));
    }
    return fsync_dir(p.substr(0, p.rfind('/')));
  }

  Result<PinReceipt> pin(const PinSpec& spec, BlockSource& source, const CancelToken* cancel) override {
    const auto start = std::chrono::steady_clock::now();
    TRY_STATUS(ensure_layout());
    // A few writers at once: each waits on its own fsyncs.
    PushStats stats = TRY(push_dag(source, spec.cid, 4, [&](const Cid& c, ByteView d) { return put_block(c, d); }, cancel));
    // The record last: a record on disk means every block was written.
    const std::string record = pin_record(spec, stats, unix_now());
    TRY_STATUS(write_atomic(pins_dir(), pin_record_name(spec.cid), as_bytes(record)));
    PinReceipt r;
    r.blocks = stats.blocks;
    r.bytes = stats.bytes;
    if (spec.verify) TRY_STATUS(prove_by_reading_back(spec.cid, r, cancel));
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

  Result<std::optional<RemotePin>> pin_status(const Cid& cid) override {
    auto data = read_limited(pins_dir() + "/" + pin_record_name(cid), kMaxPinRecordBytes);
    if (!data) {
      if (data.error().code() == Code::kNotFound) return std::optional<RemotePin>();
      return tl::unexpected(data.error());
    }
    auto p = parse_pin_record(as_chars(*data));
    if (!p) return tl::unexpected(p.error().wrap(label() + ": pin record of " + cid.to_string()));
    return std::optional<RemotePin>(std::move(*p));
  }

  Status unpin(const Cid& cid) override {
    const std::string p = pins_dir() + "/" + pin_record_name(cid);
    if (::unlink(p.c_str()) != 0) {
      if (errno == ENOENT) return not_found(label() + " holds no pin of " + cid.to_string());
      return tl::unexpected(errno_error(label() + ": remove " + p));
    }
    // The blocks stay: other pins may share them.
    return fsync_dir(pins_dir());
  }

  Status list_pins(const std::function<Status(const RemotePin&)>& fn) override {
    TRY_STATUS(ensure_layout());
    std::vector<std::string> names;
    TRY_STATUS(for_each_file(pins_dir(), [&](const std::string& name, const struct stat&) {
      if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) names.push_back(name);
    }));
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      auto data = read_limited(pins_dir() + "/" + name, kMaxPinRecordBytes);
      if (!data) {
        if (data.error().code() == Code::kNotFound) continue;  // removed meanwhile
        return tl::unexpected(data.error());
      }
      auto p = parse_pin_record(as_chars(*data));
      if (!p) return tl::unexpected(p.error().wrap(label() + ": " + pins_dir() + "/" + name));
      TRY_STATUS(fn(*p));
    }
    return {};
  }

  Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel) override {
    return verify_by_walking(*this, root, 4, cancel);
  }

 protected:
  Result<Bytes> fetch_block(const Cid& cid) override {
    auto data = read_limited(path_ + "/" + flatfs::relative_path(cid), kMaxBlockFile);
    if (!data && data.error().code() == Code::kNotFound) return not_found(label() + " has no block " + cid.to_string());
    return data;
  }

 private:
  std::string pins_dir() const { return path_ + "/.ipfs-kit/pins"; }

  // Creates the flatfs directory on first use (never its parents) and checks
  // an existing one uses Kubo's default sharding.
  Status ensure_layout() {
    std::lock_guard lock(layout_mu_);
    if (layout_ok_) return {};
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) {
      if (errno != ENOENT) return tl::unexpected(errno_error(label() + ": stat " + path_));
      const std::string parent = path_.substr(0, std::max<size_t>(1, path_.rfind('/')));
      if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return make_error(Code::kUnavailable, label() + ": " + parent + " does not exist (is the disk mounted?)");
      if (::mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST)
        return tl::unexpected(errno_error(label() + ": create " + path_));
      TRY_STATUS(fsync_dir(parent));
    } else if (!S_ISDIR(st.st_mode)) {
      return invalid_argument(label() + ": " + path_ + " is not a directory");
    }
    auto sharding = read_limited(path_ + "/SHARDING", 4096);
    if (sharding) {
      std::string s(as_chars(*sharding));
      while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
      if (s + "\n" != flatfs::kSharding)
        return invalid_argument(label() + ": " + path_ + " uses flatfs sharding \"" + s + "\"; ipfs-kit reads and writes " +
                                std::string(flatfs::kSharding.substr(0, flatfs::kSharding.size() - 1)) + " only");
    } else if (sharding.error().code() == Code::kNotFound) {
      // A fresh directory: refuse one that already holds something else.
      bool foreign = false;
      TRY_STATUS(for_each_entry(path_, [&](const std::string& name) {
        if (name != ".ipfs-kit" && name != "_README") foreign = true;
      }));
      if (foreign)
        return invalid_argument(label() + ": " + path_ + " is not empty and has no SHARDING file; refusing to write into it");
      TRY_STATUS(write_atomic(path_, "SHARDING", as_bytes(flatfs::kSharding)));
      TRY_STATUS(write_atomic(path_, "_README", as_bytes(kReadme)));
    } else {
      return tl::unexpected(sharding.error());
    }
    for (const std::string& d : {path_ + "/.ipfs-kit", pins_dir()})
      if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return tl::unexpected(errno_error(label() + ": create " + d));
    layout_ok_ = true;
    return {};
  }

  static Status for_each_entry(const std::string& dir, const std::function<void(const std::string&)>& fn) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return {};
      return tl::unexpected(errno_error("list " + dir));
    }
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      fn(name);
    }
    ::closedir(d);
    return {};
  }

  static Status for_each_dir(const std::string& dir, const std::function<Status(const std::string&)>& fn) {
    std::vector<std::string> dirs;
    TRY_STATUS(for_each_entry(dir, [&](const std::string& name) {
      struct stat st;
      if (name[0] != '.' && ::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) dirs.push_back(name);
    }));
    for (const auto& d : dirs) TRY_STATUS(fn(d));
    return {};
  }

  static Status for_each_file(const std::string& dir,
                              const std::function<void(const std::string&, const struct stat&)>& fn) {
    return for_each_entry(dir, [&](const std::string& name) {
      struct stat st;
      if (::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) fn(name, st);
    });
  }

  std::string path_;
  std::mutex layout_mu_;
  bool layout_ok_ = false;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_filesystem_backend(const TypeArgs& a) {
  std::string path = TRY(a.required("path"));
  if (path.empty() || path[0] != '/') return invalid_argument("backends." + a.info.name + ".path must be absolute");
  return std::unique_ptr<Backend>(new FilesystemBackend(a.info, std::move(path)));
}

}  // namespace ipfskit::backends
