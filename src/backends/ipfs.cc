// The `ipfs` backend: the embedded node, as a backend like the others. Its
// copy of a pin is a replica; its repository re-hashes every block it reads.
#include <sys/statvfs.h>

#include "backends/types.h"
#include "core/node.h"

namespace ipfskit::backends {

namespace {

class EmbeddedBackend final : public Backend {
 public:
  EmbeddedBackend(BackendInfo info, core::Node* node) : Backend(std::move(info)), node_(node) {}

  Capabilities capabilities() const override {
    Capabilities c;
    c.put_blocks = c.get_blocks = c.pin = c.list_pins = c.replica = true;
    c.proof = kReadBack;
    return c;
  }

  Result<ProbeResult> probe(std::chrono::milliseconds) override {
    core::RepoStat s = TRY(node_->repo_stat());
    ProbeResult r;
    r.details = {{"blocks", s.blocks}, {"block_bytes", s.block_bytes}, {"disk_bytes", s.disk_bytes}, {"pins", s.pins}};
    struct statvfs vfs;
    if (::statvfs(node_->repo().path().c_str(), &vfs) == 0) {
      const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
      const uint64_t total = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
      r.details["bytes_free"] = free_bytes;
      if (total > 0 && (free_bytes < total / 100 || free_bytes < (64ULL << 20)))
        r.warning = "low free space: " + std::to_string(free_bytes >> 20) + " MiB left for the repository";
    }
    return r;
  }

  Result<Usage> usage() override {
    core::RepoStat s = TRY(node_->repo_stat());
    Usage u;
    u.bytes_used = s.disk_bytes;
    u.blocks = s.blocks;
    u.pins = s.pins;
    struct statvfs vfs;
    if (::statvfs(node_->repo().path().c_str(), &vfs) == 0) u.bytes_free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    return u;
  }

  Result<std::string> put_block(const Cid& cid, ByteView data) override {
    Cid stored = TRY(node_->block_put(data, cid.codec(), cid.multihash().code(), static_cast<int>(cid.version()), false));
    if (stored.multihash() != cid.multihash()) return corruption(label() + ": block " + cid.to_string() + " does not match its hash");
    return std::string();
  }

  Result<bool> has_block(const Cid& cid) override {
    auto st = node_->block_stat(cid);
    if (st) return true;
    if (st.error().code() == Code::kNotFound) return false;
    return tl::unexpected(st.error());
  }

  Status remove_block(const Cid& cid) override { return node_->block_rm(cid); }

  Result<PinReceipt> pin(const PinSpec& spec, BlockSource& source, const CancelToken* cancel) override {
    const auto start = std::chrono::steady_clock::now();
    PinReceipt r;
    if (&source != static_cast<BlockSource*>(&node_->repo().blocks())) {
      // Blocks from elsewhere (another backend): store what is missing.
      PushStats stats = TRY(push_dag(source, spec.cid, 1, [&](const Cid& c, ByteView d) -> Result<std::string> {
        if (TRY(has_block(c))) return std::string();
        return put_block(c, d);
      }, cancel));
      r.blocks = stats.blocks;
      r.bytes = stats.bytes;
    }
    repo::PinRequest p;
    p.cid = spec.cid;
    if (!spec.name.empty()) p.name = spec.name;
    p.meta = spec.meta;
    TRY_STATUS(node_->pin_add({p}));
    if (spec.verify) {
      VerifyReport v = TRY(verify(spec.cid, cancel));
      if (!v.ok()) return corruption(label() + ": " + spec.cid.to_string() + " is incomplete or corrupt in the repository");
      r.verified_by = kReadBack;
      r.verified_at = unix_now();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

  Result<std::optional<RemotePin>> pin_status(const Cid& cid) override {
    auto info = TRY(node_->repo().pins().get(cid));
    if (!info) return std::optional<RemotePin>();
    return std::optional<RemotePin>(to_remote(*info));
  }

  Status unpin(const Cid& cid) override { return node_->pin_rm({cid}).map([](auto&&) {}); }

  Status list_pins(const std::function<Status(const RemotePin&)>& fn) override {
    core::PinListOptions o;
    o.indirect = false;
    o.filter.with_meta = true;
    return node_->pin_ls(o, [&](const core::PinEntry& e) -> Status {
      if (!e.info) return {};
      return fn(to_remote(*e.info));
    });
  }

  Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel) override {
    return verify_by_walking(*this, root, 2, cancel);
  }

 protected:
  // The repository alone: the embedded node's copy is what counts here, not
  // what its reads could fetch from other backends.
  Result<Bytes> fetch_block(const Cid& cid) override { return node_->block_get(cid, /*local_only=*/true); }
  bool fetch_verifies() const override { return true; }

 private:
  static RemotePin to_remote(const repo::PinInfo& info) {
    RemotePin p;
    p.cid = info.cid;
    p.name = info.name.value_or("");
    p.meta = info.meta;
    p.created = info.created;
    p.details = {{"type", repo::pin_type_name(info.type)}};
    return p;
  }

  core::Node* node_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_ipfs_backend(const TypeArgs& a) {
  if (a.env->node == nullptr) return make_error(Code::kUnavailable, "the embedded node is not open");
  return std::unique_ptr<Backend>(new EmbeddedBackend(a.info, a.env->node));
}

}  // namespace ipfskit::backends
