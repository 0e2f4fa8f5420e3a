#include "api/remote.h"

#include <algorithm>

#include "blockstore/blockstore.h"
#include "client/upload.h"
#include "multiformats/multicodec.h"
#include "multiformats/multihash.h"
#include "unixfs/tree_export.h"

namespace ipfskit::api {

using nlohmann::json;

namespace {

const char* flag(bool v) { return v ? "true" : "false"; }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Error malformed(const std::string& command) {
  return Error(Code::kCorruption, "the daemon sent a malformed " + command + " reply");
}

// A JSON member as a string, or Corruption naming the command.
Result<std::string> string_at(const json& j, const char* key, const std::string& command) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return tl::unexpected(malformed(command));
  return j[key].get<std::string>();
}

Result<Cid> cid_at(const json& j, const char* key, const std::string& command) {
  std::string text = TRY(string_at(j, key, command));
  auto cid = Cid::parse(text);
  if (!cid) return tl::unexpected(malformed(command));
  return cid;
}

// {"/": "<cid>"} links as Kubo writes them.
Result<Cid> link_at(const json& j, const char* key, const std::string& command) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_object()) return tl::unexpected(malformed(command));
  return cid_at(j[key], "/", command);
}

uint64_t u64_at(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return 0;
  const json& v = j[key];
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) return static_cast<uint64_t>(std::max<int64_t>(0, v.get<int64_t>()));
  if (v.is_string()) return std::strtoull(v.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

// An item's failure line ({"Error", "Kind"}) as an Error.
Error item_error(const json& j) {
  std::string message = j.value("Error", std::string("failed"));
  Code code = Code::kInternal;
  if (j.contains("Kind") && j["Kind"].is_string())
    if (auto c = code_by_name(j["Kind"].get<std::string>())) code = *c;
  return Error(code, message);
}

// Kubo's add options as query parameters (the walk options stay here: the
// walk happens on this side).
RemoteClient::Params add_query(const AddRequest& r) {
  RemoteClient::Params q;
  const core::AddParams& p = r.params;
  if (p.profile) q.emplace_back("profile", *p.profile);
  if (p.chunker) q.emplace_back("chunker", *p.chunker);
  if (p.hash) q.emplace_back("hash", *p.hash);
  if (p.cid_version) q.emplace_back("cid-version", std::to_string(*p.cid_version));
  if (p.raw_leaves) q.emplace_back("raw-leaves", flag(*p.raw_leaves));
  if (p.trickle) q.emplace_back("trickle", flag(*p.trickle));
  if (p.max_links) q.emplace_back("max-file-links", std::to_string(*p.max_links));
  if (p.inline_cids) {
    q.emplace_back("inline", "true");
    q.emplace_back("inline-limit", std::to_string(p.inline_limit));
  }
  if (p.wrap) q.emplace_back("wrap-with-directory", "true");
  if (r.only_hash) q.emplace_back("only-hash", "true");
  q.emplace_back("pin", flag(r.pin && !r.only_hash));
  if (r.pin_name) q.emplace_back("pin-name", *r.pin_name);
  if (!r.pin_meta.empty()) q.emplace_back("pin-metadata", dump(json(r.pin_meta)));
  return q;
}

constexpr size_t kArgsPerRequest = 1000;  // keeps each request's query short

}  // namespace

RemoteClient::RemoteClient(RemoteEndpoints e) : rpc_("http://" + e.rpc, e.token), api_("http://" + e.api, e.token) {}

// ---- the wire ----

Status RemoteClient::rpc_lines(const std::string& command, const Params& params,
                               const std::function<Status(const json&)>& on_line, unixfs::UploadSource* upload,
                               const CancelToken* cancel) {
  std::string path = "/api/v0/" + command;
  char sep = '?';
  for (const auto& [k, v] : params) {
    path += sep + client::url_encode(k) + "=" + client::url_encode(v);
    sep = '&';
  }
  LineSplitter lines([&](std::string_view line) -> Status {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return tl::unexpected(malformed(command));
    return on_line(j);
  });
  client::Response r;
  if (upload != nullptr) {
    client::MultipartBody body(*upload);
    r = TRY(rpc_.post_stream(
        path, body.content_type(),
        [&](uint8_t* buf, size_t n) -> Result<size_t> {
          TRY_STATUS(check_cancel(cancel, command.c_str()));
          return body.read(buf, n);
        },
        [&](ByteView b) { return lines.feed(b); }));
  } else {
    r = TRY(rpc_.post_stream(path, "", [](uint8_t*, size_t) -> Result<size_t> { return 0; },
                             [&](ByteView b) { return lines.feed(b); }));
  }
  if (r.status < 200 || r.status >= 300) return tl::unexpected(client::rpc_error(r));
  TRY_STATUS(lines.finish());
  if (!r.stream_error.empty()) {
    client::Response failed{500, "application/json", dump({{"Message", r.stream_error}}), ""};
    return tl::unexpected(client::rpc_error(failed));
  }
  return {};
}

