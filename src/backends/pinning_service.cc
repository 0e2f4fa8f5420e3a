// The `pinning_service` backend: a client of the IPFS Pinning Service API
// (https://ipfs.github.io/pinning-services-api-spec/): Pinata, Filebase,
// another ipfs-kit daemon's /psa.
//
// The API takes a pin request (CID, name, meta, and `origins`: where the
// service can fetch the DAG from) and the service fetches the DAG itself; it
// has no call to push blocks or read them back. So a pin here is queued,
// then polled until it is pinned or failed (or pin_timeout passes, when it is
// reported as still queued or pinning), and its copy is proved only when a
// `gateway` of the service is configured to read it back from; otherwise the
// receipt says the copy is unverified.
#include <set>

#include "backends/json_util.h"
#include "backends/poll.h"
#include "backends/transfer.h"
#include "backends/types.h"

namespace ipfskit::backends {

using nlohmann::json;

namespace {

constexpr const char* kAllStatuses = "queued,pinning,pinned,failed";

struct PinStatusDoc {
  std::string requestid;
  std::string status;
  RemotePin pin;
  json delegates = json::array();
  json info = json::object();
};

class PinningServiceBackend final : public Backend {
 public:
  PinningServiceBackend(BackendInfo info, std::string endpoint, std::string token, std::string gateway,
                        std::chrono::seconds pin_timeout, std::chrono::milliseconds timeout)
      : Backend(std::move(info)), endpoint_(std::move(endpoint)), auth_("Bearer " + token), gateway_(std::move(gateway)),
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
    p.request = make_request("GET", "/pins?limit=1", nullptr, timeout);
    p.check = [this](Result<HttpResponse> res) -> Result<ProbeResult> {
      json j = TRY(answer("GET", "/pins", std::move(res)));
      if (!j.is_object() || !j.contains("count") || !j["count"].is_number_integer() || !j.contains("results") ||
          !j["results"].is_array())
        return corruption(label() + ": GET /pins did not answer {count, results}");
      ProbeResult r;
      r.details = {{"endpoint", endpoint_}, {"pinned", j["count"]}};
      return r;
    };
    return p;
  }

  Result<PinReceipt> pin(const PinSpec& spec, BlockSource&, const CancelToken* cancel) override {
    const auto start = std::chrono::steady_clock::now();
    json body = {{"cid", spec.cid.to_string()}};
    if (!spec.name.empty()) body["name"] = spec.name;
    if (!spec.origins.empty()) body["origins"] = spec.origins;
    if (!spec.meta.empty()) body["meta"] = spec.meta;
    const std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);

    // One request per CID: reuse an existing one, replace a failed one.
    std::vector<PinStatusDoc> existing = TRY(find(spec.cid));
    PinStatusDoc doc;
    if (!existing.empty() && existing.front().status != "failed") {
      doc = existing.front();
    } else {
      const std::string path = existing.empty() ? "/pins" : "/pins/" + uri_encode(existing.front().requestid);
      doc = TRY(parse_status(TRY(call("POST", path, &text, timeout_))));
    }
    // Until it settles (the status just answered is the first look).
    bool first = true;
    TRY(poll_until_settled(pin_timeout_, cancel, [&]() -> Result<bool> {
      if (!first) doc = TRY(parse_status(TRY(call("GET", "/pins/" + uri_encode(doc.requestid), nullptr, timeout_))));
      first = false;
      return doc.status != "queued" && doc.status != "pinning";
    }));
    if (doc.status == "failed")
      return make_error(Code::kIOError, label() + ": the service failed to pin " + spec.cid.to_string() +
                                            (doc.info.empty() ? "" : ": " + excerpt(doc.info.dump(), 300)));
    PinReceipt r;
    r.status = doc.status;
    r.details = {{"requestid", doc.requestid}, {"delegates", doc.delegates}};
    if (doc.status == "pinned" && spec.verify && !gateway_.empty())
      TRY_STATUS(prove_by_reading_back(spec.cid, r, cancel, " through " + gateway_));
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

