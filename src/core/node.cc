#include "core/node.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <mutex>
#include <unordered_set>

#include <atomic>
#include <future>

#include "archive/tar.h"
#include "car/car.h"
#include "codec/dagcbor.h"
#include "codec/dagpb.h"
#include "dag/dag.h"
#include "multiformats/multicodec.h"
#include "unixfs/directory.h"
#include "unixfs/tree_export.h"

namespace ipfskit::core {

namespace {

int64_t now_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

std::string mh_key(const Cid& c) { return std::string(as_chars(c.multihash().bytes())); }

// The CID Kubo would print for a stored block: CIDv0 for sha2-256 dag-pb.
Cid display_cid(const Multihash& mh, uint64_t codec) {
  if (codec == multicodec::kDagPb) {
    auto v0 = Cid::v0(mh);
    if (v0) return *v0;
  }
  return Cid::v1(codec, mh);
}

}  // namespace

Result<std::unique_ptr<Node>> Node::open(const std::string& repo_path, const std::string& config_path, size_t workers,
                                         bool create) {
  std::unique_ptr<Node> n(new Node());
  repo::Repo::Options o;
  o.config_path = config_path;
  o.create = create;
  n->repo_ = TRY(repo::Repo::open(repo_path, o));
  n->reader_ = std::make_unique<ReadThroughSource>(n->repo_->blocks());
  n->workers_ = workers == 0 ? ThreadPool::default_size() : workers;
  // Every repository holds the empty directory, as Kubo's does from `init`
  // (health checks resolve it; GC keeps it). Best effort: a repository we may
  // only read is still readable.
  (void)n->ensure_empty_directory();
  return n;
}

ThreadPool& Node::pool() {
  std::lock_guard lock(pool_mu_);
  if (!pool_) pool_ = std::make_unique<ThreadPool>(workers_);
  return *pool_;
}

unixfs::Exporter Node::exporter() { return unixfs::Exporter(*reader_, workers_ > 1 ? &pool() : nullptr); }

void Node::set_fallback(std::shared_ptr<BlockFallback> fallback, FallbackOptions options) {
  reader_->set_fallback(std::move(fallback), options);
}

// ---- content ----

namespace {

// Passes blocks on until the add is cancelled, then fails every put: the
// importer stops at its next block and nothing is committed.
class CancellableSink : public BlockSink {
 public:
  CancellableSink(BlockSink& inner, const CancelToken& cancel) : inner_(inner), cancel_(cancel) {}
  Status put(const Cid& cid, ByteView data) override {
    TRY_STATUS(cancel_.check("add"));
    return inner_.put(cid, data);
  }
  Status put_many(const std::vector<std::pair<Cid, ByteView>>& blocks) override {
    TRY_STATUS(cancel_.check("add"));
    return inner_.put_many(blocks);
  }

