#include "mfs/mfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "codec/dagpb.h"
#include "core/add_options.h"
#include "multiformats/multicodec.h"
#include "multiformats/multihash.h"
#include "repo/repo.h"
#include "unixfs/directory.h"
#include "unixfs/file_builder.h"

namespace ipfskit::mfs {

namespace {

constexpr size_t kMaxNameBytes = 255;    // NAME_MAX: what a FUSE mount can show
constexpr size_t kMaxDepth = 1024;       // path components
constexpr uint64_t kTrickleLinks = 174;  // boxo helpers.DefaultLinksPerBlock; Import.UnixFSFileMaxLinks does not apply

Error not_exist(std::string_view path) { return Error(Code::kNotFound, std::string(path) + ": file does not exist"); }

// Blocks written during a change: directory nodes are kept in memory as
// well, because later steps of the same change read them before the batch
// commits (mv removes, then inserts into the new tree). File content goes
// straight to the batch.
class Overlay : public BlockSink, public BlockSource {
 public:
  Overlay(repo::PackStore& store, BlockSink* batch) : store_(store), batch_(batch) {}
  Status put(const Cid& cid, ByteView data) override {
    if (!cid.is_identity()) mem_[cid] = to_bytes(data);
    return batch_->put(cid, data);
  }
  Result<Bytes> get(const Cid& cid) override {
    auto it = mem_.find(cid);
    if (it != mem_.end()) return it->second;
    return store_.get(cid);
  }
  Result<bool> has(const Cid& cid) override {
    if (mem_.count(cid)) return true;
    return store_.has(cid);
  }

 private:
  repo::PackStore& store_;
  BlockSink* batch_;
  std::unordered_map<Cid, Bytes, CidHash> mem_;
};

// Forwards a file's blocks to the batch and keeps the last one (the root:
// builders write children before parents) for re-encoding with metadata.
class FileSink : public BlockSink {
 public:
  explicit FileSink(BlockSink& out) : out_(out) {}
  Status put(const Cid& cid, ByteView data) override {
    {
      std::lock_guard lock(mu_);
      last_cid_ = cid;
      last_ = to_bytes(data);
    }
    return out_.put(cid, data);
  }
  std::optional<Bytes> block_of(const Cid& cid) {
    std::lock_guard lock(mu_);
    if (last_cid_.defined() && last_cid_ == cid) return last_;
    return std::nullopt;
  }

 private:
  BlockSink& out_;
  std::mutex mu_;
  Cid last_cid_;
  Bytes last_;
};

// At most `limit` bytes of another reader.
class LimitReader : public ByteReader {
 public:
  LimitReader(ByteReader& in, std::optional<uint64_t> limit) : in_(in), left_(limit) {}
  Result<size_t> read(uint8_t* buf, size_t n) override {
    if (left_) n = static_cast<size_t>(std::min<uint64_t>(n, *left_));
    if (n == 0) return size_t{0};
    size_t got = TRY(in_.read(buf, n));
    if (left_) *left_ -= got;
    return got;
  }

 private:
  ByteReader& in_;
  std::optional<uint64_t> left_;
};

// Bytes [0, size) of a file descriptor by pread (its offset is left alone).
// Fewer bytes than `size` is an error: the file changed under us.
class PreadReader : public ByteReader {
 public:
  PreadReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  Result<size_t> read(uint8_t* buf, size_t n) override {
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - pos_));
    if (n == 0) return size_t{0};
    for (;;) {
      ssize_t r = ::pread(fd_, buf, n, static_cast<off_t>(pos_));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return tl::unexpected(errno_error("read spool"));
      if (r == 0) return io_error("spool file shorter than expected");
      pos_ += static_cast<uint64_t>(r);
      return static_cast<size_t>(r);
    }
  }

 private:
  int fd_;
  uint64_t size_, pos_ = 0;
};

// A directory being changed: its entries by name, and what its own node is
// encoded with (each directory keeps its CID version and hash, as boxo's
// mfs keeps each node's CidBuilder).
struct Dir {
  uint64_t version = 0;
  uint64_t hash = multihash::kSha2_256;
  std::map<std::string, unixfs::DirEntry> entries;
  std::optional<uint32_t> mode;
  std::optional<unixfs::UnixTime> mtime;
};

bool is_directory(unixfs::NodeKind k) {
  return k == unixfs::NodeKind::kDirectory || k == unixfs::NodeKind::kHAMTDirectory;
}

Status valid_name(std::string_view name) {
  if (name.size() > kMaxNameBytes)
    return invalid_argument("name longer than " + std::to_string(kMaxNameBytes) + " bytes");
  if (name.find('\0') != std::string_view::npos) return invalid_argument("name contains a NUL byte");
  return {};
}

