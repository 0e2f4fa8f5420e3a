#include "api/local.h"

#include "config/backends.h"

#include <sys/stat.h>

#include <deque>
#include <fstream>

#include "base/version.h"
#include "config/config.h"
#include "core/add_options.h"
#include "psa/store.h"
#include "retrieval/restore.h"
#include "retrieval/sources.h"

namespace ipfskit::api {

namespace {

Error no_daemon(const std::string& repo) {
  return Error(Code::kUnavailable,
               "no ipfs-kit daemon is running on " + repo + " (start one with: ipfs-kit daemon start --detach)");
}

bool is_secret_key(const std::string& key) {
  return key == "api_token" || key == "token" || key == "secret_key" || key == "secret" || key == "password";
}

void redact(nlohmann::json& j) {
  if (!j.is_object()) return;
  for (auto& [k, v] : j.items()) {
    if (is_secret_key(k) && !v.is_null()) v = "(set)";
    else redact(v);
  }
}

}  // namespace

nlohmann::json redact_config(const nlohmann::json& doc) {
  nlohmann::json out = doc;
  redact(out);
  // Backends know their own secrets (access keys, env values of supervised
  // processes): config/backends.h.
  if (out.contains("backends") && out["backends"].is_object())
    for (auto& [name, section] : out["backends"].items()) section = redact_backend(name, section);
  return out;
}

Result<std::vector<std::string>> read_log_lines(const std::string& repo_path, const LogQuery& q) {
  for (char c : q.backend)
    if (c == '/' || c == '\0') return invalid_argument("invalid backend name \"" + q.backend + "\"");
  if (q.backend == "." || q.backend == "..") return invalid_argument("invalid backend name \"" + q.backend + "\"");
  const std::string path =
      q.backend.empty() ? repo_path + "/logs/daemon.log" : repo_path + "/logs/backends/" + q.backend + ".log";
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("no log file at " + path + " (has the daemon run on this repository?)");
  std::string want;
  if (!q.level.empty()) {
    want = "level=" + q.level;
    for (auto& ch : want) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  auto matches = [&](const std::string& line) {
    if (want.empty()) return true;
    // logfmt: "... level=info ..."; compare case-insensitively.
    std::string lower = line;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return lower.find(want + " ") != std::string::npos || lower.find(want + "\t") != std::string::npos;
  };
  // Read backwards from the end in blocks until enough lines match: a tail
  // costs what it shows, not the size of the file (the dashboard asks for one
  // every second; a log grows to 16 MiB before it rotates).
  in.seekg(0, std::ios::end);
  std::streamoff pos = in.tellg();
  std::deque<std::string> last;
  std::string text;  // not yet taken apart: ends where the last line taken began
  bool at_end = true;
  constexpr std::streamoff kBlock = 64 * 1024;
  while (pos > 0 && last.size() < q.lines) {
    const std::streamoff n = std::min(kBlock, pos);
    pos -= n;
    std::string block(static_cast<size_t>(n), '\0');
    in.seekg(pos);
    if (!in.read(block.data(), n)) return io_error("cannot read " + path);
    text.insert(0, block);
    if (at_end) {
      if (!text.empty() && text.back() == '\n') text.pop_back();  // the final newline ends the last line
      at_end = false;
    }
    // Every line after a newline is whole; the text before the first newline
    // may continue in the block before.
    for (size_t nl; last.size() < q.lines && (nl = text.rfind('\n')) != std::string::npos;) {
      std::string line = text.substr(nl + 1);
      text.resize(nl);
      if (matches(line)) last.push_front(std::move(line));
    }
  }
  if (pos == 0 && last.size() < q.lines && !text.empty() && matches(text)) last.push_front(text);
  return std::vector<std::string>(last.begin(), last.end());
}

LocalClient::LocalClient(LocalOptions options)
    : o_(std::move(options)),
      config_path_(o_.config_flag.empty() ? o_.repo_path + "/config.json" : o_.config_flag) {}

LocalClient::LocalClient(core::Node& node, Operations& ops, std::string config_path)
    : config_path_(std::move(config_path)), node_(&node), ops_(&ops) {
  o_.repo_path = node.repo().path();
}

LocalClient::~LocalClient() = default;

Result<core::Node*> LocalClient::node() {
  std::lock_guard lock(mu_);
  if (node_ == nullptr) {
    owned_ = TRY(core::Node::open(o_.repo_path, o_.config_flag, o_.workers));
    node_ = owned_.get();
    // Without a daemon, reads fall back to the configured backends (the
    // daemon's node gets its own from its registry).
    retrieval::install_config_fallback(*node_);
  }
  return node_;
}

Result<Operations*> LocalClient::ops() {
  if (ops_ == nullptr) return tl::unexpected(no_daemon(o_.repo_path));
  return ops_;
}

// ---- content ----

Result<Cid> LocalClient::add(const AddRequest& r) {
  core::Node* n = TRY(node());
  core::AddOptions add;
  add.only_hash = r.only_hash;
  add.pin = r.pin && !r.only_hash;
  add.pin_name = r.pin_name;
  add.pin_meta = r.pin_meta;
  add.cancel = r.cancel;
  add.import = TRY(core::resolve_import_options(r.params, n->repo().config(), o_.workers));
  const unixfs::AddedFn on_added = r.on_added ? r.on_added : [](const unixfs::AddedEntry&) {};
  unixfs::NodeRef root;
  if (r.paths.empty()) {
    if (r.stream == nullptr) return invalid_argument("nothing to add: give paths or a stream");
    CancellableReader in(*r.stream, r.cancel, "add");
    root = TRY(n->add_stream(in, r.stream_name, add, on_added, r.progress));
  } else {
    root = TRY(n->add_paths(r.paths, add, on_added, r.progress));
  }
  return root.cid;
}

Result<Cid> LocalClient::resolve(std::string_view path) { return TRY(node())->resolve(path); }

Result<unixfs::NodeInfo> LocalClient::stat(std::string_view path) {
  core::Node* n = TRY(node());
  return n->stat(TRY(n->resolve(path)));
}

Status LocalClient::cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length,
                        const unixfs::ContentFn& out) {
  return TRY(node())->cat(path, offset, length, out);
}

Status LocalClient::ls(std::string_view path, const unixfs::EntryFn& fn) {
  core::Node* n = TRY(node());
  return n->ls(TRY(n->resolve(path)), fn);
}

Status LocalClient::get(std::string_view path, const std::string& out, const unixfs::ProgressFn& progress) {
  return TRY(node())->get(path, out, progress);
}

Status LocalClient::refs(std::string_view path, bool recursive, bool unique, const std::function<Status(const Cid&)>& fn) {
  core::Node* n = TRY(node());
  return n->refs(TRY(n->resolve(path)), recursive, unique, fn);
}

Status LocalClient::refs_local(const std::function<Status(const Cid&)>& fn) { return TRY(node())->refs_local(fn); }

// ---- blocks and DAGs ----

Result<Bytes> LocalClient::block_get(const Cid& cid) { return TRY(node())->block_get(cid); }

Result<core::BlockStat> LocalClient::block_put(ByteView data, const BlockPutRequest& r) {
  Cid cid = TRY(TRY(node())->block_put(data, r.codec, r.hash, r.cid_version, r.pin));
  return core::BlockStat{cid, data.size()};
}

Result<core::BlockStat> LocalClient::block_stat(const Cid& cid) { return TRY(node())->block_stat(cid); }

Status LocalClient::block_rm(const std::vector<Cid>& cids, const ItemFn& on_result) {
  core::Node* n = TRY(node());
  for (const Cid& c : cids) {
    Status st = n->block_rm(c);
    if (!st && st.error().code() == Code::kIOError) return st;  // the repository failed, not the item
    if (on_result) on_result(c, st);
  }
  return {};
}

Status LocalClient::dag_export(const Cid& root, const std::function<Status(ByteView)>& out) {
  return TRY(node())->dag_export(root, out);
}

Result<core::ImportReport> LocalClient::dag_import(ByteReader& car, bool pin_roots,
                                                   const std::function<void(const Cid&, const Status&)>& on_root,
                                                   const CancelToken* cancel) {
  core::Node* n = TRY(node());
  CancellableReader in(car, cancel, "dag import");
  return n->dag_import(in, pin_roots, on_root);
}

Result<core::DagStat> LocalClient::dag_stat(const Cid& root) { return TRY(node())->dag_stat(root); }

// ---- pins ----

Status LocalClient::pin_add(const std::vector<repo::PinRequest>& pins, const ItemFn& on_result,
                            const CancelToken* cancel) {
  return TRY(node())->pin_add(pins, on_result, /*all_or_nothing=*/false, cancel);
}

Status LocalClient::pin_rm(const std::vector<Cid>& cids, const ItemFn& on_result) {
  return TRY(node())->pin_rm_each(cids, on_result);
}

Status LocalClient::pin_ls(const core::PinListOptions& options, const std::function<Status(const core::PinEntry&)>& fn) {
  return TRY(node())->pin_ls(options, fn);
}

Status LocalClient::pin_update(const Cid& from, const Cid& to, bool unpin) {
  return TRY(node())->pin_update(from, to, unpin);
}

Status LocalClient::pin_verify(const std::function<Status(const core::PinVerifyResult&)>& fn) {
  return TRY(node())->pin_verify(fn);
}

// ---- repository and node ----

Result<core::GcReport> LocalClient::gc(const std::function<void(const Cid&)>& on_removed) {
  return TRY(node())->gc(on_removed);
}

Result<core::RepoStat> LocalClient::repo_stat() { return TRY(node())->repo_stat(); }

Result<core::VerifyReport> LocalClient::repo_verify(const std::function<void(const Cid&, const Error&)>& on_bad) {
  return TRY(node())->repo_verify(on_bad);
}

Result<nlohmann::json> LocalClient::id() {
  const auto& ident = TRY(node())->repo().identity();
  return nlohmann::json{{"ID", ident.peer_id},
                        {"PublicKey", ident.public_key_b64},
                        {"Addresses", nlohmann::json::array()},
                        {"AgentVersion", kAgentVersion},
                        {"Protocols", nlohmann::json::array()}};
}

// ---- configuration ----

Result<nlohmann::json> LocalClient::config_show() {
  Config c = TRY(Config::load_or_default(config_path_));
  return redact_config(c.document());
}

Result<nlohmann::json> LocalClient::config_get(const std::string& key) {
  Config c = TRY(Config::load_or_default(config_path_));
  if (!c.get(key)) return invalid_argument("unknown config key \"" + key + "\"");
  // Looked up in the redacted document, so that a key or a section shows no secret.
  nlohmann::json doc = redact_config(c.document());
  if (key.empty()) return doc;
  std::string pointer;
  for (char ch : key) {
    if (ch == '.') pointer += '/';
    else if (ch == '~') pointer += "~0";
    else if (ch == '/') pointer += "~1";
    else pointer += ch;
  }
  const nlohmann::json::json_pointer ptr("/" + pointer);
  return doc.contains(ptr) ? doc[ptr] : nlohmann::json();
}

Result<nlohmann::json> LocalClient::config_set(const std::string& key, const std::string& value) {
  Config c = TRY(Config::load_or_default(config_path_));
  TRY_STATUS(c.set(key, value));
  struct stat st;
  if (::stat(o_.repo_path.c_str(), &st) != 0 && o_.config_flag.empty()) {
    core::Node* created = TRY(node());  // create the repository first
    (void)created;
  }
  TRY_STATUS(c.save(config_path_));
  if (!c.get(key)) return nlohmann::json();  // removed (a backend set to null)
  return config_get(key);
}

// ---- Pinning Service API tokens ----

Result<std::string> LocalClient::psa_token_create(const std::string& name) {
  psa::Store store = TRY(psa::Store::open(TRY(node())->repo().db()));
  return store.create_token(name);
}

Status LocalClient::psa_token_remove(const std::string& name) {
  core::Node* n = TRY(node());
  psa::Store store = TRY(psa::Store::open(n->repo().db()));
  std::vector<psa::PinRequest> orphaned;
  TRY_STATUS(store.remove_token(name, &orphaned));
  // The pins those requests alone held go too (another token's request for
  // the same CID takes the pin over).
  for (const auto& r : orphaned) {
    auto others = TRY(store.others_for(r.cid, r.requestid));
    if (!others.empty()) TRY_STATUS(store.set_status(others.front().requestid, others.front().status, others.front().info, true));
    else (void)n->pin_rm({r.cid});
  }
  return {};
}

Result<nlohmann::json> LocalClient::psa_tokens() {
  psa::Store store = TRY(psa::Store::open(TRY(node())->repo().db()));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : TRY(store.tokens())) out.push_back({{"name", t.name}, {"created", t.created}});
  return out;
}