Status RemoteClient::rpc_bytes(const std::string& command, const Params& params,
                               const std::function<Status(ByteView)>& out) {
  std::string path = "/api/v0/" + command;
  char sep = '?';
  for (const auto& [k, v] : params) {
    path += sep + client::url_encode(k) + "=" + client::url_encode(v);
    sep = '&';
  }
  client::Response r =
      TRY(rpc_.post_stream(path, "", [](uint8_t*, size_t) -> Result<size_t> { return 0; }, out));
  if (r.status < 200 || r.status >= 300) return tl::unexpected(client::rpc_error(r));
  if (!r.stream_error.empty()) return make_error(Code::kIOError, r.stream_error);
  return {};
}

Result<json> RemoteClient::api_json(const std::string& method, const std::string& path, const std::string& body) {
  client::Response r = method == "GET"    ? TRY(api_.get(path))
                       : method == "POST" ? TRY(api_.post(path, body, body.empty() ? "" : "application/json"))
                                          : TRY(api_.send(method, path));
  auto j = json::parse(r.body, nullptr, false);
  if (r.status < 200 || r.status >= 300) {
    if (r.status == 503 && !j.is_discarded() && !j.contains("error")) return j;  // an unhealthy report is still a report
    return tl::unexpected(client::rpc_error(r));
  }
  if (j.is_discarded()) return corruption("the daemon sent malformed JSON for " + path);
  return j;
}

// ---- content ----

Result<Cid> RemoteClient::add(const AddRequest& r) {
  Params q = add_query(r);
  std::optional<Cid> root;
  auto on_line = [&](const json& j) -> Status {
    if (!j.is_object() || !j.contains("Hash")) return {};  // progress lines
    unixfs::AddedEntry e;
    e.name = TRY(string_at(j, "Name", "add"));
    e.cid = TRY(cid_at(j, "Hash", "add"));
    e.size = u64_at(j, "Size");
    root = e.cid;
    if (r.on_added) r.on_added(e);
    return {};
  };
  if (r.paths.empty()) {
    if (r.stream == nullptr) return invalid_argument("nothing to add: give paths or a stream");
    // Bytes are reported as they are read for the upload, as a local add
    // reports them as it reads.
    class Counted : public ByteReader {
     public:
      Counted(ByteReader& in, const unixfs::ProgressFn& progress) : in_(in), progress_(progress) {}
      Result<size_t> read(uint8_t* buf, size_t n) override {
        size_t got = TRY(in_.read(buf, n));
        if (progress_ && got > 0) progress_(got);
        return got;
      }

     private:
      ByteReader& in_;
      const unixfs::ProgressFn& progress_;
    } counted(*r.stream, r.progress);
    client::StreamUpload upload(counted, r.stream_name);
    TRY_STATUS(rpc_lines("add", q, on_line, &upload, r.cancel));
  } else {
    // The walk options, applied here as a local add applies them.
    unixfs::ImportOptions walk;
    walk.recursive = r.params.recursive;
    walk.hidden = r.params.hidden;
    walk.wrap = r.params.wrap;
    walk.empty_dirs = r.params.empty_dirs;
    walk.dereference_args = r.params.dereference_args;
    // Refuse what the add would refuse (missing paths, special files) before anything is sent.
    TRY_STATUS(unixfs::Importer::scan(r.paths, walk, false));
    auto upload = TRY(unixfs::LocalUpload::open(r.paths, walk));
    upload->on_progress(r.progress);
    TRY_STATUS(rpc_lines("add", q, on_line, upload.get(), r.cancel));
  }
  if (!root) return corruption("the daemon's add reported no root");
  return *root;
}

Result<Cid> RemoteClient::resolve(std::string_view path) {
  ClientBlockSource blocks(*this);
  return unixfs::Exporter(blocks).resolve(path);
}