Result<std::pair<uint64_t, uint64_t>> apply_prefix(const CidPrefix& p, uint64_t version, uint64_t hash) {
  if (p.hash) {
    auto info = multihash::by_name(*p.hash);
    if (!info || !info->implemented) return invalid_argument("unrecognized hash function: \"" + *p.hash + "\"");
    hash = info->code;
    // Kubo: "--hash ... Will set Cid version to 1 if used."
    if (!p.cid_version) version = 1;
  }
  if (p.cid_version) {
    if (*p.cid_version != 0 && *p.cid_version != 1)
      return invalid_argument("unknown CID version: " + std::to_string(*p.cid_version));
    version = static_cast<uint64_t>(*p.cid_version);
  }
  if (version == 0 && hash != multihash::kSha2_256) return invalid_argument("CIDv0 only supports sha2-256");
  return std::make_pair(version, hash);
}

std::string join(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < comps.size(); ++i) out += "/" + comps[i];
  return out.empty() ? "/" : out;
}

}  // namespace

struct Mfs::Change {
  core::Node& node;
  std::unique_ptr<repo::WriteBatch> batch;
  std::unique_ptr<Overlay> overlay;
  std::unique_ptr<unixfs::Exporter> ex;
  unixfs::ImportOptions import;  // config's import settings (HAMT, chunker, raw leaves)
  std::optional<bool> config_raw_leaves;
  Cid root;

  Result<Dir> load_dir(const Cid& cid, std::string_view shown) {
    unixfs::NodeInfo info = TRY(ex->stat(cid));
    if (!is_directory(info.kind)) return invalid_argument(std::string(shown) + " is not a directory");
    Dir d;
    d.version = cid.version();
    d.hash = cid.multihash().code();
    d.mode = info.mode;
    d.mtime = info.mtime;
    TRY_STATUS(ex->list(cid, [&](const unixfs::DirEntry& e) -> Status {
      d.entries[e.name] = e;
      return {};
    }));
    return d;
  }

  unixfs::DagOptions dag_for(uint64_t version, uint64_t hash) const {
    unixfs::DagOptions o = import.dag;
    o.cid_version = version;
    o.hash = hash;
    o.inline_cids = false;
    return o;
  }

  Result<unixfs::NodeRef> store_dir(const Dir& d) {
    unixfs::DagOptions o = dag_for(d.version, d.hash);
    unixfs::CidBuilder cids(o);
    unixfs::DirectoryBuilder b(o);
    for (const auto& [name, e] : d.entries) b.add(name, unixfs::NodeRef{e.cid, e.tsize, 0});
    unixfs::NodeRef ref = TRY(b.build(cids, overlay.get()));
    if (d.mode || d.mtime) {
      Bytes block = TRY(overlay->get(ref.cid));
      ref = TRY(reencode(ref, block, o, d.mode, d.mtime));
    }
    return ref;
  }

  // The node `ref` (whose root block is `block`) with new metadata and/or a
  // new CID prefix; the children stay. A raw block becomes a UnixFS File
  // node holding its bytes (as boxo mfs does to give a raw file a mode).
  Result<unixfs::NodeRef> reencode(const unixfs::NodeRef& ref, const Bytes& block, const unixfs::DagOptions& o,
                                   std::optional<uint32_t> mode, std::optional<unixfs::UnixTime> mtime) {
    unixfs::CidBuilder cids(o);
    if (ref.cid.codec() == multicodec::kRaw) {
      unixfs::Data data;
      data.type = unixfs::DataType::kFile;
      data.data = ByteView(block);
      data.filesize = block.size();
      data.mode = mode;
      data.mtime = mtime;
      Bytes udata = unixfs::encode(data);
      dagpb::Node n;
      n.data = ByteView(udata);
      return unixfs::put_dagpb(cids, overlay.get(), dagpb::encode(n), 0, block.size());
    }
    if (ref.cid.codec() != multicodec::kDagPb) return invalid_argument("not a UnixFS node: " + ref.cid.to_string());
    dagpb::Node n = TRY(dagpb::decode(ByteView(block)));
    if (!n.data) return invalid_argument("not a UnixFS node: " + ref.cid.to_string());
    unixfs::Data data = TRY(unixfs::decode(*n.data));
    data.mode = mode;
    data.mtime = mtime;
    Bytes udata = unixfs::encode(data);
    n.data = ByteView(udata);
    uint64_t children = ref.tsize >= block.size() ? ref.tsize - block.size() : 0;
    uint64_t file_size = data.filesize.value_or(0);
    return unixfs::put_dagpb(cids, overlay.get(), dagpb::encode(n), children, file_size);
  }

  // The entry at `comps` under the current root; nullopt when absent.
  // Fails when a component before the last is not a directory.
  Result<std::optional<unixfs::DirEntry>> lookup(const std::vector<std::string>& comps) {
    unixfs::DirEntry cur{"", root, 0};
    for (size_t i = 0; i < comps.size(); ++i) {
      unixfs::NodeInfo info = TRY(ex->stat(cur.cid));
      if (!is_directory(info.kind)) return invalid_argument(join(comps, i) + " is not a directory");
      auto next = TRY(ex->lookup(cur.cid, comps[i]));
      if (!next) return std::optional<unixfs::DirEntry>();
      cur = *next;
    }
    if (comps.empty()) cur.tsize = TRY(ex->stat(root)).tsize;
    return std::optional<unixfs::DirEntry>(cur);
  }