  Result<std::optional<RemotePin>> pin_status(const Cid& cid) override {
    std::vector<PinStatusDoc> found = TRY(find(cid));
    if (found.empty()) return std::optional<RemotePin>();
    return std::optional<RemotePin>(found.front().pin);
  }

  Status unpin(const Cid& cid) override {
    std::vector<PinStatusDoc> found = TRY(find(cid));
    if (found.empty()) return not_found(label() + " holds no pin of " + cid.to_string());
    for (const auto& d : found) TRY(call("DELETE", "/pins/" + uri_encode(d.requestid), nullptr, timeout_));
    return {};
  }

  Status list_pins(const std::function<Status(const RemotePin&)>& fn) override {
    // Newest first, 1000 at a time, paging with `before` (the oldest seen).
    std::string before;
    std::set<std::string> seen;
    for (int page = 0; page < 100000; ++page) {
      std::string path = "/pins?limit=1000&status=" + std::string(kAllStatuses);
      if (!before.empty()) path += "&before=" + uri_encode(before);
      json j = TRY(call("GET", path, nullptr, timeout_));
      if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
        return corruption(label() + ": GET /pins did not answer {count, results}");
      bool any_new = false;
      std::optional<int64_t> oldest;
      std::string oldest_text;
      for (const auto& item : j["results"]) {
        PinStatusDoc d = TRY(parse_status(item));
        const std::string created = str_field(item, "created");
        if (auto t = parse_time(created); t && (!oldest || *t < *oldest)) {
          oldest = t;
          oldest_text = created;
        }
        if (!seen.insert(d.requestid).second) continue;
        any_new = true;
        TRY_STATUS(fn(d.pin));
      }
      if (j["results"].size() < 1000 || !any_new || oldest_text.empty()) return {};
      before = oldest_text;
    }
    return {};
  }

  Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel) override {
    if (gateway_.empty())
      return unsupported_op("read a DAG back", "the Pinning Service API cannot serve blocks; set backends." + info().name +
                                                   ".gateway to a gateway of the service");
    HttpRequest req;
    req.url = gateway_ + "/ipfs/" + root.to_string() + "?format=car&dag-scope=all";
    req.headers.push_back("Accept: application/vnd.ipld.car");
    req.headers.push_back(kFallbackHeader);
    return verify_car_over_http(sessions_, req, root, label() + ": reading " + root.to_string() + " back", cancel);
  }