 private:
  BlockSink& inner_;
  const CancelToken& cancel_;
};

template <typename Fn>
Result<unixfs::NodeRef> add_with(repo::Repo& repo, const AddOptions& options, size_t workers,
                                 const unixfs::AddedFn& on_added, const unixfs::ProgressFn& progress, Fn&& run) {
  unixfs::ImportOptions io = options.import;
  if (io.workers == 0) io.workers = workers;
  if (options.only_hash) {
    NullBlockSink null_sink;
    std::optional<CancellableSink> cancellable;
    if (options.cancel != nullptr) cancellable.emplace(null_sink, *options.cancel);
    unixfs::Importer imp(io, cancellable ? static_cast<BlockSink*>(&*cancellable) : &null_sink, on_added, progress);
    return run(imp);
  }
  repo::PinRequest pin;
  pin.name = options.pin_name;
  pin.meta = options.pin_meta;
  TRY_STATUS(repo::validate_pin(pin));
  auto batch = TRY(repo.blocks().begin());
  std::optional<CancellableSink> cancellable;
  if (options.cancel != nullptr) cancellable.emplace(*batch, *options.cancel);
  unixfs::Importer imp(io, cancellable ? static_cast<BlockSink*>(&*cancellable) : batch.get(), on_added, progress);
  unixfs::NodeRef root = TRY(run(imp));
  // Every root the add made (one per argument, or the -w wrapper) is pinned,
  // in the same transaction that commits the blocks.
  std::vector<repo::PinRequest> pins;
  for (const unixfs::NodeRef& r : imp.roots()) {
    bool seen = false;
    for (const auto& p : pins) seen = seen || p.cid == r.cid;
    if (seen) continue;
    pins.push_back(pin);
    pins.back().cid = r.cid;
  }
  TRY_STATUS(batch->commit([&](sql::Database& db) -> Status {
    if (!options.pin || pins.empty()) return {};
    return repo::PinIndex::add_in_transaction(db, pins, now_seconds());
  }));
  return root;
}

}  // namespace

Result<unixfs::NodeRef> Node::add_paths(const std::vector<std::string>& paths, const AddOptions& options,
                                        const unixfs::AddedFn& on_added, const unixfs::ProgressFn& progress) {
  return add_with(*repo_, options, workers_, on_added, progress,
                  [&](unixfs::Importer& imp) { return imp.add_paths(paths); });
}

Result<unixfs::NodeRef> Node::add_stream(ByteReader& input, const std::string& name, const AddOptions& options,
                                         const unixfs::AddedFn& on_added, const unixfs::ProgressFn& progress) {
  return add_with(*repo_, options, workers_, on_added, progress,
                  [&](unixfs::Importer& imp) { return imp.add_stream(input, name); });
}

Result<unixfs::NodeRef> Node::add_entries(unixfs::UploadSource& source, const AddOptions& options,
                                          const unixfs::AddedFn& on_added, const unixfs::ProgressFn& progress) {
  return add_with(*repo_, options, workers_, on_added, progress,
                  [&](unixfs::Importer& imp) { return imp.add_entries(source); });
}

Result<Cid> Node::resolve(std::string_view path) { return exporter().resolve(path); }

Status Node::cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length, const unixfs::ContentFn& out) {
  Cid cid = TRY(resolve(path));
  return exporter().read(cid, offset, length, out);
}

Status Node::cat_pieces(const Cid& file, uint64_t offset, std::optional<uint64_t> length, const unixfs::PieceFn& out) {
  return exporter().read_pieces(file, offset, length, out);
}

Result<unixfs::NodeInfo> Node::stat(const Cid& cid) { return exporter().stat(cid); }

Status Node::ls(const Cid& dir, const unixfs::EntryFn& fn) { return exporter().list(dir, fn); }

Result<std::optional<unixfs::DirEntry>> Node::lookup(const Cid& dir, std::string_view name) {
  return exporter().lookup(dir, name);
}

Result<std::string> Node::read_symlink(const Cid& cid) { return exporter().read_symlink(cid); }


Status Node::get(std::string_view path, const std::string& out, const unixfs::ProgressFn& progress) {
  Cid cid = TRY(resolve(path));
  unixfs::Exporter ex = exporter();
  return unixfs::write_tree(ex, cid, out, progress);
}