  // Rewrites the directory holding comps.back() with `edit`, then every
  // ancestor up to a new root. Missing directories on the way are an error,
  // or created (with `new_dirs` applied to their parent's prefix) when
  // `parents`.
  Status edit_parent(const std::vector<std::string>& comps, bool parents, const CidPrefix& new_dirs,
                     const std::function<Status(Dir&, const std::string&)>& edit) {
    if (comps.empty()) return invalid_argument("the root has no parent");
    std::vector<Dir> stack;
    stack.push_back(TRY(load_dir(root, "/")));
    for (size_t i = 0; i + 1 < comps.size(); ++i) {
      auto it = stack.back().entries.find(comps[i]);
      if (it == stack.back().entries.end()) {
        if (!parents) return tl::unexpected(not_exist(join(comps, i + 1)));
        Dir d;
        auto [v, h] = TRY(apply_prefix(new_dirs, stack.back().version, stack.back().hash));
        d.version = v;
        d.hash = h;
        stack.push_back(std::move(d));
      } else {
        stack.push_back(TRY(load_dir(it->second.cid, join(comps, i + 1))));
      }
    }
    TRY_STATUS(edit(stack.back(), comps.back()));
    unixfs::NodeRef ref = TRY(store_dir(stack.back()));
    for (size_t k = stack.size() - 1; k > 0; --k) {
      const std::string& name = comps[k - 1];
      stack[k - 1].entries[name] = unixfs::DirEntry{name, ref.cid, ref.tsize};
      ref = TRY(store_dir(stack[k - 1]));
    }
    root = ref.cid;
    return {};
  }

  // Replaces the node at `comps` (the root when empty) with fn(current).
  Status replace_node(const std::vector<std::string>& comps,
                      const std::function<Result<unixfs::NodeRef>(const unixfs::DirEntry&)>& fn) {
    if (comps.empty()) {
      unixfs::DirEntry cur{"", root, TRY(ex->stat(root)).tsize};
      unixfs::NodeRef ref = TRY(fn(cur));
      unixfs::NodeInfo info = TRY(ex->stat(ref.cid));
      if (!is_directory(info.kind)) return invalid_argument("the MFS root must be a directory");
      root = ref.cid;
      return {};
    }
    return edit_parent(comps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      auto it = parent.entries.find(name);
      if (it == parent.entries.end()) return tl::unexpected(not_exist(join(comps, comps.size())));
      unixfs::NodeRef ref = TRY(fn(it->second));
      it->second.cid = ref.cid;
      it->second.tsize = ref.tsize;
      return {};
    });
  }

  // Changes a node's metadata (directories keep theirs through rebuilds).
  Result<unixfs::NodeRef> with_metadata(const unixfs::DirEntry& e, const std::function<void(std::optional<uint32_t>&,
                                                                                          std::optional<unixfs::UnixTime>&)>& set) {
    unixfs::NodeInfo info = TRY(ex->stat(e.cid));
    if (is_directory(info.kind)) {
      Dir d = TRY(load_dir(e.cid, e.name));
      set(d.mode, d.mtime);
      return store_dir(d);
    }
    std::optional<uint32_t> mode = info.mode;
    std::optional<unixfs::UnixTime> mtime = info.mtime;
    set(mode, mtime);
    Bytes block = TRY(overlay->get(e.cid));
    return reencode(unixfs::NodeRef{e.cid, info.tsize, info.size}, block,
                    dag_for(e.cid.version(), e.cid.multihash().code()), mode, mtime);
  }

  // Builds a file (trickle, as `files write`) from `in` into the batch.
  Result<unixfs::NodeRef> build_file(ByteReader& in, uint64_t version, uint64_t hash, std::optional<bool> raw_leaves,
                                     std::optional<uint32_t> mode, std::optional<unixfs::UnixTime> mtime) {
    unixfs::DagOptions o = dag_for(version, hash);
    o.layout = unixfs::Layout::kTrickle;
    o.max_links = kTrickleLinks;
    if (!raw_leaves) raw_leaves = config_raw_leaves;
    o.raw_leaves = raw_leaves ? *raw_leaves : version > 0;
    TRY_STATUS(unixfs::validate(o));
    unixfs::ImportContext ctx(node.workers(), import.chunker.max_chunk());
    FileSink sink(*batch);
    unixfs::NodeRef ref = TRY(unixfs::build_file(in, import.chunker, o, ctx, &sink));
    if (mode || mtime) {
      auto block = sink.block_of(ref.cid);
      if (!block) return internal_error("file root block not seen while building it");
      ref = TRY(reencode(ref, *block, o, mode, mtime));
    }
    return ref;
  }
};

