// The `ipfs_cluster` backend: an IPFS Cluster peer's REST API (v1).
//
// A pin is one streamed CAR to POST /add?format=car with the pin's name,
// replication-min/-max and meta-<key> parameters (Cluster's names); the
// cluster allocates it to its peers. Then GET /pins/{cid} is polled until
// enough peers report "pinned" in its peer_map (replication-min, at least
// one), a peer reports pin_error with too few pinned, or pin_timeout passes.
// Cluster's REST API serves no blocks, so the copy is proved only through a
// configured `gateway` (one of the cluster's IPFS gateways); otherwise the
// receipt carries the peer_map and says the copy is unverified.

#include "backends/json_util.h"
#include "backends/poll.h"
#include "backends/transfer.h"
#include "backends/types.h"

namespace ipfskit::backends {

using nlohmann::json;

namespace {

// Cluster writes CIDs as strings (v1) or {"/": "..."} (older releases).
Result<Cid> cid_of(const json& j) {
  if (j.is_string()) return Cid::parse(j.get<std::string>());
  if (j.is_object() && j.contains("/") && j["/"].is_string()) return Cid::parse(j["/"].get<std::string>());
  return corruption("expected a CID");
}

struct PeerSummary {
  int pinned = 0, pinning = 0, queued = 0, errors = 0, total = 0;
  std::string first_error;
  json peer_map = json::object();
};

class ClusterBackend final : public Backend {
 public:
  ClusterBackend(BackendInfo info, std::string endpoint, std::string token, std::string gateway,
                 std::chrono::seconds pin_timeout, std::chrono::milliseconds timeout)
      : Backend(std::move(info)), endpoint_(std::move(endpoint)), auth_(authorization(token)), gateway_(std::move(gateway)),
        pin_timeout_(pin_timeout), timeout_(timeout) {}

  Capabilities capabilities() const override {
    Capabilities c;
    c.pin = c.list_pins = c.replica = c.pins_in_background = true;
    c.get_blocks = !gateway_.empty();
    c.proof = gateway_.empty() ? "" : kReadBack;
    return c;
  }

  std::optional<HttpProbe> http_probe(std::chrono::milliseconds timeout) override {
    HttpProbe p;
    p.request = request("GET", "/id");
    p.request.timeout = timeout;
    p.check = [this](Result<HttpResponse> res) -> Result<ProbeResult> {
      json id = TRY(answer("GET", "/id", std::move(res)));
      if (!id.is_object() || str_field(id, "id").empty()) return corruption(label() + ": GET /id answered without an id");
      ProbeResult r;
      r.details = {{"endpoint", endpoint_}, {"peer", str_field(id, "id")}, {"peername", str_field(id, "peername")},
                   {"version", str_field(id, "version")}};
      if (id.contains("cluster_peers") && id["cluster_peers"].is_array()) r.details["cluster_peers"] = id["cluster_peers"].size();
      if (!str_field(id, "error").empty()) r.warning = "the peer reports: " + excerpt(str_field(id, "error"));
      else if (id.contains("ipfs") && id["ipfs"].is_object() && !str_field(id["ipfs"], "error").empty())
        r.warning = "the peer's IPFS daemon reports: " + excerpt(str_field(id["ipfs"], "error"));
      return r;
    };
    return p;
  }

  Result<Usage> usage() override {
    json metrics = TRY(call("GET", "/monitor/metrics/freespace", timeout_));
    Usage u;
    if (metrics.is_array()) {
      uint64_t total = 0;
      bool any = false;
      for (const auto& m : metrics) {
        if (!m.is_object() || !m.value("valid", false)) continue;
        const std::string v = str_field(m, "value");
        char* end = nullptr;
        const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
        if (v.empty() || end == nullptr || *end != '\0') continue;
        total += n;
        any = true;
      }
      if (any) u.bytes_free = total;
    }
    return u;
  }