Status Node::get_tar(std::string_view path, const std::string& name, const std::function<Status(ByteView)>& out) {
  Cid root = TRY(resolve(path));
  unixfs::Exporter ex = exporter();
  archive::TarWriter tar(out);
  struct Frame {
    std::string path;
    std::vector<unixfs::DirEntry> entries;
    size_t next = 0;
  };
  constexpr size_t kMaxDepth = 1024;
  std::vector<Frame> stack;
  auto write_one = [&](const std::string& entry_path, const Cid& cid) -> Status {
    unixfs::NodeInfo info = TRY(ex.stat(cid));
    switch (info.kind) {
      case unixfs::NodeKind::kFile:
        TRY_STATUS(tar.file(entry_path, info.size, info.mode.value_or(0644) & 07777));
        return ex.read(cid, 0, std::nullopt, [&](ByteView b) { return tar.content(b); });
      case unixfs::NodeKind::kSymlink:
        return tar.symlink(entry_path, TRY(ex.read_symlink(cid)));
      case unixfs::NodeKind::kDirectory:
      case unixfs::NodeKind::kHAMTDirectory: {
        if (stack.size() >= kMaxDepth) return invalid_argument("directory nesting deeper than " + std::to_string(kMaxDepth));
        TRY_STATUS(tar.directory(entry_path, info.mode.value_or(0755) & 07777));
        auto entries = TRY(unixfs::list_safe(ex, cid, entry_path));
        Frame f{entry_path, std::move(entries), 0};
        stack.push_back(std::move(f));
        return {};
      }
      case unixfs::NodeKind::kOther:
        return unsupported(entry_path + " is not a UnixFS file, directory or symlink");
    }
    return {};
  };
  if (!unixfs::safe_entry_name(name)) return invalid_argument("invalid archive name \"" + name + "\"");
  TRY_STATUS(write_one(name, root));
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.entries.size()) {
      stack.pop_back();
      continue;
    }
    const unixfs::DirEntry e = top.entries[top.next++];
    const std::string entry_path = top.path + "/" + e.name;
    TRY_STATUS(write_one(entry_path, e.cid));
  }
  return tar.finish();
}

// ---- blocks and DAGs ----

Result<Bytes> Node::block_get(const Cid& cid, bool local_only) {
  if (local_only) return fetch_block(repo_->blocks(), cid);
  return fetch_block(*reader_, cid);
}

Result<Cid> Node::block_put(ByteView data, uint64_t codec, uint64_t hash, int cid_version, bool pin) {
  if (data.size() > unixfs::kBlockSizeLimit)
    return make_error(Code::kResourceExhausted, "block of " + std::to_string(data.size()) + " bytes exceeds the " +
                                                    std::to_string(unixfs::kBlockSizeLimit) + "-byte limit");
  if (hash == multihash::kIdentity && data.size() > multihash::kMaxIdentityDigest)
    return invalid_argument("digest too large: identity digest got " + std::to_string(data.size()) + " bytes");
  Multihash mh = TRY(Multihash::compute(hash, {data}));
  Cid cid;
  if (cid_version == 0) {
    if (codec != multicodec::kDagPb) return invalid_argument("CIDv0 is only for dag-pb blocks");
    cid = TRY(Cid::v0(std::move(mh)));
  } else {
    cid = Cid::v1(codec, std::move(mh));
  }
  if (codec == multicodec::kDagPb) {
    auto node = dagpb::decode(data);
    if (!node) return invalid_argument("data is not valid dag-pb: " + node.error().message());
  } else if (codec == multicodec::kDagCbor) {
    TRY_STATUS(dagcbor::for_each_link(data, [](const Cid&) -> Status { return {}; }));
  }
  auto batch = TRY(repo_->blocks().begin());
  TRY_STATUS(batch->put(cid, data));
  TRY_STATUS(batch->commit([&](sql::Database& db) -> Status {
    if (!pin) return {};
    repo::PinRequest p;
    p.cid = cid;
    p.type = repo::PinType::kDirect;
    return repo::PinIndex::add_in_transaction(db, {p}, now_seconds());
  }));
  return cid;
}

Result<BlockStat> Node::block_stat(const Cid& cid) {
  if (cid.is_identity()) return BlockStat{cid, cid.multihash().digest().size()};
  auto loc = TRY(repo_->blocks().locate(cid.multihash()));
  if (!loc) return not_found("block not found: " + cid.to_string());
  return BlockStat{cid, loc->size};
}