Mfs::Mfs(core::Node& node)
    : node_(node), lock_path_(node.repo().path() + "/mfs.lock"), spool_dir_(node.repo().path() + "/tmp") {}

Mfs::~Mfs() = default;

bool Mfs::is_content_path(std::string_view path) {
  return path.substr(0, 6) == "/ipfs/" || path.substr(0, 5) == "/ipld/";
}

Result<std::vector<std::string>> Mfs::split_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return invalid_argument("paths must start with a leading slash");
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    i = j + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    TRY_STATUS(valid_name(c).map_error([&](const Error& e) { return e.wrap("invalid path"); }));
    out.emplace_back(c);
    if (out.size() > kMaxDepth) return invalid_argument("path deeper than " + std::to_string(kMaxDepth));
  }
  return out;
}

Result<uint32_t> parse_mode(std::string_view text) {
  if (text.empty() || text.size() > 6) return invalid_argument("invalid mode \"" + std::string(text) + "\"");
  uint32_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return invalid_argument("invalid mode \"" + std::string(text) + "\" (octal digits, e.g. 0644)");
    mode = mode * 8 + static_cast<uint32_t>(c - '0');
  }
  if (mode > 07777) return invalid_argument("invalid mode \"" + std::string(text) + "\"");
  return mode;
}

Status Mfs::change(const std::function<Result<Cid>(Change&)>& fn) {
  std::lock_guard in_process(mu_);
  UniqueFd lock = TRY(repo::lock_file(lock_path_, /*exclusive=*/true));
  repo::Repo& repo = node_.repo();
  Change c{node_, TRY(repo.blocks().begin()), nullptr, nullptr, {}, {}, {}};
  c.overlay = std::make_unique<Overlay>(repo.blocks(), c.batch.get());
  c.ex = std::make_unique<unixfs::Exporter>(*c.overlay);
  c.import = TRY(core::resolve_import_options(core::AddParams{}, repo.config(), node_.workers()));
  auto raw = repo.config().get("import.raw_leaves");
  if (raw && !raw->is_null()) c.config_raw_leaves = raw->get<bool>();
  auto current = TRY(repo::meta_get(repo.db(), core::kMfsRootKey));
  if (current) {
    c.root = TRY(Cid::parse(*current));
  } else {
    unixfs::DagOptions o;  // Kubo's MFS root: an empty CIDv0 directory
    unixfs::CidBuilder cids(o);
    c.root = TRY(unixfs::put_empty_directory(cids, c.overlay.get())).cid;
  }
  Cid next = TRY(fn(c));
  std::string text = next.to_string();
  return c.batch->commit([&](sql::Database& db) { return repo::meta_set(db, core::kMfsRootKey, text); });
}

Result<Cid> Mfs::root() {
  auto current = TRY(repo::meta_get(node_.repo().db(), core::kMfsRootKey));
  if (current) return Cid::parse(*current);
  // First use: store the empty root (its block must exist to be read).
  TRY_STATUS(change([](Change& c) -> Result<Cid> { return c.root; }));
  current = TRY(repo::meta_get(node_.repo().db(), core::kMfsRootKey));
  if (!current) return internal_error("MFS root not recorded");
  return Cid::parse(*current);
}

Result<Cid> Mfs::resolve(std::string_view path) {
  if (is_content_path(path)) {
    if (path.substr(0, 5) == "/ipld") return unsupported("only /ipfs/ paths are supported here");
    return node_.resolve(path);
  }
  auto comps = TRY(split_path(path));
  Cid cur = TRY(root());
  for (size_t i = 0; i < comps.size(); ++i) {
    unixfs::NodeInfo info = TRY(node_.stat(cur));
    if (!is_directory(info.kind)) return invalid_argument(join(comps, i) + " is not a directory");
    auto next = TRY(node_.lookup(cur, comps[i]));
    if (!next) return tl::unexpected(not_exist(path));
    cur = next->cid;
  }
  return cur;
}

Result<Stat> Mfs::stat(std::string_view path) {
  Cid cid = TRY(resolve(path));
  unixfs::NodeInfo info = TRY(node_.stat(cid));
  Stat s;
  s.cid = cid;
  s.kind = info.kind;
  s.type = is_directory(info.kind) ? "directory" : "file";
  s.size = is_directory(info.kind) ? 0 : info.size;
  s.cumulative_size = info.tsize;
  s.blocks = info.links;
  s.mode = info.mode;
  s.mtime = info.mtime;
  return s;
}