Result<unixfs::NodeInfo> RemoteClient::stat(std::string_view path) {
  ClientBlockSource blocks(*this);
  unixfs::Exporter ex(blocks);
  return ex.stat(TRY(ex.resolve(path)));
}

Status RemoteClient::cat(std::string_view path, uint64_t offset, std::optional<uint64_t> length,
                         const unixfs::ContentFn& out) {
  if (offset > 0) {
    // Kubo's cat skips past the end quietly; the API's contract (and a local
    // read) refuses it.
    unixfs::NodeInfo info = TRY(stat(path));
    if (offset > info.size)
      return invalid_argument("offset was past the end of the file (" + std::to_string(offset) + " > " +
                              std::to_string(info.size) + ")");
  }
  Params q = {{"arg", std::string(path)}, {"offset", std::to_string(offset)}};
  if (length) q.emplace_back("length", std::to_string(*length));
  return rpc_bytes("cat", q, out);
}

Status RemoteClient::ls(std::string_view path, const unixfs::EntryFn& fn) {
  ClientBlockSource blocks(*this);
  unixfs::Exporter ex(blocks);
  return ex.list(TRY(ex.resolve(path)), fn);
}

Status RemoteClient::get(std::string_view path, const std::string& out, const unixfs::ProgressFn& progress) {
  // Block by block through block/get, every block checked here, written by
  // the same safe tree writer as a local get.
  ClientBlockSource blocks(*this);
  unixfs::Exporter ex(blocks);
  return unixfs::write_tree(ex, TRY(ex.resolve(path)), out, progress);
}

Status RemoteClient::refs(std::string_view path, bool recursive, bool unique, const std::function<Status(const Cid&)>& fn) {
  return rpc_lines("refs", {{"arg", std::string(path)}, {"recursive", flag(recursive)}, {"unique", flag(unique)}},
                   [&](const json& j) -> Status {
                     if (j.is_object() && j.contains("Err") && j["Err"].is_string() && !j["Err"].get<std::string>().empty())
                       return make_error(Code::kIOError, j["Err"].get<std::string>());
                     return fn(TRY(cid_at(j, "Ref", "refs")));
                   });
}

Status RemoteClient::refs_local(const std::function<Status(const Cid&)>& fn) {
  return rpc_lines("refs/local", {}, [&](const json& j) -> Status { return fn(TRY(cid_at(j, "Ref", "refs/local"))); });
}

// ---- blocks and DAGs ----

Result<Bytes> RemoteClient::block_get(const Cid& cid) {
  if (cid.is_identity()) return Bytes(cid.multihash().digest().begin(), cid.multihash().digest().end());
  Bytes data;
  TRY_STATUS(rpc_bytes("block/get", {{"arg", cid.to_string()}}, [&](ByteView b) -> Status {
    if (data.size() + b.size() > (unixfs::kBlockSizeLimit << 5)) return corruption("the daemon sent an oversized block");
    data.insert(data.end(), b.begin(), b.end());
    return {};
  }));
  // Never trust a block from outside, the daemon included.
  Status ok = verify_block(cid, data);
  if (!ok) return corruption("the daemon sent bad bytes for " + cid.to_string() + ": " + ok.error().message());
  return data;
}

Result<core::BlockStat> RemoteClient::block_put(ByteView data, const BlockPutRequest& r) {
  auto hash = multihash::info(r.hash);
  if (!hash) return invalid_argument("unknown hash function " + std::to_string(r.hash));
  MemoryReader content(data);
  client::StreamUpload upload(content, "");
  std::optional<core::BlockStat> out;
  TRY_STATUS(rpc_lines("block/put",
                       {{"cid-codec", std::string(multicodec::codec_name(r.codec))},
                        {"mhtype", std::string(hash->name)},
                        {"cid-version", std::to_string(r.cid_version)},
                        {"pin", flag(r.pin)}},
                       [&](const json& j) -> Status {
                         out = core::BlockStat{TRY(cid_at(j, "Key", "block/put")), u64_at(j, "Size")};
                         return {};
                       },
                       &upload));
  if (!out) return tl::unexpected(malformed("block/put"));
  return *out;
}