Status Node::block_rm(const Cid& cid) {
  // A pinned block, or one under a recursive pin, stays.
  const std::string key = mh_key(cid);
  Status pinned;
  TRY_STATUS(repo_->pins().list({}, [&](const repo::PinInfo& p) -> Status {
    if (mh_key(p.cid) == key) return invalid_argument(cid.to_string() + " is pinned (" + repo::pin_type_name(p.type) + ")");
    if (p.type != repo::PinType::kRecursive) return {};
    dag::WalkOptions wo;
    wo.skip_missing = true;
    wo.leaves_by_presence = true;
    return dag::walk(repo_->blocks(), p.cid, [&](const Cid& c, ByteView) -> Status {
      if (mh_key(c) == key) return invalid_argument(cid.to_string() + " is pinned indirectly through " + p.cid.to_string());
      return {};
    }, wo);
  }));
  return repo_->blocks().remove(cid);
}

Status Node::dag_export(const Cid& root, const std::function<Status(ByteView)>& out, bool local_only) {
  car::V1Writer w(out);
  TRY_STATUS(w.write_header({root}));
  BlockSource& source = local_only ? static_cast<BlockSource&>(repo_->blocks()) : *reader_;
  return dag::walk(source, root, [&](const Cid& c, ByteView data) { return w.write_block(c, data); });
}

Status Node::dag_export_v2(const Cid& root, int fd, const std::string& name) {
  car::V2Writer w(fd, name);
  TRY_STATUS(w.begin({root}));
  TRY_STATUS(dag::walk(*reader_, root, [&](const Cid& c, ByteView data) { return w.write_block(c, data); }));
  return w.finish();
}

Result<ImportReport> Node::dag_import(ByteReader& in, bool pin_roots,
                                      const std::function<void(const Cid&, const Status&)>& on_root) {
  auto reader = TRY(car::Reader::open(in));
  ImportReport report;
  report.roots = reader->roots();
  {
    auto batch = TRY(repo_->blocks().begin());
    // Blocks are written in groups: one write for many small blocks.
    std::vector<car::Block> group;
    uint64_t group_bytes = 0;
    auto flush = [&]() -> Status {
      std::vector<std::pair<Cid, ByteView>> views;
      views.reserve(group.size());
      for (const auto& b : group) views.emplace_back(b.cid, ByteView(b.data));
      TRY_STATUS(batch->put_many(views));
      group.clear();
      group_bytes = 0;
      return {};
    };
    for (;;) {
      auto block = TRY(reader->next());
      if (!block) break;
      // Never trust a block from outside: its bytes must hash to its CID.
      Status ok = verify_block(block->cid, block->data);
      if (!ok) return invalid_argument("CAR holds a bad block: " + ok.error().message());
      if (block->data.size() > unixfs::kBlockSizeLimit)
        return make_error(Code::kResourceExhausted, "CAR block " + block->cid.to_string() + " exceeds the block size limit");
      ++report.blocks;
      report.bytes += block->data.size();
      group_bytes += block->data.size();
      group.push_back(std::move(*block));
      if (group.size() >= 4096 || group_bytes >= (8 << 20)) TRY_STATUS(flush());
    }
    TRY_STATUS(flush());
    TRY_STATUS(batch->commit());
  }
  if (pin_roots) {
    for (const Cid& root : report.roots) {
      repo::PinRequest p;
      p.cid = root;
      Status st = pin_add({p});
      if (on_root) on_root(root, st);
      if (!st) return tl::unexpected(st.error().wrap("pin root " + root.to_string()));
    }
  }
  return report;
}

Result<DagStat> Node::dag_stat(const Cid& root) {
  DagStat s;
  s.root = root;
  TRY_STATUS(dag::walk(*reader_, root, [&](const Cid&, ByteView data) -> Status {
    ++s.blocks;
    s.size += data.size();
    return {};
  }));
  return s;
}