Status Mfs::ls(std::string_view path, bool with_details, const std::function<Status(const Listing&)>& fn) {
  Cid cid = TRY(resolve(path));
  unixfs::NodeInfo info = TRY(node_.stat(cid));
  auto detail = [&](Listing& l) -> Status {
    if (!with_details) return {};
    l.cid = l.cid.defined() ? l.cid : cid;
    unixfs::NodeInfo i = TRY(node_.stat(l.cid));
    l.type = is_directory(i.kind) ? 1 : 0;
    l.size = is_directory(i.kind) ? 0 : i.size;
    return {};
  };
  if (!is_directory(info.kind)) {
    auto comps = TRY(split_path(is_content_path(path) ? std::string_view("/") : path));
    Listing l;
    l.name = comps.empty() ? std::string(path) : comps.back();
    l.cid = cid;
    TRY_STATUS(detail(l));
    return fn(l);
  }
  return node_.ls(cid, [&](const unixfs::DirEntry& e) -> Status {
    Listing l;
    l.name = e.name;
    l.cid = e.cid;
    TRY_STATUS(detail(l));
    return fn(l);
  });
}

Status Mfs::read(std::string_view path, uint64_t offset, std::optional<uint64_t> count, const unixfs::ContentFn& out) {
  Cid cid = TRY(resolve(path));
  unixfs::NodeInfo info = TRY(node_.stat(cid));
  if (info.kind != unixfs::NodeKind::kFile) return invalid_argument(std::string(path) + " was not a file");
  if (offset > info.size)
    return invalid_argument("offset was past end of file (" + std::to_string(offset) + " > " + std::to_string(info.size) + ")");
  if (offset == info.size || (count && *count == 0)) return {};
  return node_.cat(cid.to_string(), offset, count, out);
}

namespace {

// An unlinked temporary file in `dir` (O_TMPFILE where the file system has it).
Result<UniqueFd> make_spool(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return tl::unexpected(errno_error("create " + dir));
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return UniqueFd(fd);
  std::string tmpl = dir + "/spool-XXXXXX";
  fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return tl::unexpected(errno_error("create a spool file in " + dir));
  ::unlink(tmpl.c_str());
  return UniqueFd(fd);
}

Status pwrite_all(int fd, ByteView b, uint64_t off) {
  size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::pwrite(fd, b.data() + done, b.size() - done, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(errno_error("write spool"));
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Status Mfs::write(std::string_view path, ByteReader& data, const WriteOptions& o) {
  auto comps = TRY(split_path(path));
  if (comps.empty()) return invalid_argument("cannot write to the root directory");
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.edit_parent(comps, o.parents, o.prefix, [&](Dir& parent, const std::string& name) -> Status {
      auto it = parent.entries.find(name);
      if (it == parent.entries.end() && !o.create) return tl::unexpected(not_exist(path));
      std::optional<unixfs::NodeInfo> old;
      uint64_t version = parent.version, hash = parent.hash;
      if (it != parent.entries.end()) {
        old = TRY(c.ex->stat(it->second.cid));
        if (old->kind != unixfs::NodeKind::kFile) return invalid_argument(std::string(path) + " is not a file");
        version = it->second.cid.version();
        hash = it->second.cid.multihash().code();
      }
      auto [v, h] = TRY(apply_prefix(o.prefix, version, hash));
      LimitReader limited(data, o.count);
      unixfs::NodeRef ref;
      const bool keep_old = old && !o.truncate && old->size > 0;
      if (!keep_old && o.offset == 0) {
        ref = TRY(c.build_file(limited, v, h, o.raw_leaves, old ? old->mode : std::nullopt,
                               old ? old->mtime : std::nullopt));
      } else {
        // Old bytes before the offset, zeros up to it, the new bytes, then
        // the old bytes after them: spooled, then laid out afresh.
        UniqueFd spool = TRY(make_spool(spool_dir_));
        uint64_t old_size = keep_old ? old->size : 0;
        uint64_t head = std::min(old_size, o.offset);
        uint64_t pos = 0;
        if (head > 0)
          TRY_STATUS(c.ex->read(it->second.cid, 0, head, [&](ByteView b) -> Status {
            TRY_STATUS(pwrite_all(spool.get(), b, pos));
            pos += b.size();
            return {};
          }));
        if (::ftruncate(spool.get(), static_cast<off_t>(o.offset)) != 0) return tl::unexpected(errno_error("extend spool"));
        pos = o.offset;
        std::vector<uint8_t> buf(1 << 20);
        for (;;) {
          size_t n = TRY(limited.read(buf.data(), buf.size()));
          if (n == 0) break;
          TRY_STATUS(pwrite_all(spool.get(), ByteView(buf.data(), n), pos));
          pos += n;
        }
        uint64_t end = pos;
        if (old_size > end) {
          uint64_t tail_pos = end;
          TRY_STATUS(c.ex->read(it->second.cid, end, old_size - end, [&](ByteView b) -> Status {
            TRY_STATUS(pwrite_all(spool.get(), b, tail_pos));
            tail_pos += b.size();
            return {};
          }));
          end = old_size;
        }
        PreadReader in(spool.get(), end);
        ref = TRY(c.build_file(in, v, h, o.raw_leaves, old ? old->mode : std::nullopt, old ? old->mtime : std::nullopt));
      }
      parent.entries[name] = unixfs::DirEntry{name, ref.cid, ref.tsize};
      return {};
    }));
    return c.root;
  });
}