Result<core::BlockStat> RemoteClient::block_stat(const Cid& cid) {
  std::optional<core::BlockStat> out;
  TRY_STATUS(rpc_lines("block/stat", {{"arg", cid.to_string()}}, [&](const json& j) -> Status {
    out = core::BlockStat{TRY(cid_at(j, "Key", "block/stat")), u64_at(j, "Size")};
    return {};
  }));
  if (!out) return tl::unexpected(malformed("block/stat"));
  return *out;
}

Status RemoteClient::block_rm(const std::vector<Cid>& cids, const ItemFn& on_result) {
  for (size_t i = 0; i < cids.size(); i += kArgsPerRequest) {
    Params q = {{"force", "false"}};
    for (size_t k = i; k < std::min(cids.size(), i + kArgsPerRequest); ++k) q.emplace_back("arg", cids[k].to_string());
    TRY_STATUS(rpc_lines("block/rm", q, [&](const json& j) -> Status {
      Cid cid = TRY(cid_at(j, "Hash", "block/rm"));
      Status st;
      if (j.contains("Error") && j["Error"].is_string() && !j["Error"].get<std::string>().empty())
        st = tl::unexpected(item_error(j));
      if (on_result) on_result(cid, st);
      return {};
    }));
  }
  return {};
}

Status RemoteClient::dag_export(const Cid& root, const std::function<Status(ByteView)>& out) {
  return rpc_bytes("dag/export", {{"arg", root.to_string()}}, out);
}

Result<core::ImportReport> RemoteClient::dag_import(ByteReader& car, bool pin_roots,
                                                    const std::function<void(const Cid&, const Status&)>& on_root,
                                                    const CancelToken* cancel) {
  client::StreamUpload upload(car, "");
  core::ImportReport report;
  TRY_STATUS(rpc_lines(
      "dag/import", {{"pin-roots", flag(pin_roots)}, {"stats", "true"}},
      [&](const json& j) -> Status {
        if (!j.is_object()) return tl::unexpected(malformed("dag/import"));
        if (j.contains("Root")) {
          Cid root = TRY(link_at(j["Root"], "Cid", "dag/import"));
          report.roots.push_back(root);
          std::string err = j["Root"].value("PinErrorMsg", "");
          Status st;
          if (!err.empty()) st = make_error(Code::kIOError, "pinning root " + root.to_string() + ": " + err);
          if (on_root) on_root(root, st);
          if (!st) return st;
        }
        if (j.contains("Stats") && j["Stats"].is_object()) {
          report.blocks = u64_at(j["Stats"], "BlockCount");
          report.bytes = u64_at(j["Stats"], "BlockBytesCount");
        }
        return {};
      },
      &upload, cancel));
  return report;
}

Result<core::DagStat> RemoteClient::dag_stat(const Cid& root) {
  std::optional<core::DagStat> out;
  TRY_STATUS(rpc_lines("dag/stat", {{"arg", root.to_string()}}, [&](const json& j) -> Status {
    if (!j.is_object() || !j.contains("DagStats") || !j["DagStats"].is_array() || j["DagStats"].empty())
      return tl::unexpected(malformed("dag/stat"));
    const json& s = j["DagStats"][0];
    out = core::DagStat{root, u64_at(s, "NumBlocks"), u64_at(s, "Size")};
    return {};
  }));
  if (!out) return tl::unexpected(malformed("dag/stat"));
  return *out;
}

// ---- pins ----

namespace {

// One batch line of a `partial` pin/add or pin/rm: a success or an item's failure.
Status pin_item_line(const json& j, const ItemFn& on_result, const char* command) {
  if (!j.is_object()) return tl::unexpected(malformed(command));
  if (j.contains("Pins") && j["Pins"].is_array()) {
    for (const auto& c : j["Pins"]) {
      if (!c.is_string()) return tl::unexpected(malformed(command));
      auto cid = Cid::parse(c.get<std::string>());
      if (!cid) return tl::unexpected(malformed(command));
      if (on_result) on_result(*cid, Status{});
    }
    return {};
  }
  if (j.contains("Error")) {
    auto cid = Cid::parse(j.value("Cid", std::string()));
    if (!cid) return tl::unexpected(item_error(j));  // not a CID we sent: fail the call with it
    if (on_result) on_result(*cid, tl::unexpected(item_error(j)));
  }
  return {};  // progress lines
}

}  // namespace