  Result<PinReceipt> pin(const PinSpec& spec, BlockSource& source, const CancelToken* cancel) override {
    const auto start = std::chrono::steady_clock::now();
    PinReceipt receipt;
    {
      std::string path = "/add?format=car&stream-channels=true";
      if (!spec.name.empty()) path += "&name=" + uri_encode(spec.name);
      if (spec.replication_min != 0) path += "&replication-min=" + std::to_string(spec.replication_min);
      if (spec.replication_max != 0) path += "&replication-max=" + std::to_string(spec.replication_max);
      for (const auto& [k, v] : spec.meta) path += "&meta-" + uri_encode(k) + "=" + uri_encode(v);
      CarUpload upload(source, spec.cid, cancel);
      HttpRequest req = request("POST", path);
      req.headers.push_back("Content-Type: " + upload.content_type());
      req.body_source = upload.body();
      req.timeout = std::chrono::milliseconds(0);
      req.cancel = cancel;
      auto session = sessions_.acquire();
      auto res = session->perform(req);
      Status produced = upload.finish();
      if (!produced) return tl::unexpected(produced.error().wrap("reading " + spec.cid.to_string() + " locally"));
      if (!res) return tl::unexpected(res.error().wrap(label() + ": /add"));
      if (res->status < 200 || res->status >= 300) return tl::unexpected(cluster_error("/add", *res));
      if (!res->stream_error.empty()) return make_error(Code::kIOError, label() + ": /add failed: " + excerpt(res->stream_error));
      // The added objects, one per line; the CAR's root must be among them.
      bool root_seen = false;
      LineSplitter lines([&](std::string_view line) -> Status {
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return corruption(label() + ": /add answered with malformed JSON");
        if (j.contains("cid"))
          if (auto c = cid_of(j["cid"]); c && c->multihash() == spec.cid.multihash()) root_seen = true;
        return {};
      });
      TRY_STATUS(lines.feed(as_bytes(res->body)));
      TRY_STATUS(lines.finish());
      if (!root_seen) return corruption(label() + ": /add did not report " + spec.cid.to_string());
      receipt.blocks = upload.blocks();
      receipt.bytes = upload.bytes();
    }
    const int needed = std::max(1, spec.replication_min);
    PeerSummary s;
    TRY(poll_until_settled(pin_timeout_, cancel, [&]() -> Result<bool> {
      json info = TRY(call("GET", "/pins/" + spec.cid.to_string(), timeout_));
      s = TRY(summarize(info));
      if (s.pinned >= needed) return true;
      if (s.errors > 0 && s.pinned + s.pinning + s.queued < needed)
        return make_error(Code::kIOError, label() + ": the cluster failed to pin " + spec.cid.to_string() + ": " + s.first_error);
      return false;
    }));
    receipt.status = s.pinned >= needed ? "pinned" : (s.pinning > 0 ? "pinning" : "queued");
    receipt.details = {{"peer_map", s.peer_map}, {"pinned_peers", s.pinned}};
    if (receipt.status == "pinned" && spec.verify && !gateway_.empty())
      TRY_STATUS(prove_by_reading_back(spec.cid, receipt, cancel, " through " + gateway_));
    receipt.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return receipt;
  }

  Result<std::optional<RemotePin>> pin_status(const Cid& cid) override {
    auto info = call("GET", "/pins/" + cid.to_string(), timeout_);
    if (!info) {
      if (info.error().code() == Code::kNotFound) return std::optional<RemotePin>();
      return tl::unexpected(info.error());
    }
    PeerSummary s = TRY(summarize(*info));
    if (s.total == 0) return std::optional<RemotePin>();
    RemotePin p = TRY(pin_of(*info));
    p.status = s.pinned > 0 ? "pinned" : s.pinning > 0 ? "pinning" : s.queued > 0 ? "queued" : "failed";
    p.details = {{"peer_map", s.peer_map}};
    if (s.pinned == 0 && s.pinning == 0 && s.queued == 0 && s.errors == 0) return std::optional<RemotePin>();
    return std::optional<RemotePin>(std::move(p));
  }

  Status unpin(const Cid& cid) override {
    auto r = call("DELETE", "/pins/" + cid.to_string(), timeout_);
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Status list_pins(const std::function<Status(const RemotePin&)>& fn) override {
    // The pinset with names and metadata: one Pin object per line (v1), or
    // a JSON array (older releases).
    HttpRequest req = request("GET", "/allocations?filter=pin");
    req.timeout = std::chrono::milliseconds(0);
    auto session = sessions_.acquire();
    return stream_response(*session, req, label() + ": /allocations", [&](ByteReader& body) -> Status {
      std::string all;
      uint8_t buf[65536];
      for (;;) {
        size_t n = TRY(body.read(buf, sizeof buf));
        if (n == 0) break;
        if (all.size() + n > (256u << 20)) return make_error(Code::kResourceExhausted, label() + ": /allocations is too large");
        all.append(reinterpret_cast<const char*>(buf), n);
      }
      auto one = [&](const json& j) -> Status {
        RemotePin p = TRY(pin_of(j));
        return fn(p);
      };
      size_t first = all.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && all[first] == '[') {
        json arr = json::parse(all, nullptr, false);
        if (arr.is_discarded() || !arr.is_array()) return corruption(label() + ": /allocations answered with malformed JSON");
        for (const auto& j : arr) TRY_STATUS(one(j));
        return {};
      }
      LineSplitter lines([&](std::string_view line) -> Status {
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded()) return corruption(label() + ": /allocations answered with malformed JSON");
        return one(j);
      });
      TRY_STATUS(lines.feed(as_bytes(all)));
      return lines.finish();
    });
  }

  Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel) override {
    if (gateway_.empty())
      return unsupported_op("read a DAG back", "Cluster's REST API serves no blocks; set backends." + info().name +
                                                   ".gateway to one of the cluster's IPFS gateways");
    HttpRequest req;
    req.url = gateway_ + "/ipfs/" + root.to_string() + "?format=car&dag-scope=all";
    req.headers.push_back("Accept: application/vnd.ipld.car");
    req.headers.push_back(kFallbackHeader);
    return verify_car_over_http(sessions_, req, root, label() + ": reading " + root.to_string() + " back", cancel);
  }