 protected:
  Result<Bytes> fetch_block(const Cid& cid) override {
    if (gateway_.empty()) return unsupported_op("read blocks", "the Pinning Service API cannot serve blocks");
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
  // Every request for `cid`, newest first.
  Result<std::vector<PinStatusDoc>> find(const Cid& cid) {
    json j = TRY(call("GET", "/pins?limit=1000&status=" + std::string(kAllStatuses) + "&cid=" + uri_encode(cid.to_string()),
                      nullptr, timeout_));
    if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
      return corruption(label() + ": GET /pins did not answer {count, results}");
    std::vector<PinStatusDoc> out;
    for (const auto& item : j["results"]) {
      PinStatusDoc d = TRY(parse_status(item));
      if (d.pin.cid.multihash() == cid.multihash()) out.push_back(std::move(d));
    }
    std::stable_sort(out.begin(), out.end(), [](const PinStatusDoc& a, const PinStatusDoc& b) { return a.pin.created > b.pin.created; });
    return out;
  }

  Result<PinStatusDoc> parse_status(const json& j) const {
    auto bad = [&](const std::string& why) { return corruption(label() + ": malformed PinStatus: " + why); };
    if (!j.is_object()) return bad("not an object");
    PinStatusDoc d;
    d.requestid = str_field(j, "requestid");
    d.status = str_field(j, "status");
    if (d.requestid.empty() || d.requestid.size() > 1024) return bad("no requestid");
    if (d.status != "queued" && d.status != "pinning" && d.status != "pinned" && d.status != "failed")
      return bad("unknown status \"" + excerpt(d.status, 32) + "\"");
    if (!j.contains("pin") || !j["pin"].is_object()) return bad("no pin object");
    const json& p = j["pin"];
    auto cid = Cid::parse(str_field(p, "cid"));
    if (!cid) return bad("invalid cid");
    d.pin.cid = *cid;
    d.pin.name = str_field(p, "name");
    if (p.contains("meta") && p["meta"].is_object())
      for (auto& [k, v] : p["meta"].items())
        if (v.is_string()) d.pin.meta[k] = v.get<std::string>();
    d.pin.status = d.status;
    d.pin.created = parse_time(str_field(j, "created")).value_or(0);
    if (j.contains("delegates") && j["delegates"].is_array()) d.delegates = j["delegates"];
    if (j.contains("info") && j["info"].is_object()) d.info = j["info"];
    d.pin.details = {{"requestid", d.requestid}};
    return d;
  }

  HttpRequest make_request(const std::string& method, const std::string& path, const std::string* body,
                           std::chrono::milliseconds timeout) const {
    HttpRequest req;
    req.method = method;
    req.url = endpoint_ + path;
    req.headers = {"Authorization: " + auth_, "Accept: application/json"};
    if (body != nullptr) {
      req.body = body;
      req.headers.push_back("Content-Type: application/json");
    }
    req.timeout = timeout;
    req.max_response_bytes = 32 << 20;
    return req;
  }

  // An API answer as JSON; the spec's error document {"error": {"reason",
  // "details"}} becomes the message.
  Result<json> answer(const std::string& method, const std::string& path, Result<HttpResponse> got) const {
    const std::string what = label() + ": " + method + " " + path.substr(0, path.find('?'));
    if (!got) return tl::unexpected(got.error().wrap(label()));
    const HttpResponse& res = *got;
    if (res.status < 200 || res.status >= 300) {
      json e = json::parse(res.body, nullptr, false);
      if (!e.is_discarded() && e.is_object() && e.contains("error") && e["error"].is_object()) {
        HttpResponse shown = res;
        shown.body = str_field(e["error"], "reason") + ": " + str_field(e["error"], "details");
        return tl::unexpected(http_error(what, shown));
      }
      return tl::unexpected(http_error(what, res));
    }
    if (method == "DELETE") return json::object();
    json j = json::parse(res.body, nullptr, false);
    if (j.is_discarded()) return corruption(what + " answered with malformed JSON");
    return j;
  }

  // One API call.
  Result<json> call(const std::string& method, const std::string& path, const std::string* body,
                    std::chrono::milliseconds timeout) {
    HttpRequest req = make_request(method, path, body, timeout);
    auto session = sessions_.acquire();
    return answer(method, path, session->perform(req));
  }

  std::string endpoint_, auth_, gateway_;
  std::chrono::seconds pin_timeout_;
  std::chrono::milliseconds timeout_;
  SessionPool sessions_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_pinning_service_backend(const TypeArgs& a) {
  std::string endpoint = TRY(a.required("endpoint"));
  std::string token = TRY(a.required("token"));
  std::string gateway = TRY(a.field("gateway"));
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.size() > 5 && endpoint.compare(endpoint.size() - 5, 5, "/pins") == 0) endpoint.resize(endpoint.size() - 5);
  while (!gateway.empty() && gateway.back() == '/') gateway.pop_back();
  const nlohmann::json& s = *a.section;
  const int64_t t = s.contains("pin_timeout") && s["pin_timeout"].is_number_integer() ? s["pin_timeout"].get<int64_t>() : 600;
  return std::unique_ptr<Backend>(new PinningServiceBackend(a.info, endpoint, token, gateway, std::chrono::seconds(t),
                                                            a.env->request_timeout));
}

}  // namespace ipfskit::backends
