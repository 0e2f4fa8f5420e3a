// The `kubo` backend: any node that speaks Kubo's RPC (Kubo itself, or
// another ipfs-kit daemon).
//
// A pin is pushed as one streamed CAR (POST /api/v0/dag/import, roots not
// pinned), then pinned with its name (and metadata, which ipfs-kit nodes
// keep and Kubo ignores) by pin/add, then read back as a CAR (from the
// node's gateway when configured, else RPC dag/export) with every block
// re-hashed: a replica is counted only once its bytes came back right.
// Reads ask the node not to go to the network (offline=true), so a block
// the node does not hold is reported missing rather than fetched.
#include <mutex>

#include "backends/transfer.h"
#include "backends/types.h"
#include "multiformats/multicodec.h"

namespace ipfskit::backends {

using nlohmann::json;

namespace {

constexpr uint64_t kMaxBlock = 8 << 20;

// Kubo encodes CIDs as "Qm..." or {"/": "Qm..."}.
Result<Cid> cid_of(const json& j) {
  if (j.is_string()) return Cid::parse(j.get<std::string>());
  if (j.is_object() && j.contains("/") && j["/"].is_string()) return Cid::parse(j["/"].get<std::string>());
  return corruption("expected a CID");
}

class KuboBackend final : public Backend {
 public:
  KuboBackend(BackendInfo info, std::string rpc, std::string gateway, std::string token, std::chrono::milliseconds timeout)
      : Backend(std::move(info)), rpc_(std::move(rpc)), gateway_(std::move(gateway)), auth_(authorization(token)),
        timeout_(timeout) {}

  Capabilities capabilities() const override {
    Capabilities c;
    c.put_blocks = c.get_blocks = c.pin = c.list_pins = c.replica = true;
    c.proof = kReadBack;
    return c;
  }

  std::optional<HttpProbe> http_probe(std::chrono::milliseconds timeout) override {
    HttpProbe p;
    p.request = rpc_request("version", {});
    p.request.timeout = timeout;
    p.check = [this](Result<HttpResponse> res) -> Result<ProbeResult> {
      if (!res) return tl::unexpected(res.error());
      if (res->status < 200 || res->status >= 300) return tl::unexpected(rpc_error("version", *res));
      json v = json::parse(res->body, nullptr, false);
      if (v.is_discarded() || !v.is_object() || !v.contains("Version") || !v["Version"].is_string())
        return corruption(label() + ": version answered with malformed JSON");
      ProbeResult r;
      r.details = {{"version", v["Version"]}, {"rpc", rpc_}};
      return r;
    };
    return p;
  }

  Result<Usage> usage() override {
    json s = TRY(rpc_json("repo/stat", {{"size-only", "true"}}, timeout_));
    Usage u;
    if (s.contains("RepoSize") && s["RepoSize"].is_number_unsigned()) u.bytes_used = s["RepoSize"].get<uint64_t>();
    if (s.contains("StorageMax") && s["StorageMax"].is_number_unsigned() && s["StorageMax"].get<uint64_t>() > 0)
      u.bytes_limit = s["StorageMax"].get<uint64_t>();
    return u;
  }

  Result<std::string> put_block(const Cid& cid, ByteView data) override {
    const std::string boundary = multipart_boundary();
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"data\"; filename=\"block\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n";
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    body += "\r\n--" + boundary + "--\r\n";
    json r = TRY(rpc_json("block/put",
                          {{"cid-codec", std::string(multicodec::codec_name(cid.codec()))},
                           {"mhtype", multihash::name_of(cid.multihash().code())},
                           {"mhlen", std::to_string(cid.multihash().digest().size())}},
                          timeout_, &body, "multipart/form-data; boundary=" + boundary));
    if (!r.contains("Key")) return corruption(label() + ": block/put answered without a Key");
    Cid stored = TRY(cid_of(r["Key"]));
    if (stored.multihash() != cid.multihash())
      return corruption(label() + " stored " + cid.to_string() + " as " + stored.to_string());
    return std::string();
  }

  Result<bool> has_block(const Cid& cid) override {
    auto r = rpc_json("block/stat", {{"arg", cid.to_string()}, {"offline", "true"}}, timeout_);
    if (r) return true;
    if (r.error().code() == Code::kNotFound) return false;
    return tl::unexpected(r.error());
  }