Status RemoteClient::pin_add(const std::vector<repo::PinRequest>& pins, const ItemFn& on_result, const CancelToken* cancel) {
  // One request per run of pins that share type, name and metadata (the RPC
  // takes them as options of the whole request).
  size_t i = 0;
  while (i < pins.size()) {
    TRY_STATUS(check_cancel(cancel, "pin add"));
    const repo::PinRequest& first = pins[i];
    Params q = {{"recursive", flag(first.type == repo::PinType::kRecursive)}, {"partial", "true"}};
    if (first.name) q.emplace_back("name", *first.name);
    if (!first.meta.empty()) q.emplace_back("metadata", dump(json(first.meta)));
    // Ours: the replication policy (IPFS Cluster's option names).
    const repo::ReplicationPolicy& rp = first.replication;
    if (rp.min) q.emplace_back("replication-min", std::to_string(*rp.min));
    if (rp.max) q.emplace_back("replication-max", std::to_string(*rp.max));
    if (!rp.allocations.empty()) {
      std::string a;
      for (const auto& n : rp.allocations) a += (a.empty() ? "" : ",") + n;
      q.emplace_back("allocations", a);
    }
    auto same_policy = [&](const repo::ReplicationPolicy& o) {
      return o.min == rp.min && o.max == rp.max && o.allocations == rp.allocations;
    };
    size_t k = i;
    while (k < pins.size() && k - i < kArgsPerRequest && pins[k].type == first.type && pins[k].name == first.name &&
           pins[k].meta == first.meta && same_policy(pins[k].replication)) {
      q.emplace_back("arg", pins[k].cid.to_string());
      ++k;
    }
    TRY_STATUS(rpc_lines("pin/add", q, [&](const json& j) { return pin_item_line(j, on_result, "pin/add"); }));
    i = k;
  }
  return {};
}

Status RemoteClient::pin_rm(const std::vector<Cid>& cids, const ItemFn& on_result) {
  for (size_t i = 0; i < cids.size(); i += kArgsPerRequest) {
    Params q = {{"partial", "true"}};
    for (size_t k = i; k < std::min(cids.size(), i + kArgsPerRequest); ++k) q.emplace_back("arg", cids[k].to_string());
    TRY_STATUS(rpc_lines("pin/rm", q, [&](const json& j) { return pin_item_line(j, on_result, "pin/rm"); }));
  }
  return {};
}

Status RemoteClient::pin_ls(const core::PinListOptions& o, const std::function<Status(const core::PinEntry&)>& fn) {
  std::string type = "all";
  if (!o.explicit_pins) type = "indirect";
  else if (o.filter.type) type = repo::pin_type_name(*o.filter.type);
  else if (!o.indirect) type = "recursive";  // (explicit only, both kinds: asked for below)
  Params q = {{"type", type}, {"stream", "true"}, {"names", "true"}};
  if (o.filter.name) q.emplace_back("name", *o.filter.name);
  if (o.filter.limit > 0) q.emplace_back("limit", std::to_string(o.filter.limit));
  if (o.filter.cid) q.emplace_back("arg", o.filter.cid->to_string());
  if (o.filter.after > 0) q.emplace_back("after", std::to_string(o.filter.after));
  if (o.filter.meta) q.emplace_back("meta", o.filter.meta->first + "=" + o.filter.meta->second);
  auto on_line = [&](const json& j) -> Status {
    core::PinEntry e;
    e.cid = TRY(cid_at(j, "Cid", "pin/ls"));
    e.type = TRY(string_at(j, "Type", "pin/ls"));
    if (e.type == "recursive" || e.type == "direct") {
      repo::PinInfo info;
      info.cid = e.cid;
      info.type = e.type == "recursive" ? repo::PinType::kRecursive : repo::PinType::kDirect;
      if (j.contains("Name") && j["Name"].is_string() && !j["Name"].get<std::string>().empty())
        info.name = j["Name"].get<std::string>();
      info.created = static_cast<int64_t>(u64_at(j, "Created"));
      info.id = static_cast<int64_t>(u64_at(j, "Cursor"));
      if (o.filter.with_meta && j.contains("Metadata") && j["Metadata"].is_object())
        for (auto& [k, v] : j["Metadata"].items())
          if (v.is_string()) info.meta[k] = v.get<std::string>();
      e.info = std::move(info);
    }
    return fn(e);
  };
  TRY_STATUS(rpc_lines("pin/ls", q, on_line));
  if (o.explicit_pins && !o.indirect && !o.filter.type) {
    Params d = q;
    d[0].second = "direct";
    TRY_STATUS(rpc_lines("pin/ls", d, on_line));
  }
  return {};
}