Status Node::refs(const Cid& root, bool recursive, bool unique, const std::function<Status(const Cid&)>& fn) {
  if (!recursive) {
    Bytes data = TRY(fetch_block(*reader_, root));
    std::vector<Cid> links = TRY(dag::links_of(root, data));
    std::unordered_set<std::string> seen;
    for (const Cid& l : links)
      if (!unique || seen.insert(mh_key(l)).second) TRY_STATUS(fn(l));
    return {};
  }
  std::unordered_set<std::string> seen;
  return dag::walk(*reader_, root, [&](const Cid& c, ByteView data) -> Status {
    std::vector<Cid> links = TRY(dag::links_of(c, data));
    for (const Cid& l : links)
      if (!unique || seen.insert(mh_key(l)).second) TRY_STATUS(fn(l));
    return {};
  });
}

Status Node::refs_local(const std::function<Status(const Cid&)>& fn) {
  return repo_->blocks().for_each(
      [&](const Multihash& mh, uint64_t codec, uint64_t) { return fn(display_cid(mh, codec)); });
}

// ---- pins ----

Status Node::pin_add(const std::vector<repo::PinRequest>& pins, const ItemFn& on_result, bool all_or_nothing,
                     const CancelToken* cancel) {
  // Hold the shared GC lock: the DAGs we check stay until the pins are recorded.
  UniqueFd lock = TRY(repo::lock_file(repo_->blocks().gc_lock_path(), false));
  auto check = [&](const repo::PinRequest& p) -> Status {
    TRY_STATUS(repo::validate_pin(p));
    if (p.type == repo::PinType::kDirect) {
      if (!TRY(repo_->blocks().has(p.cid))) return not_found("cannot pin " + p.cid.to_string() + ": block not found");
      return {};
    }
    dag::WalkOptions wo;
    wo.leaves_by_presence = true;
    Status complete = dag::walk(repo_->blocks(), p.cid, [](const Cid&, ByteView) -> Status { return {}; }, wo);
    if (!complete) return tl::unexpected(complete.error().wrap("cannot pin " + p.cid.to_string()));
    return {};
  };
  constexpr size_t kBatch = 10000;  // pins per transaction
  std::vector<const repo::PinRequest*> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return {};
    std::vector<repo::PinRequest> rows;
    rows.reserve(batch.size());
    for (const auto* p : batch) rows.push_back(*p);
    auto tx = TRY(sql::Transaction::begin(repo_->db()));
    TRY_STATUS(repo::PinIndex::add_in_transaction(repo_->db(), rows, now_seconds()));
    TRY_STATUS(tx.commit());
    if (on_result)
      for (const auto* p : batch) on_result(p->cid, Status{});
    batch.clear();
    return {};
  };
  if (all_or_nothing) {
    for (const auto& p : pins) {
      TRY_STATUS(check_cancel(cancel, "pin add"));
      TRY_STATUS(check(p));
    }
    for (const auto& p : pins) {
      batch.push_back(&p);
      if (batch.size() >= kBatch) TRY_STATUS(flush());
    }
    return flush();
  }
  for (const auto& p : pins) {
    if (Status c = check_cancel(cancel, "pin add"); !c) {
      TRY_STATUS(flush());
      return c;
    }
    Status st = check(p);
    if (!st) {
      if (st.error().code() == Code::kIOError) return st;  // the repository failed, not the item
      if (on_result) on_result(p.cid, st);
      continue;
    }
    batch.push_back(&p);
    if (batch.size() >= kBatch) TRY_STATUS(flush());
  }
  return flush();
}

Result<std::vector<Cid>> Node::pin_rm(const std::vector<Cid>& cids) { return repo_->pins().remove(cids); }

Status Node::pin_rm_each(const std::vector<Cid>& cids, const ItemFn& on_result) {
  std::vector<Cid> removed = TRY(repo_->pins().remove(cids, /*ignore_missing=*/true));
  std::unordered_set<std::string> gone;
  for (const Cid& c : removed) gone.insert(c.to_string());
  for (const Cid& c : cids) {
    if (!on_result) continue;
    if (gone.count(c.to_string()) > 0) on_result(c, Status{});
    else on_result(c, not_found(c.to_string() + " is not pinned"));
  }
  return {};
}

