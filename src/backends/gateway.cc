// The `gateway` backend (the seeds' `lassie`): blocks read from a trustless
// HTTP gateway or a Lassie daemon, every one hash-checked. Retrieval only:
// it holds nothing of ours, so it is never counted as a replica.
//
// A block is asked for as application/vnd.ipld.raw; a server that only
// speaks CAR (Lassie) gets a dag-scope=block CAR request instead.
#include "backends/transfer.h"
#include "backends/types.h"
#include "car/car.h"

namespace ipfskit::backends {

namespace {

constexpr uint64_t kMaxBlock = 8 << 20;
constexpr const char* kRetrievalOnly = "a gateway is a read source, not a place pins are kept";

class GatewayBackend final : public Backend {
 public:
  GatewayBackend(BackendInfo info, std::string url, std::chrono::milliseconds timeout)
      : Backend(std::move(info)), url_(std::move(url)), timeout_(timeout) {}

  Capabilities capabilities() const override {
    Capabilities c;
    c.get_blocks = true;
    c.proof = kReadBack;
    return c;
  }

  std::optional<HttpProbe> http_probe(std::chrono::milliseconds timeout) override {
    // The empty identity CID: every trustless gateway answers it without
    // touching the network, so this measures the gateway itself.
    HttpProbe p;
    p.request.url = url_ + "/ipfs/bafkqaaa?format=raw";
    p.request.headers.push_back("Accept: application/vnd.ipld.raw");
    p.request.timeout = timeout;
    p.request.max_response_bytes = 1024;
    p.check = [this](Result<HttpResponse> res) -> Result<ProbeResult> {
      if (!res) return tl::unexpected(res.error());
      if (res->status != 200) return tl::unexpected(http_error(label() + ": probe", *res));
      if (!res->body.empty())
        return corruption(label() + ": the empty identity block came back with " + std::to_string(res->body.size()) + " bytes");
      ProbeResult r;
      r.details = {{"url", url_}};
      return r;
    };
    return p;
  }

  Result<std::string> put_block(const Cid&, ByteView) override { return unsupported_op("store blocks", kRetrievalOnly); }
  Status remove_block(const Cid&) override { return unsupported_op("remove blocks", kRetrievalOnly); }
  Result<PinReceipt> pin(const PinSpec&, BlockSource&, const CancelToken*) override {
    return unsupported_op("pin", kRetrievalOnly);
  }
  Result<std::optional<RemotePin>> pin_status(const Cid&) override { return unsupported_op("report pins", kRetrievalOnly); }
  Status unpin(const Cid&) override { return unsupported_op("unpin", kRetrievalOnly); }
  Status list_pins(const std::function<Status(const RemotePin&)>&) override {
    return unsupported_op("list pins", kRetrievalOnly);
  }

  Result<bool> has_block(const Cid& cid) override {
    auto b = fetch_block(cid);
    if (b) return true;
    if (b.error().code() == Code::kNotFound) return false;
    return tl::unexpected(b.error());
  }

  Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel) override {
    HttpRequest req;
    req.url = url_ + "/ipfs/" + root.to_string() + "?format=car&dag-scope=all";
    req.headers.push_back("Accept: application/vnd.ipld.car");
    req.headers.push_back(kFallbackHeader);
    return verify_car_over_http(sessions_, req, root, label() + ": reading " + root.to_string() + " back", cancel);
  }

 protected:
  Result<Bytes> fetch_block(const Cid& cid) override {
    HttpRequest req;
    req.url = url_ + "/ipfs/" + cid.to_string() + "?format=raw";
    req.headers.push_back("Accept: application/vnd.ipld.raw");
    req.headers.push_back(kFallbackHeader);
    req.timeout = timeout_;
    req.max_response_bytes = kMaxBlock;
    auto session = sessions_.acquire();
    HttpResponse res = TRY(session->perform(req));
    if (res.status == 200) return to_bytes(res.body);
    if (res.status == 404 || res.status == 410) return not_found(label() + " does not have " + cid.to_string());
    if (res.status != 400 && res.status != 406 && res.status != 501) return tl::unexpected(http_error(label(), res));
    // A CAR-only server: one block as a CAR.
    req.url = url_ + "/ipfs/" + cid.to_string() + "?format=car&dag-scope=block";
    req.headers = {"Accept: application/vnd.ipld.car", kFallbackHeader};
    req.max_response_bytes = kMaxBlock + 4096;
    res = TRY(session->perform(req));
    if (res.status == 404 || res.status == 410) return not_found(label() + " does not have " + cid.to_string());
    if (res.status != 200) return tl::unexpected(http_error(label(), res));
    MemoryReader in(as_bytes(res.body));
    auto reader = TRY(car::Reader::open(in));
    for (;;) {
      auto block = TRY(reader->next());
      if (!block) break;
      if (block->cid.multihash() == cid.multihash()) return std::move(block->data);
    }
    return not_found(label() + " answered without " + cid.to_string());
  }

 private:
  std::string url_;
  std::chrono::milliseconds timeout_;
  SessionPool sessions_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_gateway_backend(const TypeArgs& a) {
  std::string url = TRY(a.required("url"));
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() > 5 && url.compare(url.size() - 5, 5, "/ipfs") == 0) url.resize(url.size() - 5);
  return std::unique_ptr<Backend>(new GatewayBackend(a.info, url, a.env->request_timeout));
}

}  // namespace ipfskit::backends