  Status remove_block(const Cid& cid) override {
    json r = TRY(rpc_json("block/rm", {{"arg", cid.to_string()}}, timeout_));
    if (r.is_object() && r.contains("Error") && r["Error"].is_string() && !r["Error"].get<std::string>().empty()) {
      const std::string e = r["Error"].get<std::string>();
      if (e.find("not found") != std::string::npos) return not_found(label() + " has no block " + cid.to_string());
      return make_error(Code::kIOError, label() + ": block/rm: " + excerpt(e));
    }
    return {};
  }

  Result<PinReceipt> pin(const PinSpec& spec, BlockSource& source, const CancelToken* cancel) override {
    const auto start = std::chrono::steady_clock::now();
    PinReceipt receipt;
    {
      CarUpload upload(source, spec.cid, cancel);
      HttpRequest req = rpc_request("dag/import", {{"pin-roots", "false"}, {"stats", "true"}});
      req.headers.push_back("Content-Type: " + upload.content_type());
      req.body_source = upload.body();
      req.timeout = std::chrono::milliseconds(0);  // as long as the DAG takes, as long as bytes move
      req.cancel = cancel;
      auto session = sessions_.acquire();
      auto res = session->perform(req);
      Status produced = upload.finish();
      if (!produced) return tl::unexpected(produced.error().wrap("reading " + spec.cid.to_string() + " locally"));
      if (!res) return tl::unexpected(res.error().wrap(label() + ": dag/import"));
      if (res->status < 200 || res->status >= 300) return tl::unexpected(rpc_error("dag/import", *res));
      if (!res->stream_error.empty())
        return make_error(Code::kIOError, label() + ": dag/import failed: " + excerpt(res->stream_error));
      receipt.blocks = upload.blocks();
      receipt.bytes = upload.bytes();
    }
    std::vector<std::pair<std::string, std::string>> params = {{"arg", spec.cid.to_string()}, {"recursive", "true"}};
    if (!spec.name.empty()) params.emplace_back("name", spec.name);
    // Pin metadata is ipfs-kit's (Kubo's pins carry a name only): sent to
    // ipfs-kit nodes, and said to be dropped otherwise.
    bool meta_kept = spec.meta.empty();
    if (!spec.meta.empty() && TRY(keeps_metadata())) {
      params.emplace_back("metadata", json(spec.meta).dump(-1, ' ', false, json::error_handler_t::replace));
      meta_kept = true;
    }
    if (!meta_kept) receipt.details["metadata"] = "not kept: Kubo pins carry a name only";
    json pinned = TRY(rpc_json("pin/add", params, std::chrono::milliseconds(0)));
    bool listed = false;
    if (pinned.contains("Pins") && pinned["Pins"].is_array())
      for (const auto& p : pinned["Pins"])
        if (auto c = cid_of(p); c && c->multihash() == spec.cid.multihash()) listed = true;
    if (!listed) return corruption(label() + ": pin/add did not confirm " + spec.cid.to_string());
    if (spec.verify) {
      TRY_STATUS(prove_by_reading_back(spec.cid, receipt, cancel));
    }
    receipt.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return receipt;
  }

  Result<std::optional<RemotePin>> pin_status(const Cid& cid) override {
    auto r = rpc_json("pin/ls", {{"arg", cid.to_string()}, {"type", "recursive"}, {"names", "true"}}, timeout_);
    if (!r) {
      if (r.error().code() == Code::kNotFound) return std::optional<RemotePin>();
      return tl::unexpected(r.error());
    }
    std::optional<RemotePin> found;
    TRY_STATUS(parse_pin_listing(*r, [&](const RemotePin& p) -> Status {
      if (p.cid.multihash() == cid.multihash()) found = p;
      return {};
    }));
    return found;
  }