Status Node::pin_ls(const PinListOptions& o, const std::function<Status(const PinEntry&)>& fn) {
  uint64_t emitted = 0;
  const uint64_t limit = o.filter.limit;
  auto emit = [&](const PinEntry& e) -> Status {
    ++emitted;
    return fn(e);
  };
  auto full = [&] { return limit > 0 && emitted >= limit; };

  // `pin ls CID`: how is this CID pinned?
  if (o.filter.cid) {
    auto info = TRY(repo_->pins().get(*o.filter.cid));
    if (info && o.explicit_pins && (!o.filter.type || *o.filter.type == info->type))
      return emit(PinEntry{info->cid, repo::pin_type_name(info->type), info});
    if (!o.indirect) return not_found(o.filter.cid->to_string() + " is not pinned");
    const std::string key = mh_key(*o.filter.cid);
    std::optional<Cid> via;
    repo::PinFilter rec;
    rec.type = repo::PinType::kRecursive;
    Status found_marker = invalid_argument("found");
    TRY_STATUS(repo_->pins().list(rec, [&](const repo::PinInfo& p) -> Status {
      if (via) return {};
      dag::WalkOptions wo;
      wo.skip_missing = true;
      wo.leaves_by_presence = true;
      Status st = dag::walk(repo_->blocks(), p.cid, [&](const Cid& c, ByteView) -> Status {
        if (mh_key(c) == key && c != p.cid) return found_marker;
        return {};
      }, wo);
      if (!st && st.error().message() == "found") via = p.cid;
      else if (!st) return st;
      return {};
    }));
    if (!via) return not_found(o.filter.cid->to_string() + " is not pinned");
    return emit(PinEntry{*o.filter.cid, "indirect through " + via->to_string(), std::nullopt});
  }

  if (o.explicit_pins) {
    repo::PinFilter f = o.filter;
    TRY_STATUS(repo_->pins().list(f, [&](const repo::PinInfo& p) -> Status {
      return emit(PinEntry{p.cid, repo::pin_type_name(p.type), p});
    }));
  }
  if (!o.indirect || full() || (o.filter.type && *o.filter.type == repo::PinType::kDirect) || o.filter.name) return {};
  // Indirect pins: every block under a recursive pin, except the roots.
  std::unordered_set<std::string> roots, seen;
  repo::PinFilter rec;
  rec.type = repo::PinType::kRecursive;
  std::vector<Cid> recursive;
  TRY_STATUS(repo_->pins().list({}, [&](const repo::PinInfo& p) -> Status {
    roots.insert(mh_key(p.cid));
    if (p.type == repo::PinType::kRecursive) recursive.push_back(p.cid);
    return {};
  }));
  Status stop = make_error(Code::kCancelled, "limit");
  for (const Cid& root : recursive) {
    dag::WalkOptions wo;
    wo.skip_missing = true;
    wo.leaves_by_presence = true;
    Status st = dag::walk(repo_->blocks(), root, [&](const Cid& c, ByteView) -> Status {
      const std::string k = mh_key(c);
      if (roots.count(k) || !seen.insert(k).second) return {};
      if (full()) return stop;
      return emit(PinEntry{c, "indirect", std::nullopt});
    }, wo);
    if (!st) {
      if (st.error().code() == Code::kCancelled && st.error().message() == "limit") return {};
      return st;
    }
  }
  return {};
}