Status Mfs::replace_file(std::string_view path, int fd, uint64_t size) {
  auto comps = TRY(split_path(path));
  if (comps.empty()) return invalid_argument("cannot write to the root directory");
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.edit_parent(comps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      auto it = parent.entries.find(name);
      uint64_t version = parent.version, hash = parent.hash;
      std::optional<uint32_t> mode;
      std::optional<unixfs::UnixTime> mtime;
      if (it != parent.entries.end()) {
        unixfs::NodeInfo old = TRY(c.ex->stat(it->second.cid));
        if (old.kind != unixfs::NodeKind::kFile) return invalid_argument(std::string(path) + " is not a file");
        version = it->second.cid.version();
        hash = it->second.cid.multihash().code();
        mode = old.mode;
        mtime = old.mtime;
      }
      PreadReader in(fd, size);
      unixfs::NodeRef ref = TRY(c.build_file(in, version, hash, std::nullopt, mode, mtime));
      parent.entries[name] = unixfs::DirEntry{name, ref.cid, ref.tsize};
      return {};
    }));
    return c.root;
  });
}

Result<PreparedFile> Mfs::prepare_file(std::string_view path, ByteReader& data) {
  auto comps = TRY(split_path(path));
  if (comps.empty()) return invalid_argument("cannot write to the root directory");
  // The CID prefix: the file's, else its parent's (else the root's).
  Cid named = TRY(root());
  for (size_t n = comps.size(); n > 0; --n) {
    auto c = resolve(join(comps, n));
    if (c) {
      named = *c;
      break;
    }
  }
  PreparedFile out;
  repo::Repo& repo = node_.repo();
  out.batch = TRY(repo.blocks().begin());
  Change c{node_, nullptr, nullptr, nullptr, {}, {}, {}};
  c.overlay = std::make_unique<Overlay>(repo.blocks(), out.batch.get());
  c.ex = std::make_unique<unixfs::Exporter>(*c.overlay);
  c.import = TRY(core::resolve_import_options(core::AddParams{}, repo.config(), node_.workers()));
  auto raw = repo.config().get("import.raw_leaves");
  if (raw && !raw->is_null()) c.config_raw_leaves = raw->get<bool>();
  uint64_t version = named.version(), hash = named.multihash().code();
  if (named.codec() == multicodec::kRaw) version = 1;
  // (c.batch stays null: build_file writes through its sink to out.batch.)
  FileSink sink(*out.batch);
  unixfs::DagOptions o = c.dag_for(version, hash);
  o.layout = unixfs::Layout::kTrickle;
  o.max_links = kTrickleLinks;
  o.raw_leaves = c.config_raw_leaves ? *c.config_raw_leaves : version > 0;
  TRY_STATUS(unixfs::validate(o));
  unixfs::ImportContext ctx(node_.workers(), c.import.chunker.max_chunk());
  out.ref = TRY(unixfs::build_file(data, c.import.chunker, o, ctx, &sink));
  TRY_STATUS(out.batch->commit());
  return out;
}

Status Mfs::link_file(std::string_view path, PreparedFile file) {
  auto comps = TRY(split_path(path));
  if (comps.empty()) return invalid_argument("cannot write to the root directory");
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.edit_parent(comps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      unixfs::NodeRef ref = file.ref;
      auto it = parent.entries.find(name);
      if (it != parent.entries.end()) {
        unixfs::NodeInfo old = TRY(c.ex->stat(it->second.cid));
        if (old.kind != unixfs::NodeKind::kFile) return invalid_argument(std::string(path) + " is not a file");
        if (old.mode || old.mtime) {
          Bytes block = TRY(c.overlay->get(ref.cid));
          ref = TRY(c.reencode(ref, block, c.dag_for(ref.cid.version(), ref.cid.multihash().code()), old.mode, old.mtime));
        }
      }
      parent.entries[name] = unixfs::DirEntry{name, ref.cid, ref.tsize};
      return {};
    }));
    return c.root;
  });
}

Status Mfs::mkdir(std::string_view path, const MkdirOptions& o) {
  auto comps = TRY(split_path(path));
  if (comps.empty()) {
    if (o.parents) return {};
    return make_error(Code::kAlreadyExists, "cannot create directory '/': Already exists");
  }
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.edit_parent(comps, o.parents, o.prefix, [&](Dir& parent, const std::string& name) -> Status {
      auto it = parent.entries.find(name);
      if (it != parent.entries.end()) {
        unixfs::NodeInfo info = TRY(c.ex->stat(it->second.cid));
        if (o.parents && is_directory(info.kind)) return {};
        return make_error(Code::kAlreadyExists, "file already exists");
      }
      Dir d;
      auto [v, h] = TRY(apply_prefix(o.prefix, parent.version, parent.hash));
      d.version = v;
      d.hash = h;
      unixfs::NodeRef ref = TRY(c.store_dir(d));
      parent.entries[name] = unixfs::DirEntry{name, ref.cid, ref.tsize};
      return {};
    }));
    return c.root;
  });
}