  Status unpin(const Cid& cid) override {
    auto r = rpc_json("pin/rm", {{"arg", cid.to_string()}}, timeout_);
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Status list_pins(const std::function<Status(const RemotePin&)>& fn) override {
    HttpRequest req = rpc_request("pin/ls", {{"type", "recursive"}, {"names", "true"}, {"stream", "true"}});
    req.timeout = std::chrono::milliseconds(0);
    auto session = sessions_.acquire();
    return stream_response(*session, req, label() + ": pin/ls", [&](ByteReader& body) -> Status {
      LineSplitter lines([&](std::string_view line) -> Status {
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded()) return corruption(label() + ": pin/ls sent a malformed line");
        return parse_pin_listing(j, fn);
      });
      uint8_t buf[65536];
      for (;;) {
        size_t n = TRY(body.read(buf, sizeof buf));
        if (n == 0) break;
        TRY_STATUS(lines.feed(ByteView(buf, n)));
      }
      return lines.finish();
    });
  }

  Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel) override {
    HttpRequest req;
    if (!gateway_.empty()) {
      req.url = gateway_ + "/ipfs/" + root.to_string() + "?format=car&dag-scope=all";
      req.headers.push_back("Accept: application/vnd.ipld.car");
      req.headers.push_back(kFallbackHeader);
      req.headers.push_back(kOnlyIfCachedHeader);
      const std::string what = label() + ": reading " + root.to_string() + " back";
      // 412: only-if-cached and the node has no copy of the root (Kubo's gateway).
      return verify_car_over_http(sessions_, req, root, what, cancel, [this, what, root](const HttpResponse& r) {
        if (r.status == 412) return Error(Code::kNotFound, label() + " has no block " + root.to_string());
        return http_error(what, r);
      });
    }
    req = rpc_request("dag/export", {{"arg", root.to_string()}, {"offline", "true"}});
    return verify_car_over_http(sessions_, req, root, label() + ": reading " + root.to_string() + " back", cancel,
                                [this](const HttpResponse& r) { return rpc_error("dag/export", r); });
  }

 protected:
  Result<Bytes> fetch_block(const Cid& cid) override {
    HttpRequest req;
    if (!gateway_.empty()) {
      req.url = gateway_ + "/ipfs/" + cid.to_string() + "?format=raw";
      req.headers.push_back("Accept: application/vnd.ipld.raw");
      req.headers.push_back(kFallbackHeader);
      req.headers.push_back(kOnlyIfCachedHeader);
      req.method = "GET";
    } else {
      req = rpc_request("block/get", {{"arg", cid.to_string()}, {"offline", "true"}});
    }
    req.timeout = timeout_;
    req.max_response_bytes = kMaxBlock;
    auto session = sessions_.acquire();
    HttpResponse res = TRY(session->perform(req));
    // 412: only-if-cached and the node has no copy (Kubo's gateway).
    if (!gateway_.empty() && res.status == 412) return not_found(label() + " has no block " + cid.to_string());
    if (res.status < 200 || res.status >= 300) {
      Error e = gateway_.empty() ? rpc_error("block/get", res) : http_error(label() + ": gateway", res);
      if (e.code() == Code::kNotFound) return not_found(label() + " has no block " + cid.to_string());
      return tl::unexpected(e);
    }
    return to_bytes(res.body);
  }

 private:
  HttpRequest rpc_request(const std::string& cmd, const std::vector<std::pair<std::string, std::string>>& params) {
    HttpRequest req;
    req.method = "POST";
    req.url = rpc_ + "/api/v0/" + cmd;
    char sep = '?';
    for (const auto& [k, v] : params) {
      req.url += sep + uri_encode(k) + "=" + uri_encode(v);
      sep = '&';
    }
    if (!auth_.empty()) req.headers.push_back("Authorization: " + auth_);
    req.timeout = timeout_;
    return req;
  }

  // Kubo's error object {"Message", "Code", "Type": "error"} as an Error.
  Error rpc_error(const std::string& cmd, const HttpResponse& r) const {
    json j = json::parse(r.body, nullptr, false);
    std::string message;
    if (!j.is_discarded() && j.is_object() && j.contains("Message") && j["Message"].is_string())
      message = excerpt(j["Message"].get<std::string>(), 300);
    if (message.empty()) return http_error(label() + ": " + cmd, r);
    Code code = Code::kIOError;
    if (r.status == 401 || r.status == 403) code = Code::kPermissionDenied;
    else if (message.find("not pinned") != std::string::npos || message.find("not found") != std::string::npos ||
             message.find("no link named") != std::string::npos)
      code = Code::kNotFound;
    else if (r.status == 400) code = Code::kInvalidArgument;
    else if (r.status == 503) code = Code::kUnavailable;
    return Error(code, label() + ": " + cmd + ": " + message);
  }

