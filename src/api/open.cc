#include "api/open.h"

#include "api/local.h"
#include "config/config.h"
#include "daemon/lifecycle.h"

namespace ipfskit::api {

namespace {

// Reads go to the repository, writes and operations to the daemon: the
// daemon owns the repository's writers and its state, while reading is safe
// from any process (and needs no daemon).
class RoutedClient : public Client {
 public:
  RoutedClient(std::unique_ptr<LocalClient> local, std::unique_ptr<RemoteClient> daemon)
      : local_(std::move(local)), daemon_(std::move(daemon)) {}

  std::string_view where() const override { return "daemon"; }

  Result<Cid> add(const AddRequest& r) override { return r.only_hash ? local_->add(r) : daemon_->add(r); }
  Result<Cid> resolve(std::string_view path) override { return local_->resolve(path); }
  Result<unixfs::NodeInfo> stat(std::string_view path) override { return local_->stat(path); }
  Status cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length,
             const unixfs::ContentFn& out) override {
    return local_->cat(path, offset, length, out);
  }
  Status ls(std::string_view path, const unixfs::EntryFn& fn) override { return local_->ls(path, fn); }
  Status get(std::string_view path, const std::string& out, const unixfs::ProgressFn& progress) override {
    return local_->get(path, out, progress);
  }
  Status refs(std::string_view path, bool recursive, bool unique, const std::function<Status(const Cid&)>& fn) override {
    return local_->refs(path, recursive, unique, fn);
  }
  Status refs_local(const std::function<Status(const Cid&)>& fn) override { return local_->refs_local(fn); }

  Result<Bytes> block_get(const Cid& cid) override { return local_->block_get(cid); }
  Result<core::BlockStat> block_put(ByteView data, const BlockPutRequest& r) override { return daemon_->block_put(data, r); }
  Result<core::BlockStat> block_stat(const Cid& cid) override { return local_->block_stat(cid); }
  Status block_rm(const std::vector<Cid>& cids, const ItemFn& on_result) override { return daemon_->block_rm(cids, on_result); }
  Status dag_export(const Cid& root, const std::function<Status(ByteView)>& out) override {
    return local_->dag_export(root, out);
  }
  Result<core::ImportReport> dag_import(ByteReader& car, bool pin_roots,
                                        const std::function<void(const Cid&, const Status&)>& on_root,
                                        const CancelToken* cancel) override {
    return daemon_->dag_import(car, pin_roots, on_root, cancel);
  }
  Result<core::DagStat> dag_stat(const Cid& root) override { return local_->dag_stat(root); }

  Status pin_add(const std::vector<repo::PinRequest>& pins, const ItemFn& on_result, const CancelToken* cancel) override {
    return daemon_->pin_add(pins, on_result, cancel);
  }
  Status pin_rm(const std::vector<Cid>& cids, const ItemFn& on_result) override { return daemon_->pin_rm(cids, on_result); }
  Status pin_ls(const core::PinListOptions& o, const std::function<Status(const core::PinEntry&)>& fn) override {
    return local_->pin_ls(o, fn);
  }
  Status pin_update(const Cid& from, const Cid& to, bool unpin) override { return daemon_->pin_update(from, to, unpin); }
  Status pin_verify(const std::function<Status(const core::PinVerifyResult&)>& fn) override {
    return local_->pin_verify(fn);
  }

  Result<core::GcReport> gc(const std::function<void(const Cid&)>& on_removed) override { return daemon_->gc(on_removed); }
  Result<core::RepoStat> repo_stat() override { return local_->repo_stat(); }
  Result<core::VerifyReport> repo_verify(const std::function<void(const Cid&, const Error&)>& on_bad) override {
    return local_->repo_verify(on_bad);
  }
  Result<nlohmann::json> id() override { return local_->id(); }

  // The configuration file is this machine's: edited here, picked up by the
  // daemon (it watches the file).
  Result<nlohmann::json> config_show() override { return local_->config_show(); }
  Result<nlohmann::json> config_get(const std::string& key) override { return local_->config_get(key); }
  Result<nlohmann::json> config_set(const std::string& key, const std::string& value) override {
    return local_->config_set(key, value);
  }

  Result<std::string> psa_token_create(const std::string& name) override { return daemon_->psa_token_create(name); }
  Status psa_token_remove(const std::string& name) override { return daemon_->psa_token_remove(name); }
  Result<nlohmann::json> psa_tokens() override { return daemon_->psa_tokens(); }