Status Node::pin_update(const Cid& from, const Cid& to, bool unpin) {
  auto info = TRY(repo_->pins().get(from));
  if (!info || info->type != repo::PinType::kRecursive)
    return invalid_argument("'from' cid was not recursively pinned already");
  UniqueFd lock = TRY(repo::lock_file(repo_->blocks().gc_lock_path(), false));
  dag::WalkOptions wo;
  wo.leaves_by_presence = true;
  Status complete = dag::walk(repo_->blocks(), to, [](const Cid&, ByteView) -> Status { return {}; }, wo);
  if (!complete) return tl::unexpected(complete.error().wrap("cannot pin " + to.to_string()));
  repo::PinRequest p;
  p.cid = to;
  p.name = info->name;
  p.meta = info->meta;
  p.replication = info->replication;
  auto tx = TRY(sql::Transaction::begin(repo_->db()));
  TRY_STATUS(repo::PinIndex::add_in_transaction(repo_->db(), {p}, now_seconds()));
  if (unpin && from != to) {
    auto del = TRY(repo_->db().prepare("DELETE FROM pins WHERE cid = ?1"));
    TRY_STATUS(del.bind(1, ByteView(from.bytes())).run());
  }
  return tx.commit();
}

Status Node::pin_verify(const std::function<Status(const PinVerifyResult&)>& fn, bool only_failures) {
  std::vector<repo::PinInfo> pins;
  TRY_STATUS(repo_->pins().list({}, [&](const repo::PinInfo& p) -> Status {
    pins.push_back(p);
    return {};
  }));
  for (const auto& p : pins) {
    PinVerifyResult r;
    r.cid = p.cid;
    dag::WalkOptions wo;
    wo.skip_missing = true;
    wo.on_missing = [&](const Cid& c) -> Status {
      r.problems.push_back("missing block " + c.to_string());
      return {};
    };
    auto visit = [&](const Cid&, ByteView) -> Status { return {}; };
    Status st = p.type == repo::PinType::kRecursive ? dag::walk(repo_->blocks(), p.cid, visit, wo)
                                                    : repo_->blocks().get(p.cid).map([](Bytes&&) {});
    if (!st) {
      if (st.error().code() == Code::kNotFound) r.problems.push_back("missing block " + p.cid.to_string());
      else r.problems.push_back(st.error().message());
    }
    r.ok = r.problems.empty();
    if (!only_failures || !r.ok) TRY_STATUS(fn(r));
  }
  return {};
}

// ---- repository ----

namespace {

// The empty directory with Kubo's default options (CIDv0, sha2-256).
Result<unixfs::NodeRef> empty_directory(BlockSink* sink) {
  unixfs::DagOptions defaults;
  return unixfs::put_empty_directory(unixfs::CidBuilder(defaults), sink);
}

}  // namespace

Status Node::ensure_empty_directory() {
  unixfs::NodeRef dir = TRY(empty_directory(nullptr));
  if (TRY(repo_->blocks().has(dir.cid))) return {};
  return empty_directory(&repo_->blocks()).map([](const unixfs::NodeRef&) {});
}