// ---- operations ----

Result<nlohmann::json> LocalClient::health() { return TRY(ops())->health(); }
Result<nlohmann::json> LocalClient::status() { return TRY(ops())->status(); }
Result<nlohmann::json> LocalClient::backends(bool check_now) { return TRY(ops())->backends(check_now); }
Result<nlohmann::json> LocalClient::set_backend_running(const std::string& name, bool running) {
  return TRY(ops())->set_backend_running(name, running);
}
Result<nlohmann::json> LocalClient::replication_status() { return TRY(ops())->replication_status(); }
Result<nlohmann::json> LocalClient::route_suggest(uint64_t size) { return TRY(ops())->route_suggest(size); }
Result<nlohmann::json> LocalClient::route_optimize(const std::vector<Cid>& cids, bool apply, const CancelToken* cancel) {
  return TRY(ops())->route_optimize(cids, apply, cancel);
}
Result<nlohmann::json> LocalClient::replication_status_of(const Cid& cid) {
  return TRY(ops())->replication_status_of(cid);
}
Result<nlohmann::json> LocalClient::replication_sync(const ReplicationSyncRequest& request) {
  return TRY(ops())->replication_sync(request);
}
Result<std::string> LocalClient::metrics() { return TRY(ops())->metrics(); }
Result<std::vector<std::string>> LocalClient::log_lines(const LogQuery& q) {
  if (ops_ != nullptr) return ops_->log_lines(q);
  return read_log_lines(o_.repo_path, q);
}