Status RemoteClient::pin_update(const Cid& from, const Cid& to, bool unpin) {
  return rpc_lines("pin/update", {{"arg", from.to_string()}, {"arg", to.to_string()}, {"unpin", flag(unpin)}},
                   [](const json&) -> Status { return {}; });
}

Status RemoteClient::pin_verify(const std::function<Status(const core::PinVerifyResult&)>& fn) {
  return rpc_lines("pin/verify", {{"verbose", "true"}}, [&](const json& j) -> Status {
    core::PinVerifyResult r;
    r.cid = TRY(cid_at(j, "Cid", "pin/verify"));
    r.ok = j.value("Ok", false);
    if (j.contains("BadNodes") && j["BadNodes"].is_array()) {
      r.ok = false;
      for (const auto& b : j["BadNodes"]) r.problems.push_back(b.value("Err", std::string()));
    }
    return fn(r);
  });
}

// ---- repository and node ----

Result<core::GcReport> RemoteClient::gc(const std::function<void(const Cid&)>& on_removed) {
  core::GcReport report;
  TRY_STATUS(rpc_lines("repo/gc", {{"stats", "true"}}, [&](const json& j) -> Status {
    if (!j.is_object()) return tl::unexpected(malformed("repo/gc"));
    if (j.contains("Key")) {
      Cid c = TRY(link_at(j, "Key", "repo/gc"));
      if (on_removed) on_removed(c);
    }
    if (j.contains("Stats") && j["Stats"].is_object()) {
      report.removed_blocks = u64_at(j["Stats"], "RemovedBlocks");
      report.removed_bytes = u64_at(j["Stats"], "RemovedBytes");
      report.reclaimed_bytes = u64_at(j["Stats"], "ReclaimedBytes");
    }
    return {};
  }));
  return report;
}

Result<core::RepoStat> RemoteClient::repo_stat() {
  core::RepoStat s;
  bool seen = false;
  TRY_STATUS(rpc_lines("repo/stat", {}, [&](const json& j) -> Status {
    if (!j.is_object()) return tl::unexpected(malformed("repo/stat"));
    seen = true;
    s.blocks = u64_at(j, "NumObjects");
    s.disk_bytes = u64_at(j, "RepoSize");
    s.block_bytes = u64_at(j, "BlockBytes");
    s.pins = u64_at(j, "Pins");
    s.path = j.value("RepoPath", std::string());
    return {};
  }));
  if (!seen) return tl::unexpected(malformed("repo/stat"));
  return s;
}

Result<core::VerifyReport> RemoteClient::repo_verify(const std::function<void(const Cid&, const Error&)>& on_bad) {
  core::VerifyReport report;
  Status st = rpc_lines("repo/verify", {}, [&](const json& j) -> Status {
    if (!j.is_object()) return tl::unexpected(malformed("repo/verify"));
    if (j.contains("Cid") && j.contains("Error")) {  // ours: a bad block, structured
      Cid c = TRY(cid_at(j, "Cid", "repo/verify"));
      ++report.bad;
      if (on_bad) on_bad(c, Error(Code::kCorruption, j.value("Error", std::string())));
    }
    if (j.contains("Checked")) report.checked = u64_at(j, "Checked");
    else if (j.contains("Progress")) report.checked = u64_at(j, "Progress");
    return {};
  });
  // A repository with bad blocks is a report, not a failed call.
  if (!st && !(report.bad > 0 && st.error().code() == Code::kCorruption)) return tl::unexpected(st.error());
  return report;
}

Result<json> RemoteClient::id() {
  std::optional<json> out;
  TRY_STATUS(rpc_lines("id", {}, [&](const json& j) -> Status {
    if (!j.is_object() || !j.contains("ID")) return tl::unexpected(malformed("id"));
    out = j;
    return {};
  }));
  if (!out) return tl::unexpected(malformed("id"));
  return *out;
}

// ---- configuration ----

Result<json> RemoteClient::config_show() { return api_json("GET", "/config"); }

Result<json> RemoteClient::config_get(const std::string& key) {
  json j = TRY(api_json("GET", "/config?key=" + client::url_encode(key)));
  if (!j.is_object() || !j.contains("value")) return corruption("the daemon sent a malformed /config reply");
  return j["value"];
}