Status Mfs::symlink(std::string_view path, std::string_view target) {
  auto comps = TRY(split_path(path));
  if (comps.empty()) return make_error(Code::kAlreadyExists, "file already exists");
  if (target.empty() || target.find('\0') != std::string_view::npos) return invalid_argument("invalid symlink target");
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.edit_parent(comps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      if (parent.entries.count(name)) return make_error(Code::kAlreadyExists, "file already exists");
      unixfs::DagOptions o = c.dag_for(parent.version, parent.hash);
      unixfs::CidBuilder cids(o);
      unixfs::NodeRef ref = TRY(unixfs::put_symlink(cids, c.overlay.get(), target));
      parent.entries[name] = unixfs::DirEntry{name, ref.cid, ref.tsize};
      return {};
    }));
    return c.root;
  });
}

Status Mfs::cp(std::string_view src_in, std::string_view dst_in, bool force, bool parents) {
  std::string src(src_in);
  while (src.size() > 1 && src.back() == '/') src.pop_back();
  std::string dst(dst_in);
  if (!dst.empty() && dst.back() == '/') {
    auto sc = TRY(split_path(is_content_path(src) ? "/" + src.substr(6) : src));
    if (sc.empty()) return invalid_argument("cp: cannot take a name from " + src);
    dst += sc.back();
  }
  auto dcomps = TRY(split_path(dst));
  if (dcomps.empty()) return invalid_argument("cp: cannot replace the root directory");
  return change([&](Change& c) -> Result<Cid> {
    // Resolved with the GC lock held: the source cannot be collected
    // between here and the commit that makes it reachable.
    Cid cid;
    if (is_content_path(src)) {
      cid = TRY(node_.resolve(src).map_error([&](const Error& e) { return e.wrap("cp: cannot get node from path " + src); }));
    } else {
      auto e = TRY(c.lookup(TRY(split_path(src))));
      if (!e) return tl::unexpected(not_exist(src).wrap("cp: cannot get node from path " + src));
      cid = e->cid;
    }
    if (cid.codec() != multicodec::kDagPb && cid.codec() != multicodec::kRaw)
      return invalid_argument("cp: source must be a valid UnixFS (dag-pb or raw codec)");
    unixfs::NodeInfo info = TRY(c.ex->stat(cid).map_error(
        [](const Error& e) { return e.wrap("cp: source must be a valid UnixFS (dag-pb or raw codec)"); }));
    TRY_STATUS(c.edit_parent(dcomps, parents, {}, [&](Dir& parent, const std::string& name) -> Status {
      auto it = parent.entries.find(name);
      if (it != parent.entries.end()) {
        if (!force) return make_error(Code::kAlreadyExists, "cp: cannot put node in path " + dst + ": directory already has entry by that name");
        unixfs::NodeInfo existing = TRY(c.ex->stat(it->second.cid));
        if (is_directory(existing.kind)) return invalid_argument("cp: cannot unlink existing file: not a file: " + dst);
      }
      parent.entries[name] = unixfs::DirEntry{name, cid, info.tsize};
      return {};
    }));
    return c.root;
  });
}

Status Mfs::mv(std::string_view src, std::string_view dst_in) {
  auto scomps = TRY(split_path(src));
  if (scomps.empty()) return invalid_argument("cannot move the root directory");
  std::string dst(dst_in);
  return change([&](Change& c) -> Result<Cid> {
    auto moving = TRY(c.lookup(scomps));
    if (!moving) return tl::unexpected(not_exist(src));
    auto dcomps = TRY(split_path(dst));
    // Into an existing directory (or one named with a trailing '/').
    auto target = TRY(c.lookup(dcomps));
    bool into = dst.back() == '/';
    if (target) {
      unixfs::NodeInfo ti = TRY(c.ex->stat(target->cid));
      if (is_directory(ti.kind)) into = true;
    }
    if (into) dcomps.push_back(scomps.back());
    if (dcomps == scomps) return c.root;
    if (dcomps.size() > scomps.size() && std::equal(scomps.begin(), scomps.end(), dcomps.begin()))
      return invalid_argument("cannot move " + std::string(src) + " into itself");
    if (into) {
      target = TRY(c.lookup(dcomps));
      if (target) {
        unixfs::NodeInfo ti = TRY(c.ex->stat(target->cid));
        if (is_directory(ti.kind)) return make_error(Code::kAlreadyExists, join(dcomps, dcomps.size()) + ": directory already exists");
      }
    }
    const uint64_t tsize = moving->tsize;
    TRY_STATUS(c.edit_parent(scomps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      parent.entries.erase(name);
      return {};
    }));
    TRY_STATUS(c.edit_parent(dcomps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      parent.entries[name] = unixfs::DirEntry{name, moving->cid, tsize};
      return {};
    }));
    return c.root;
  });
}