Result<nlohmann::json> LocalClient::backend_check(const std::string& name) { return TRY(ops())->backend_check(name); }
Result<nlohmann::json> LocalClient::health_alerts() { return TRY(ops())->health_alerts(); }
Result<nlohmann::json> LocalClient::backend_pins(const std::string& name) { return TRY(ops())->backend_pins(name); }
Result<nlohmann::json> LocalClient::backend_push(const std::string& name, const BackendPushRequest& request) {
  return TRY(ops())->backend_push(name, request);
}
Result<nlohmann::json> LocalClient::backend_unpin(const std::string& name, const Cid& cid) {
  return TRY(ops())->backend_unpin(name, cid);
}
Result<nlohmann::json> LocalClient::backend_verify(const std::string& name, const Cid& cid) {
  return TRY(ops())->backend_verify(name, cid);
}
Result<nlohmann::json> LocalClient::backend_usage(const std::string& name) { return TRY(ops())->backend_usage(name); }
Result<Bytes> LocalClient::backend_block(const std::string& name, const Cid& cid) {
  return TRY(ops())->backend_block(name, cid);
}

Result<nlohmann::json> LocalClient::backend_restore(const std::string& name, const BackendRestoreRequest& request) {
  if (ops_ != nullptr) return ops_->backend_restore(name, request);
  core::Node* n = TRY(node());
  Config config = TRY(Config::load_or_default(config_path_));
  std::shared_ptr<backends::Backend> backend =
      TRY(retrieval::configured_backend(config, name, retrieval::settings_of(config).timeout));
  return restore_from_backend(*backend, *n, request);
}

Result<nlohmann::json> restore_from_backend(backends::Backend& backend, core::Node& node,
                                            const BackendRestoreRequest& request) {
  if (backend.info().type == "ipfs")
    return invalid_argument("backend " + backend.info().name +
                            " is this repository itself; restore from another backend (ipfs-kit backend list)");
  retrieval::RestoreOptions o;
  o.dry_run = request.dry_run;
  o.cancel = request.cancel;
  if (request.on_pin) o.on_pin = [&](const retrieval::PinOutcome& p) { request.on_pin(retrieval::to_json(p)); };
  if (request.on_progress)
    o.on_progress = [&](const retrieval::RestoreProgress& p) { request.on_progress(retrieval::to_json(p)); };
  retrieval::RestoreSummary summary = TRY(retrieval::restore(backend, node, o));
  return retrieval::to_json(summary);
}

}  // namespace ipfskit::api