Result<GcReport> Node::gc(const std::function<void(const Cid&)>& on_removed) {
  // Exclusive: waits for adds and pins in progress, and holds new ones off.
  UniqueFd lock = TRY(repo::lock_file(repo_->blocks().gc_lock_path(), /*exclusive=*/true));
  std::unordered_set<std::string> live;
  std::vector<repo::PinInfo> pins;
  TRY_STATUS(repo_->pins().list({}, [&](const repo::PinInfo& p) -> Status {
    pins.push_back(p);
    return {};
  }));
  for (const auto& p : pins) {
    if (p.type == repo::PinType::kDirect) {
      live.insert(mh_key(p.cid));
      continue;
    }
    // Marking must be complete: if a pinned DAG cannot be read, collect nothing.
    dag::WalkOptions wo;
    wo.leaves_by_presence = true;
    Status st = dag::walk(repo_->blocks(), p.cid, [&](const Cid& c, ByteView) -> Status {
      live.insert(mh_key(c));
      return {};
    }, wo);
    if (!st) return tl::unexpected(st.error().wrap("garbage collection stopped: pinned DAG " + p.cid.to_string()));
  }
  // Kept whether pinned or not: health checks resolve it.
  live.insert(mh_key(TRY(empty_directory(nullptr)).cid));
  // The MFS root (src/mfs/) is live like a recursive pin. It is read under
  // the exclusive lock, so no MFS change is between writing its blocks and
  // recording its root. `files cp /ipfs/<cid>` links content lazily, as
  // Kubo's does: blocks under it that are not here are no reason to stop.
  if (auto mfs_root = TRY(repo::meta_get(repo_->db(), kMfsRootKey))) {
    Cid root = TRY(Cid::parse(*mfs_root).map_error([](const Error& e) { return e.wrap("MFS root in the index"); }));
    dag::WalkOptions wo;
    wo.leaves_by_presence = true;
    wo.skip_missing = true;
    wo.on_missing = [](const Cid&) -> Status { return {}; };
    Status st = dag::walk(repo_->blocks(), root, [&](const Cid& c, ByteView) -> Status {
      live.insert(mh_key(c));
      return {};
    }, wo);
    if (!st) return tl::unexpected(st.error().wrap("garbage collection stopped: MFS root " + root.to_string()));
  }
  GcReport report;
  std::vector<std::pair<Bytes, Cid>> dead;
  TRY_STATUS(repo_->blocks().for_each([&](const Multihash& mh, uint64_t codec, uint64_t size) -> Status {
    if (live.count(std::string(as_chars(mh.bytes()))) == 0) {
      dead.emplace_back(to_bytes(mh.bytes()), display_cid(mh, codec));
      report.removed_bytes += size;
    }
    return {};
  }));
  constexpr size_t kChunk = 10000;
  for (size_t i = 0; i < dead.size(); i += kChunk) {
    auto tx = TRY(sql::Transaction::begin(repo_->db()));
    auto del = TRY(repo_->db().prepare("DELETE FROM blocks WHERE mh = ?1"));
    for (size_t j = i; j < std::min(dead.size(), i + kChunk); ++j) TRY_STATUS(del.bind(1, ByteView(dead[j].first)).run());
    TRY_STATUS(tx.commit());
    if (on_removed)
      for (size_t j = i; j < std::min(dead.size(), i + kChunk); ++j) on_removed(dead[j].second);
  }
  report.removed_blocks = dead.size();
  report.reclaimed_bytes = TRY(repo_->blocks().compact());
  return report;
}

Result<RepoStat> Node::repo_stat() {
  RepoStat s;
  s.path = repo_->path();
  auto [count, size] = TRY(repo_->blocks().count_and_size());
  s.blocks = count;
  s.block_bytes = size;
  s.pins = TRY(repo_->pins().count());
  auto add_size = [&](const std::string& p) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0) s.disk_bytes += static_cast<uint64_t>(st.st_size);
  };
  if (DIR* d = ::opendir(repo_->blocks().dir().c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') add_size(repo_->blocks().dir() + "/" + e->d_name);
    ::closedir(d);
  }
  for (const char* f : {"/index.sqlite", "/index.sqlite-wal"}) add_size(repo_->path() + f);
  return s;
}

Result<VerifyReport> Node::repo_verify(const std::function<void(const Cid&, const Error&)>& on_bad) {
  std::vector<Cid> all;
  TRY_STATUS(repo_->blocks().for_each([&](const Multihash& mh, uint64_t codec, uint64_t) -> Status {
    all.push_back(display_cid(mh, codec));
    return {};
  }));
  VerifyReport report;
  report.checked = all.size();
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < all.size(); i = next++) {
      auto data = repo_->blocks().get(all[i]);
      if (!data) {
        std::lock_guard lock(mu);
        ++report.bad;
        if (on_bad) on_bad(all[i], data.error());
      }
    }
  };
  std::vector<std::future<void>> futures;
  for (size_t i = 0; i < workers_; ++i) futures.push_back(pool().submit(worker));
  for (auto& f : futures) f.get();
  return report;
}

}  // namespace ipfskit::core