Result<json> RemoteClient::config_set(const std::string& key, const std::string& value) {
  json j = TRY(api_json("POST", "/config/set", dump({{"key", key}, {"value", value}})));
  if (!j.is_object() || !j.contains("value")) return corruption("the daemon sent a malformed /config/set reply");
  return j["value"];
}

// ---- Pinning Service API tokens ----

Result<std::string> RemoteClient::psa_token_create(const std::string& name) {
  json j = TRY(api_json("POST", "/psa-tokens/create", dump({{"name", name}})));
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) return tl::unexpected(malformed("psa token create"));
  return j["token"].get<std::string>();
}

Status RemoteClient::psa_token_remove(const std::string& name) {
  TRY(api_json("POST", "/psa-tokens/remove", dump({{"name", name}})));
  return {};
}

Result<json> RemoteClient::psa_tokens() {
  json j = TRY(api_json("GET", "/psa-tokens"));
  if (!j.is_object() || !j.contains("tokens") || !j["tokens"].is_array()) return tl::unexpected(malformed("psa token ls"));
  return j["tokens"];
}

// ---- operations ----

Result<json> RemoteClient::health() { return api_json("GET", "/health"); }
Result<json> RemoteClient::status() { return api_json("GET", "/status"); }

Result<json> RemoteClient::backends(bool check_now) {
  json j = TRY(api_json("GET", check_now ? "/backends/health?check=true" : "/backends/health"));
  if (!j.is_object() || !j.contains("backends") || !j["backends"].is_object())
    return corruption("the daemon sent a malformed /backends/health reply");
  return j["backends"];
}

Result<json> RemoteClient::set_backend_running(const std::string& name, bool running) {
  return api_json("POST", std::string(running ? "/backends/start/" : "/backends/stop/") + client::url_encode(name));
}

Result<json> RemoteClient::replication_status() { return api_json("GET", "/replication/status"); }

Result<json> RemoteClient::replication_sync(const ReplicationSyncRequest& request) {
  return api_stream("/replication/sync?progress=true", {{"progress", request.on_progress}}, request.cancel,
                    "replication sync");
}

Result<json> RemoteClient::route_suggest(uint64_t size) {
  return api_json("GET", "/route/suggest?size=" + std::to_string(size));
}

Result<json> RemoteClient::route_optimize(const std::vector<Cid>& cids, bool apply, const CancelToken*) {
  json body = {{"cids", json::array()}, {"apply", apply}};
  for (const auto& c : cids) body["cids"].push_back(c.to_string());
  return api_json("POST", "/route/optimize", body.dump());
}

Result<json> RemoteClient::replication_status_of(const Cid& cid) {
  return api_json("GET", "/replication/status?cid=" + cid.to_string());
}

Result<std::string> RemoteClient::metrics() {
  client::Response r = TRY(api_.get("/metrics"));
  if (r.status != 200) return tl::unexpected(client::rpc_error(r));
  return r.body;
}

Result<std::vector<std::string>> RemoteClient::log_lines(const LogQuery& q) {
  std::string path = "/logs?lines=" + std::to_string(q.lines);
  if (!q.level.empty()) path += "&level=" + client::url_encode(q.level);
  if (!q.backend.empty()) path += "&backend=" + client::url_encode(q.backend);
  json j = TRY(api_json("GET", path));
  if (!j.is_object() || !j.contains("lines") || !j["lines"].is_array())
    return corruption("the daemon sent a malformed /logs reply");
  std::vector<std::string> out;
  for (const auto& l : j["lines"])
    if (l.is_string()) out.push_back(l.get<std::string>());
  return out;
}

namespace {

std::string backend_path(const std::string& name) { return "/backends/" + client::url_encode(name); }

}  // namespace

Result<json> RemoteClient::backend_check(const std::string& name) {
  json j = TRY(api_json("GET", "/backends/health?check=true&name=" + client::url_encode(name)));
  if (!j.is_object() || !j.contains("backends") || !j["backends"].is_object() || !j["backends"].contains(name))
    return corruption("the daemon sent a malformed /backends/health reply");
  return j["backends"][name];
}

Result<json> RemoteClient::health_alerts() {
  json j = TRY(api_json("GET", "/health/alerts"));
  if (!j.is_object() || !j.contains("active") || !j["active"].is_array())
    return corruption("the daemon sent a malformed /health/alerts reply");
  return j;
}