 protected:
  Result<Bytes> fetch_block(const Cid& cid) override {
    if (gateway_.empty()) return unsupported_op("read blocks", "Cluster's REST API serves no blocks");
    HttpRequest req;
    req.url = gateway_ + "/ipfs/" + cid.to_string() + "?format=raw";
    req.headers.push_back("Accept: application/vnd.ipld.raw");
    req.headers.push_back(kFallbackHeader);
    req.timeout = timeout_;
    req.max_response_bytes = 8 << 20;
    auto session = sessions_.acquire();
    HttpResponse res = TRY(session->perform(req));
    if (res.status == 404 || res.status == 410) return not_found(label() + "'s gateway does not have " + cid.to_string());
    if (res.status != 200) return tl::unexpected(http_error(label() + ": gateway", res));
    return to_bytes(res.body);
  }

 private:
  HttpRequest request(const std::string& method, const std::string& path) const {
    HttpRequest req;
    req.method = method;
    req.url = endpoint_ + path;
    if (!auth_.empty()) req.headers.push_back("Authorization: " + auth_);
    req.timeout = timeout_;
    req.max_response_bytes = 32 << 20;
    return req;
  }

  // Cluster's error document is {"code": N, "message": "..."}.
  Error cluster_error(const std::string& what, const HttpResponse& r) const {
    json e = json::parse(r.body, nullptr, false);
    HttpResponse shown = r;
    if (!e.is_discarded() && e.is_object() && !str_field(e, "message").empty()) shown.body = str_field(e, "message");
    Error err = http_error(label() + ": " + what, shown);
    if (err.code() == Code::kIOError && shown.body.find("not found") != std::string::npos)
      return Error(Code::kNotFound, err.message());
    return err;
  }

  Result<json> answer(const std::string& method, const std::string& path, Result<HttpResponse> got) const {
    if (!got) return tl::unexpected(got.error().wrap(label()));
    const HttpResponse& res = *got;
    if (res.status < 200 || res.status >= 300) return tl::unexpected(cluster_error(method + " " + path.substr(0, path.find('?')), res));
    if (res.body.empty()) return json::object();
    json j = json::parse(res.body, nullptr, false);
    if (j.is_discarded()) return corruption(label() + ": " + method + " " + path + " answered with malformed JSON");
    return j;
  }

  Result<json> call(const std::string& method, const std::string& path, std::chrono::milliseconds timeout) {
    HttpRequest req = request(method, path);
    req.timeout = timeout;
    auto session = sessions_.acquire();
    return answer(method, path, session->perform(req));
  }

  Result<RemotePin> pin_of(const json& j) const {
    if (!j.is_object() || !j.contains("cid")) return corruption(label() + ": a pin without a cid");
    auto cid = cid_of(j["cid"]);
    if (!cid) return corruption(label() + ": a pin with an invalid cid");
    RemotePin p;
    p.cid = *cid;
    p.name = str_field(j, "name");
    if (j.contains("metadata") && j["metadata"].is_object())
      for (auto& [k, v] : j["metadata"].items())
        if (v.is_string()) p.meta[k] = v.get<std::string>();
    p.created = parse_time(str_field(j, "created")).value_or(0);
    return p;
  }

  Result<PeerSummary> summarize(const json& info) const {
    if (!info.is_object()) return corruption(label() + ": /pins answered with a non-object");
    PeerSummary s;
    if (!info.contains("peer_map")) return s;
    if (!info["peer_map"].is_object()) return corruption(label() + ": peer_map is not an object");
    for (auto& [peer, st] : info["peer_map"].items()) {
      if (!st.is_object()) continue;
      const std::string status = str_field(st, "status");
      s.total++;
      s.peer_map[peer] = {{"peername", str_field(st, "peername")}, {"status", status}, {"error", str_field(st, "error")}};
      if (status == "pinned") s.pinned++;
      else if (status == "pinning") s.pinning++;
      else if (status == "pin_queued" || status == "queued") s.queued++;
      else if (status == "pin_error" || status == "cluster_error" || status == "error") {
        s.errors++;
        if (s.first_error.empty()) s.first_error = peer + ": " + status + (str_field(st, "error").empty() ? "" : " " + excerpt(str_field(st, "error")));
      }
    }
    return s;
  }

  std::string endpoint_, auth_, gateway_;
  std::chrono::seconds pin_timeout_;
  std::chrono::milliseconds timeout_;
  SessionPool sessions_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_ipfs_cluster_backend(const TypeArgs& a) {
  std::string endpoint = TRY(a.required("endpoint"));
  std::string token = TRY(a.field("token"));
  std::string gateway = TRY(a.field("gateway"));
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  while (!gateway.empty() && gateway.back() == '/') gateway.pop_back();
  const nlohmann::json& s = *a.section;
  const int64_t t = s.contains("pin_timeout") && s["pin_timeout"].is_number_integer() ? s["pin_timeout"].get<int64_t>() : 600;
  return std::unique_ptr<Backend>(
      new ClusterBackend(a.info, endpoint, token, gateway, std::chrono::seconds(t), a.env->request_timeout));
}

}  // namespace ipfskit::backends