  // One RPC call with a small JSON reply (or JSON lines: the last object).
  Result<json> rpc_json(const std::string& cmd, const std::vector<std::pair<std::string, std::string>>& params,
                        std::chrono::milliseconds timeout, const std::string* body = nullptr,
                        const std::string& content_type = "") {
    HttpRequest req = rpc_request(cmd, params);
    req.timeout = timeout;
    req.body = body;
    if (!content_type.empty()) req.headers.push_back("Content-Type: " + content_type);
    auto session = sessions_.acquire();
    HttpResponse res = TRY(session->perform(req));
    if (res.status < 200 || res.status >= 300) return tl::unexpected(rpc_error(cmd, res));
    if (!res.stream_error.empty()) return make_error(Code::kIOError, label() + ": " + cmd + ": " + excerpt(res.stream_error));
    json last;
    LineSplitter lines([&](std::string_view line) -> Status {
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) return corruption(label() + ": " + cmd + " answered with malformed JSON");
      last = std::move(j);
      return {};
    });
    TRY_STATUS(lines.feed(as_bytes(res.body)));
    TRY_STATUS(lines.finish());
    if (last.is_null()) return corruption(label() + ": " + cmd + " answered with an empty body");
    return last;
  }

  // pin/ls answers {"Keys": {cid: {"Type", "Name", "Metadata"}}} or, streamed,
  // one {"Cid", "Type", "Name"} per line.
  Status parse_pin_listing(const json& j, const std::function<Status(const RemotePin&)>& fn) const {
    auto one = [&](const Cid& cid, const json& e) -> Status {
      if (!e.is_object()) return corruption(label() + ": pin/ls sent a malformed entry");
      if (e.contains("Type") && e["Type"].is_string() && e["Type"].get<std::string>() != "recursive") return {};
      RemotePin p;
      p.cid = cid;
      if (e.contains("Name") && e["Name"].is_string()) p.name = e["Name"].get<std::string>();
      if (e.contains("Metadata") && e["Metadata"].is_object())
        for (auto& [k, v] : e["Metadata"].items())
          if (v.is_string()) p.meta[k] = v.get<std::string>();
      return fn(p);
    };
    if (j.contains("Keys")) {
      if (!j["Keys"].is_object()) return corruption(label() + ": pin/ls sent malformed Keys");
      for (auto& [k, v] : j["Keys"].items()) {
        auto cid = Cid::parse(k);
        if (!cid) return corruption(label() + ": pin/ls sent an invalid CID");
        TRY_STATUS(one(*cid, v));
      }
      return {};
    }
    if (j.contains("Cid")) {
      auto cid = cid_of(j["Cid"]);
      if (!cid) return corruption(label() + ": pin/ls sent an invalid CID");
      return one(*cid, j);
    }
    return corruption(label() + ": pin/ls sent an unexpected object");
  }

  // Whether the node is an ipfs-kit daemon (which keeps pin metadata): its
  // `version` names ipfs-kit's repository. Asked once.
  Result<bool> keeps_metadata() {
    std::lock_guard lock(kind_mu_);
    if (!is_ipfs_kit_) {
      json v = TRY(rpc_json("version", {}, timeout_));
      const std::string repo = v.is_object() && v.contains("Repo") && v["Repo"].is_string() ? v["Repo"].get<std::string>() : "";
      is_ipfs_kit_ = repo.rfind("ipfs-kit", 0) == 0;
    }
    return *is_ipfs_kit_;
  }

  std::string rpc_, gateway_, auth_;
  std::chrono::milliseconds timeout_;
  SessionPool sessions_;
  std::mutex kind_mu_;
  std::optional<bool> is_ipfs_kit_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_kubo_backend(const TypeArgs& a) {
  std::string rpc = TRY(a.required("rpc"));
  std::string gateway = TRY(a.field("gateway"));
  std::string token = TRY(a.field("token"));
  while (!rpc.empty() && rpc.back() == '/') rpc.pop_back();
  // "http://host:5001/api/v0" and "http://host:5001" both work.
  if (rpc.size() > 7 && rpc.compare(rpc.size() - 7, 7, "/api/v0") == 0) rpc.resize(rpc.size() - 7);
  while (!gateway.empty() && gateway.back() == '/') gateway.pop_back();
  return std::unique_ptr<Backend>(new KuboBackend(a.info, rpc, gateway, token, a.env->request_timeout));
}

}  // namespace ipfskit::backends