Result<json> RemoteClient::backend_pins(const std::string& name) {
  json j = TRY(api_json("GET", backend_path(name) + "/pins"));
  if (!j.is_object() || !j.contains("pins") || !j["pins"].is_array()) return corruption("the daemon sent a malformed pin list");
  return j;
}

Result<json> RemoteClient::backend_push(const std::string& name, const BackendPushRequest& r) {
  std::string path = backend_path(name) + "/pins/" + r.cid.to_string() + "?verify=" + (r.verify ? "true" : "false");
  if (r.name) path += "&name=" + client::url_encode(*r.name);
  if (r.meta) {
    if (r.meta->empty()) path += "&meta=";
    for (const auto& [k, v] : *r.meta) path += "&meta=" + client::url_encode(k + "=" + v);
  }
  if (r.replication_min > 0) path += "&replication-min=" + std::to_string(r.replication_min);
  if (r.replication_max > 0) path += "&replication-max=" + std::to_string(r.replication_max);
  json j = TRY(api_json("POST", path));
  if (!j.is_object() || !j.contains("status") || !j.contains("blocks")) return corruption("the daemon sent a malformed receipt");
  return j;
}

Result<json> RemoteClient::backend_unpin(const std::string& name, const Cid& cid) {
  return api_json("DELETE", backend_path(name) + "/pins/" + cid.to_string());
}

Result<json> RemoteClient::backend_verify(const std::string& name, const Cid& cid) {
  json j = TRY(api_json("POST", backend_path(name) + "/verify/" + cid.to_string()));
  if (!j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) return corruption("the daemon sent a malformed report");
  return j;
}

Result<json> RemoteClient::backend_usage(const std::string& name) {
  json j = TRY(api_json("GET", backend_path(name) + "/usage"));
  if (!j.is_object() || !j.contains("usage") || !j["usage"].is_object()) return corruption("the daemon sent a malformed usage reply");
  return j;
}

Result<Bytes> RemoteClient::backend_block(const std::string& name, const Cid& cid) {
  client::Response r = TRY(api_.get(backend_path(name) + "/blocks/" + cid.to_string()));
  if (r.status != 200) return tl::unexpected(client::rpc_error(r));
  // Checked here too: nothing the daemon sends is trusted more than a block from any other node.
  Bytes data = to_bytes(r.body);
  TRY_STATUS(verify_block(cid, data));
  return data;
}

Result<json> RemoteClient::backend_restore(const std::string& name, const BackendRestoreRequest& request) {
  const std::string path = backend_path(name) + "/restore" + (request.dry_run ? "?dry_run=true" : "");
  return api_stream(path, {{"pin", request.on_pin}, {"progress", request.on_progress}}, request.cancel, "backend restore");
}

Result<json> RemoteClient::api_stream(const std::string& path, const StreamHandlers& handlers, const CancelToken* cancel,
                                      const char* what) {
  std::optional<json> summary;
  std::optional<Error> failed;
  LineSplitter lines([&](std::string_view line) -> Status {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return tl::unexpected(malformed(what));
    if (j.contains("summary") && j["summary"].is_object()) {
      summary = j["summary"];
    } else if (j.contains("error") && j["error"].is_string()) {
      // The work failed after the reply began: the same error object as a
      // failed request's, as the last line.
      Code code = Code::kInternal;
      if (j.contains("code") && j["code"].is_string())
        if (auto c = code_by_name(j["code"].get<std::string>())) code = *c;
      failed = Error(code, j["error"].get<std::string>());
    } else {
      // A line kind this client does not know (a newer daemon's) is skipped.
      for (const auto& [key, fn] : handlers)
        if (j.contains(key) && j[key].is_object()) {
          if (fn) fn(j[key]);
          break;
        }
    }
    return check_cancel(cancel, what);
  });
  client::Response r = TRY(api_.post_stream(
      path, "", [](uint8_t*, size_t) -> Result<size_t> { return 0; }, [&](ByteView b) { return lines.feed(b); }));
  if (r.status < 200 || r.status >= 300) return tl::unexpected(client::rpc_error(r));
  TRY_STATUS(lines.finish());
  if (failed) return tl::unexpected(*failed);
  if (!summary) return make_error(Code::kIOError, std::string("the daemon's ") + what + " reply ended without a summary (was it stopped?)");
  return *summary;
}

}  // namespace ipfskit::api