  // MFS: changes through the daemon, reads from the repository.
  Result<mfs::Stat> files_stat(std::string_view path) override { return local_->files_stat(path); }
  Status files_ls(std::string_view path, bool details, const std::function<Status(const mfs::Listing&)>& fn) override {
    return local_->files_ls(path, details, fn);
  }
  Status files_read(std::string_view path, uint64_t offset, std::optional<uint64_t> count,
                    const std::function<Status(ByteView)>& out) override {
    return local_->files_read(path, offset, count, out);
  }
  Status files_write(std::string_view path, ByteReader& data, const mfs::WriteOptions& o) override {
    return daemon_->files_write(path, data, o);
  }
  Status files_mkdir(std::string_view path, const mfs::MkdirOptions& o) override { return daemon_->files_mkdir(path, o); }
  Status files_cp(std::string_view src, std::string_view dst, bool force, bool parents) override {
    return daemon_->files_cp(src, dst, force, parents);
  }
  Status files_mv(std::string_view src, std::string_view dst) override { return daemon_->files_mv(src, dst); }
  Status files_rm(const std::vector<std::string>& paths, bool recursive, bool force) override {
    return daemon_->files_rm(paths, recursive, force);
  }
  Result<Cid> files_flush(std::string_view path) override { return daemon_->files_flush(path); }
  Status files_chcid(std::string_view path, const mfs::CidPrefix& p) override { return daemon_->files_chcid(path, p); }
  Status files_touch(std::string_view path, int64_t s, std::optional<uint32_t> ns) override {
    return daemon_->files_touch(path, s, ns);
  }
  Status files_chmod(std::string_view path, uint32_t mode) override { return daemon_->files_chmod(path, mode); }

  Result<nlohmann::json> health() override { return daemon_->health(); }
  Result<nlohmann::json> status() override { return daemon_->status(); }
  Result<nlohmann::json> backends(bool check_now) override { return daemon_->backends(check_now); }
  Result<nlohmann::json> set_backend_running(const std::string& name, bool running) override {
    return daemon_->set_backend_running(name, running);
  }
  Result<nlohmann::json> replication_status() override { return daemon_->replication_status(); }
  Result<nlohmann::json> replication_sync(const ReplicationSyncRequest& request) override {
    return daemon_->replication_sync(request);
  }
  Result<nlohmann::json> replication_status_of(const Cid& cid) override { return daemon_->replication_status_of(cid); }
  Result<nlohmann::json> route_suggest(uint64_t size) override { return daemon_->route_suggest(size); }
  Result<nlohmann::json> route_optimize(const std::vector<Cid>& cids, bool apply, const CancelToken* cancel) override {
    return daemon_->route_optimize(cids, apply, cancel);
  }
  Result<std::string> metrics() override { return daemon_->metrics(); }
  Result<std::vector<std::string>> log_lines(const LogQuery& q) override { return local_->log_lines(q); }
  Result<nlohmann::json> backend_check(const std::string& name) override { return daemon_->backend_check(name); }
  Result<nlohmann::json> health_alerts() override { return daemon_->health_alerts(); }
  Result<nlohmann::json> backend_pins(const std::string& name) override { return daemon_->backend_pins(name); }
  Result<nlohmann::json> backend_push(const std::string& name, const BackendPushRequest& request) override {
    return daemon_->backend_push(name, request);
  }
  Result<nlohmann::json> backend_unpin(const std::string& name, const Cid& cid) override {
    return daemon_->backend_unpin(name, cid);
  }
  Result<nlohmann::json> backend_verify(const std::string& name, const Cid& cid) override {
    return daemon_->backend_verify(name, cid);
  }
  Result<nlohmann::json> backend_usage(const std::string& name) override { return daemon_->backend_usage(name); }
  Result<Bytes> backend_block(const std::string& name, const Cid& cid) override { return daemon_->backend_block(name, cid); }
  // The daemon writes the repository and knows the backends' health.
  Result<nlohmann::json> backend_restore(const std::string& name, const BackendRestoreRequest& request) override {
    return daemon_->backend_restore(name, request);
  }

 private:
  std::unique_ptr<LocalClient> local_;
  std::unique_ptr<RemoteClient> daemon_;
};

std::string config_path_of(const OpenOptions& o) {
  return o.config_flag.empty() ? o.repo_path + "/config.json" : o.config_flag;
}

}  // namespace

Result<std::optional<RemoteEndpoints>> find_daemon(const OpenOptions& o) {
  Config c = TRY(Config::load_or_default(config_path_of(o)));
  auto pid_file = c.get("daemon.pid_file");
  daemon::Probe p =
      TRY(daemon::probe(o.repo_path, pid_file && pid_file->is_string() ? pid_file->get<std::string>() : ""));
  if (p.liveness != daemon::Liveness::kRunning || !p.state) return std::optional<RemoteEndpoints>();
  auto token = c.get("daemon.api_token");
  return std::optional<RemoteEndpoints>(
      RemoteEndpoints{p.state->api, p.state->rpc, token && token->is_string() ? token->get<std::string>() : ""});
}

Result<std::unique_ptr<Client>> open(const OpenOptions& o) {
  auto local = std::make_unique<LocalClient>(LocalOptions{o.repo_path, o.config_flag, o.workers});
  auto daemon = TRY(find_daemon(o));
  if (!daemon) return std::unique_ptr<Client>(std::move(local));
  return std::unique_ptr<Client>(
      std::make_unique<RoutedClient>(std::move(local), std::make_unique<RemoteClient>(std::move(*daemon))));
}

}  // namespace ipfskit::api
