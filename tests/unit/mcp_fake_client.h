// An in-memory api::Client for the MCP protocol tests: files are raw
// blocks, pins a list; operations answer Unavailable unless `daemon` is set.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "api/client.h"
#include "multiformats/multicodec.h"

namespace ipfskit::mcp {

using nlohmann::json;

inline Cid raw_cid(const std::string& data) {
  auto mh = Multihash::compute(multihash::kSha2_256, {as_bytes(data)});
  return Cid::v1(0x55, *mh);
}

class FakeClient : public api::Client {
 public:
  std::map<std::string, std::string> files;  // CID text -> bytes
  std::vector<repo::PinInfo> pins;
  bool daemon = false;
  std::string backend_health = "healthy";
  int pin_ls_calls = 0;
  int64_t next_pin_id = 100000;  // row ids of pins the double makes (tests add their own below it)

  std::string_view where() const override { return "local"; }
  Result<Cid> add(const api::AddRequest& r) override {
    std::string data;
    uint8_t buf[4096];
    for (;;) {
      size_t n = TRY(r.stream->read(buf, sizeof buf));
      if (n == 0) break;
      data.append(reinterpret_cast<char*>(buf), n);
      if (r.progress) r.progress(n);  // bytes just read, as the importer reports them
      TRY_STATUS(check_cancel(r.cancel, "add"));
    }
    Cid c = raw_cid(data);
    files[c.to_string()] = data;
    if (r.on_added) r.on_added({r.stream_name, c, data.size()});
    if (r.pin) pins.push_back({++next_pin_id, c, repo::PinType::kRecursive, r.pin_name, 1, r.pin_meta});
    return c;
  }
  Result<Cid> resolve(std::string_view path) override {
    auto it = files.find(std::string(path));
    if (it == files.end()) return not_found("no such file " + std::string(path));
    return Cid::parse(path);
  }
  Result<unixfs::NodeInfo> stat(std::string_view path) override {
    auto it = files.find(std::string(path));
    if (it == files.end()) return not_found("no such file " + std::string(path));
    unixfs::NodeInfo i;
    i.cid = *Cid::parse(path);
    i.kind = unixfs::NodeKind::kFile;
    i.size = it->second.size();
    return i;
  }
  Status cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length, const unixfs::ContentFn& out) override {
    auto it = files.find(std::string(path));
    if (it == files.end()) return not_found("no such file");
    std::string s = it->second.substr(offset, length.value_or(std::string::npos));
    return out(as_bytes(s));
  }
  Status ls(std::string_view, const unixfs::EntryFn&) override { return unsupported("ls"); }
  Status get(std::string_view, const std::string&, const unixfs::ProgressFn&) override { return unsupported("get"); }
  Status refs(std::string_view, bool, bool, const std::function<Status(const Cid&)>&) override { return unsupported("refs"); }
  Status refs_local(const std::function<Status(const Cid&)>& fn) override {
    for (auto& [k, v] : files) TRY_STATUS(fn(*Cid::parse(k)));
    return {};
  }
  Result<Bytes> block_get(const Cid& c) override {
    auto it = files.find(c.to_string());
    if (it == files.end()) return not_found("no block");
    return Bytes(it->second.begin(), it->second.end());
  }
  Result<core::BlockStat> block_put(ByteView, const api::BlockPutRequest&) override { return unsupported("block put"); }
  Result<core::BlockStat> block_stat(const Cid&) override { return unsupported("block stat"); }
  Status block_rm(const std::vector<Cid>&, const api::ItemFn&) override { return unsupported("block rm"); }
  Status dag_export(const Cid&, const std::function<Status(ByteView)>&) override { return unsupported("export"); }
  Result<core::ImportReport> dag_import(ByteReader&, bool, const std::function<void(const Cid&, const Status&)>&,
                                        const CancelToken*) override {
    return unsupported("import");
  }
  Result<core::DagStat> dag_stat(const Cid&) override { return unsupported("dag stat"); }
  Status pin_add(const std::vector<repo::PinRequest>& reqs, const api::ItemFn& fn, const CancelToken*) override {
    for (const auto& r : reqs) {
      if (!files.count(r.cid.to_string())) {
        fn(r.cid, not_found("missing block"));
        continue;
      }
      pins.push_back({++next_pin_id, r.cid, r.type, r.name, 2, r.meta});
      fn(r.cid, Status{});
    }
    return {};
  }
  Status pin_rm(const std::vector<Cid>& cids, const api::ItemFn& fn) override {
    for (const Cid& c : cids) {
      auto it = std::find_if(pins.begin(), pins.end(), [&](const repo::PinInfo& p) { return p.cid == c; });
      if (it == pins.end()) {
        fn(c, not_found(c.to_string() + " is not pinned"));
        continue;
      }
      pins.erase(it);
      fn(c, Status{});
    }
    return {};
  }
  Status pin_ls(const core::PinListOptions& o, const std::function<Status(const core::PinEntry&)>& fn) override {
    ++pin_ls_calls;
    uint64_t n = 0;
    if (!o.explicit_pins) return {};  // the double has no DAGs, so no indirect pins
    for (const auto& p : pins) {
      if (o.filter.cid && p.cid != *o.filter.cid) continue;
      if (o.filter.type && p.type != *o.filter.type) continue;
      if (o.filter.after > 0 && p.id <= o.filter.after) continue;
      if (o.filter.meta) {
        auto m = p.meta.find(o.filter.meta->first);
        if (m == p.meta.end() || m->second != o.filter.meta->second) continue;
      }
      if (o.filter.name && (!p.name || p.name->find(*o.filter.name) == std::string::npos)) continue;
      if (o.filter.limit && n >= o.filter.limit) break;
      ++n;
      TRY_STATUS(fn(core::PinEntry{p.cid, repo::pin_type_name(p.type), p}));
    }
    return {};
  }
  Status pin_update(const Cid&, const Cid&, bool) override { return unsupported("update"); }
  Status pin_verify(const std::function<Status(const core::PinVerifyResult&)>&) override { return unsupported("verify"); }
  Result<core::GcReport> gc(const std::function<void(const Cid&)>&) override { return core::GcReport{}; }
  Result<core::RepoStat> repo_stat() override {
    core::RepoStat s;
    s.pins = pins.size();
    s.path = "/fake";
    return s;
  }
  Result<core::VerifyReport> repo_verify(const std::function<void(const Cid&, const Error&)>&) override {
    return core::VerifyReport{};
  }
  Result<json> id() override { return json{{"ID", "12D3KooWfake"}, {"AgentVersion", "ipfs-kit"}}; }
  Result<json> config_show() override { return json{{"daemon", {{"api_token", "(set)"}}}}; }
  Result<json> config_get(const std::string& k) override {
    if (k != "daemon.api_address") return invalid_argument("unknown config key \"" + k + "\"");
    return json("127.0.0.1:8887");
  }
  Result<json> config_set(const std::string& k, const std::string& v) override {
    if (k != "daemon.api_address") return invalid_argument("unknown config key \"" + k + "\"");
    return json(v);
  }
  Result<json> need_daemon() const {
    if (!daemon) return make_error(Code::kUnavailable, "no daemon is running");
    return json::object();
  }
  std::map<std::string, int64_t> psa_tokens_made;  // name -> created
  Result<std::string> psa_token_create(const std::string& name) override {
    if (!psa_tokens_made.emplace(name, 100 + static_cast<int64_t>(psa_tokens_made.size())).second)
      return make_error(Code::kAlreadyExists, "a token named " + name + " exists");
    return "secret-" + name;
  }
  Status psa_token_remove(const std::string& name) override {
    if (psa_tokens_made.erase(name) == 0) return not_found("no token named " + name);
    return {};
  }
  Result<json> psa_tokens() override {
    json out = json::array();
    for (const auto& [name, created] : psa_tokens_made) out.push_back({{"name", name}, {"created", created}});
    return out;
  }
  Result<json> health() override { return need_daemon(); }
  Result<json> status() override { return need_daemon(); }
  Result<json> backends(bool) override {
    TRY(need_daemon());
    return json{{"ipfs", {{"health", backend_health}}}};
  }
  Result<json> set_backend_running(const std::string&, bool) override { return need_daemon(); }
  Result<json> replication_status() override { return need_daemon(); }
  Result<json> replication_sync(const api::ReplicationSyncRequest&) override { return need_daemon(); }
  Result<json> replication_status_of(const Cid&) override { return need_daemon(); }
  Result<json> route_suggest(uint64_t) override { return need_daemon(); }
  Result<json> route_optimize(const std::vector<Cid>&, bool, const CancelToken*) override { return need_daemon(); }
  Result<std::string> metrics() override { return make_error(Code::kUnavailable, "no daemon"); }
  Result<std::vector<std::string>> log_lines(const api::LogQuery&) override { return std::vector<std::string>{}; }
  Result<json> backend_check(const std::string&) override { return need_daemon(); }
  Result<json> health_alerts() override { return need_daemon(); }
  Result<json> backend_pins(const std::string&) override { return need_daemon(); }
  Result<json> backend_push(const std::string&, const api::BackendPushRequest&) override { return need_daemon(); }
  Result<json> backend_unpin(const std::string&, const Cid&) override { return need_daemon(); }
  Result<json> backend_verify(const std::string&, const Cid&) override { return need_daemon(); }
  Result<json> backend_usage(const std::string&) override { return need_daemon(); }
  Result<Bytes> backend_block(const std::string&, const Cid&) override { return make_error(Code::kUnavailable, "no daemon"); }
};


}  // namespace ipfskit::mcp