Status Mfs::rename(std::string_view src, std::string_view dst) {
  auto scomps = TRY(split_path(src));
  auto dcomps = TRY(split_path(dst));
  if (scomps.empty() || dcomps.empty()) return invalid_argument("cannot rename the root directory");
  if (dcomps.size() > scomps.size() && std::equal(scomps.begin(), scomps.end(), dcomps.begin()))
    return invalid_argument("cannot move " + std::string(src) + " into itself");
  if (dcomps == scomps) return {};
  return change([&](Change& c) -> Result<Cid> {
    auto moving = TRY(c.lookup(scomps));
    if (!moving) return tl::unexpected(not_exist(src));
    const unixfs::DirEntry entry = *moving;
    TRY_STATUS(c.edit_parent(scomps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      parent.entries.erase(name);
      return {};
    }));
    TRY_STATUS(c.edit_parent(dcomps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      parent.entries[name] = unixfs::DirEntry{name, entry.cid, entry.tsize};
      return {};
    }));
    return c.root;
  });
}

Status Mfs::rm(std::string_view path, bool recursive, bool force) {
  auto comps = TRY(split_path(path));
  if (comps.empty()) return invalid_argument("cannot delete root");
  return change([&](Change& c) -> Result<Cid> {
    auto parent_entry = c.lookup(std::vector<std::string>(comps.begin(), comps.end() - 1));
    if (!parent_entry || !*parent_entry) {
      if (force) return c.root;
      return tl::unexpected(not_exist(path));
    }
    TRY_STATUS(c.edit_parent(comps, false, {}, [&](Dir& parent, const std::string& name) -> Status {
      auto it = parent.entries.find(name);
      if (it == parent.entries.end()) {
        if (force) return {};
        return tl::unexpected(not_exist(path));
      }
      unixfs::NodeInfo info = TRY(c.ex->stat(it->second.cid));
      if (is_directory(info.kind) && !recursive && !force)
        return invalid_argument(std::string(path) + " is a directory, use -r to remove directories");
      parent.entries.erase(it);
      return {};
    }));
    return c.root;
  });
}

Result<Cid> Mfs::flush(std::string_view path) { return resolve(path.empty() ? "/" : path); }

Status Mfs::chcid(std::string_view path, const CidPrefix& prefix) {
  auto comps = TRY(split_path(path));
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.replace_node(comps, [&](const unixfs::DirEntry& e) -> Result<unixfs::NodeRef> {
      unixfs::NodeInfo info = TRY(c.ex->stat(e.cid));
      auto [v, h] = TRY(apply_prefix(prefix, e.cid.version(), e.cid.multihash().code()));
      if (is_directory(info.kind)) {
        Dir d = TRY(c.load_dir(e.cid, path));
        d.version = v;
        d.hash = h;
        return c.store_dir(d);
      }
      if (e.cid.codec() == multicodec::kRaw) return unixfs::NodeRef{e.cid, info.tsize, info.size};
      Bytes block = TRY(c.overlay->get(e.cid));
      return c.reencode(unixfs::NodeRef{e.cid, info.tsize, info.size}, block, c.dag_for(v, h), info.mode, info.mtime);
    }));
    return c.root;
  });
}

Status Mfs::touch(std::string_view path, int64_t seconds, std::optional<uint32_t> nanos) {
  auto comps = TRY(split_path(path));
  if (nanos && *nanos > 999999999) return invalid_argument("mtime nanoseconds must be below 1e9");
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.replace_node(comps, [&](const unixfs::DirEntry& e) {
      return c.with_metadata(e, [&](std::optional<uint32_t>&, std::optional<unixfs::UnixTime>& mtime) {
        unixfs::UnixTime t;
        t.seconds = seconds;
        if (nanos && *nanos > 0) t.nanos = nanos;
        mtime = t;
      });
    }));
    return c.root;
  });
}

Status Mfs::chmod(std::string_view path, uint32_t mode) {
  auto comps = TRY(split_path(path));
  if (mode > 07777) return invalid_argument("mode out of range");
  return change([&](Change& c) -> Result<Cid> {
    TRY_STATUS(c.replace_node(comps, [&](const unixfs::DirEntry& e) {
      return c.with_metadata(e, [&](std::optional<uint32_t>& m, std::optional<unixfs::UnixTime>&) { m = mode; });
    }));
    return c.root;
  });
}

Status Mfs::set_root(const Cid& cid) {
  return change([&](Change& c) -> Result<Cid> {
    unixfs::NodeInfo info = TRY(c.ex->stat(cid));
    if (!is_directory(info.kind)) return invalid_argument("the MFS root must be a directory");
    return cid;
  });
}

}  // namespace ipfskit::mfs
