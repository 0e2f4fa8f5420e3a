// The `s3` backend: any S3-compatible object store.
//
// Key layout under the configured prefix (documented in the README):
//   <prefix>ipfs-kit.json              what this layout is (written once)
//   <prefix>blocks/<shard>/<key>       one object per block: its bytes
//   <prefix>pins/<cid>.json            one small object per pin (pin_record.h)
// key is the block's multihash in base32 (upper case, no padding) and shard
// the two characters before its last one, exactly as in Kubo's flatfs: the
// shards spread writes over 1024 key prefixes (S3 throttles per prefix), and
// the same names work on a disk and in a bucket. <cid> is CIDv1 in base32.
//
// Requests are signed with AWS Signature V4 by libcurl (CURLOPT_AWS_SIGV4).
// Bodies are sent in one piece with x-amz-content-sha256 (the hex SHA-256
// the signature covers) and x-amz-checksum-sha256 (base64): a store that
// checks it refuses a damaged body, and one that echoes it back has proved
// the bytes it stored ("s3-checksum-sha256"). Without that echo the copy is
// proved by reading it back. 5xx answers, throttling (429, SlowDown) and
// dropped connections are retried with capped exponential backoff and jitter.
#include <random>
#include <thread>

#include "backends/flatfs.h"
#include "backends/http.h"
#include "backends/pin_record.h"
#include "backends/s3_xml.h"
#include "backends/types.h"
#include "crypto/hash.h"
#include "multiformats/multibase.h"

namespace ipfskit::backends {

using nlohmann::json;

namespace {

constexpr uint64_t kMaxBlock = 8 << 20;
constexpr int kMaxAttempts = 5;
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Body {
  ByteView data;
  std::string sha256_hex;
  std::string sha256_b64;
};

Body body_of(ByteView data, const Multihash* known) {
  Body b;
  b.data = data;
  crypto::Sha256Digest d{};
  if (known != nullptr && known->code() == multihash::kSha2_256 && known->digest().size() == 32)
    std::copy(known->digest().begin(), known->digest().end(), d.begin());  // the block's own hash: no need to re-hash
  else
    d = crypto::sha256(data);
  b.sha256_hex = to_hex(ByteView(d.data(), d.size()));
  b.sha256_b64 = multibase::encode_raw(multibase::Base::kBase64Pad, ByteView(d.data(), d.size()));
  return b;
}

class S3Backend final : public Backend {
 public:
  struct Options {
    std::string endpoint, bucket, region, prefix, access_key, secret_key;
    bool path_style = true;
    size_t concurrency = 16;
    std::chrono::milliseconds timeout{60000};
  };

  S3Backend(BackendInfo info, Options o) : Backend(std::move(info)), o_(std::move(o)) {
    const size_t scheme = o_.endpoint.find("://");
    const size_t path_start = o_.endpoint.find('/', scheme + 3);
    const std::string host = o_.endpoint.substr(scheme + 3, path_start == std::string::npos ? std::string::npos : path_start - scheme - 3);
    const std::string path = path_start == std::string::npos ? "" : o_.endpoint.substr(path_start);
    base_ = o_.path_style ? o_.endpoint + "/" + uri_encode(o_.bucket)
                          : o_.endpoint.substr(0, scheme + 3) + o_.bucket + "." + host + path;
    sigv4_ = "aws:amz:" + o_.region + ":s3";
    userpwd_ = o_.access_key + ":" + o_.secret_key;
  }

  Capabilities capabilities() const override {
    Capabilities c;
    c.put_blocks = c.get_blocks = c.pin = c.list_pins = c.replica = true;
    c.proof = kS3Checksum;  // when the store echoes it; read-back otherwise
    return c;
  }

  std::optional<HttpProbe> http_probe(std::chrono::milliseconds timeout) override {
    // Listing is what a restore needs, and it checks bucket and credentials.
    HttpProbe p;
    p.request = make_request("GET", "", "list-type=2&max-keys=1&prefix=" + uri_encode(o_.prefix), nullptr, {}, 1 << 20, timeout);
    p.check = [this](Result<HttpResponse> res) -> Result<ProbeResult> {
      if (!res) return tl::unexpected(res.error().wrap(label()));
      if (res->status != 200) return tl::unexpected(s3_error("probe", *res));
      TRY(s3xml::parse_list(res->body).map_error([&](Error e) { return e.wrap(label()); }));
      ProbeResult r;
      r.details = {{"endpoint", o_.endpoint}, {"bucket", o_.bucket}, {"prefix", o_.prefix}};
      return r;
    };
    return p;
  }

  Result<Usage> usage() override {
    Usage u;
    uint64_t blocks = 0, bytes = 0, pins = 0;
    TRY_STATUS(list(o_.prefix + "blocks/", [&](const s3xml::Object& obj) -> Status {
      blocks++;
      bytes += obj.size;
      return {};
    }));
    TRY_STATUS(list(o_.prefix + "pins/", [&](const s3xml::Object&) -> Status {
      pins++;
      return {};
    }));
    u.blocks = blocks;
    u.bytes_used = bytes;
    u.pins = pins;
    return u;
  }

  Result<std::string> put_block(const Cid& cid, ByteView data) override {
    Body body = body_of(data, &cid.multihash());
    HttpResponse res = TRY(request("PUT", block_key(cid), "", &body, {"Content-Type: application/octet-stream"}, 1 << 20,
                                   o_.timeout, true));
    if (res.status < 200 || res.status >= 300) return tl::unexpected(s3_error("put " + cid.to_string(), res));
    // Proven only if the store computed the same SHA-256 and said so.
    return res.header("x-amz-checksum-sha256") == body.sha256_b64 ? std::string(kS3Checksum) : std::string();
  }

  Result<bool> has_block(const Cid& cid) override {
    HttpResponse res = TRY(request("HEAD", block_key(cid), "", nullptr, {}, 1 << 20, o_.timeout, true));
    if (res.status == 200) return true;
    if (res.status == 404) return false;
    return tl::unexpected(s3_error("head " + cid.to_string(), res));
  }

  Status remove_block(const Cid& cid) override {
    if (!TRY(has_block(cid))) return not_found(label() + " has no block " + cid.to_string());
    HttpResponse res = TRY(request("DELETE", block_key(cid), "", nullptr, {}, 1 << 20, o_.timeout, true));
    if (res.status < 200 || res.status >= 300) return tl::unexpected(s3_error("delete " + cid.to_string(), res));
    return {};
  }

  Result<PinReceipt> pin(const PinSpec& spec, BlockSource& source, const CancelToken* cancel) override {
    const auto start = std::chrono::steady_clock::now();
    TRY_STATUS(write_layout_marker());
    PushStats stats = TRY(push_dag(source, spec.cid, o_.concurrency, [&](const Cid& c, ByteView d) { return put_block(c, d); },
                                   cancel));
    // The record last: a record in the bucket means every block was stored.
    const std::string record = pin_record(spec, stats, unix_now());
    Body body = body_of(as_bytes(record), nullptr);
    HttpResponse res = TRY(request("PUT", o_.prefix + "pins/" + pin_record_name(spec.cid), "", &body,
                                   {"Content-Type: application/json"}, 1 << 20, o_.timeout, true));
    if (res.status < 200 || res.status >= 300) return tl::unexpected(s3_error("put the pin record", res));
    PinReceipt r;
    r.blocks = stats.blocks;
    r.bytes = stats.bytes;
    if (stats.all_proven && stats.proof == kS3Checksum) {
      r.verified_by = kS3Checksum;
      r.verified_at = unix_now();
    } else if (spec.verify) {
      TRY_STATUS(prove_by_reading_back(spec.cid, r, cancel));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

  Result<std::optional<RemotePin>> pin_status(const Cid& cid) override {
    return read_record(o_.prefix + "pins/" + pin_record_name(cid));
  }

  Status unpin(const Cid& cid) override {
    if (!TRY(pin_status(cid))) return not_found(label() + " holds no pin of " + cid.to_string());
    HttpResponse res = TRY(request("DELETE", o_.prefix + "pins/" + pin_record_name(cid), "", nullptr, {}, 1 << 20, o_.timeout, true));
    if (res.status < 200 || res.status >= 300) return tl::unexpected(s3_error("delete the pin record", res));
    return {};  // the blocks stay: other pins may share them
  }

  Status list_pins(const std::function<Status(const RemotePin&)>& fn) override {
    return list(o_.prefix + "pins/", [&](const s3xml::Object& obj) -> Status {
      if (obj.key.size() < 5 || obj.key.compare(obj.key.size() - 5, 5, ".json") != 0) return {};
      auto p = TRY(read_record(obj.key));
      if (!p) return {};  // removed meanwhile
      return fn(*p);
    });
  }

  Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel) override {
    return verify_by_walking(*this, root, o_.concurrency, cancel);
  }

 protected:
  Result<Bytes> fetch_block(const Cid& cid) override {
    HttpResponse res = TRY(request("GET", block_key(cid), "", nullptr, {}, kMaxBlock, o_.timeout, true));
    if (res.status == 404) return not_found(label() + " has no block " + cid.to_string());
    if (res.status != 200) return tl::unexpected(s3_error("get " + cid.to_string(), res));
    return to_bytes(res.body);
  }

 private:
  std::string block_key(const Cid& cid) const {
    const std::string key = flatfs::key_of(cid.multihash());
    return o_.prefix + "blocks/" + flatfs::shard_of(key) + "/" + key;
  }

  Status write_layout_marker() {
    std::lock_guard lock(marker_mu_);
    if (marker_written_) return {};
    json doc = {{"format", "ipfs-kit-s3/1"},
                {"blocks", o_.prefix + "blocks/<shard>/<key>"},
                {"pins", o_.prefix + "pins/<cid>.json"},
                {"key", "the block's multihash, base32 upper case without padding"},
                {"shard", "the two characters before the key's last one (Kubo's flatfs next-to-last/2)"},
                {"pin_record", kPinRecordFormat}};
    const std::string text = doc.dump(2) + "\n";
    Body body = body_of(as_bytes(text), nullptr);
    HttpResponse res =
        TRY(request("PUT", o_.prefix + "ipfs-kit.json", "", &body, {"Content-Type: application/json"}, 1 << 20, o_.timeout, true));
    if (res.status < 200 || res.status >= 300) return tl::unexpected(s3_error("write the layout marker", res));
    marker_written_ = true;
    return {};
  }

  Result<std::optional<RemotePin>> read_record(const std::string& key) {
    HttpResponse res = TRY(request("GET", key, "", nullptr, {}, kMaxPinRecordBytes, o_.timeout, true));
    if (res.status == 404) return std::optional<RemotePin>();
    if (res.status != 200) return tl::unexpected(s3_error("get " + key, res));
    auto p = parse_pin_record(res.body);
    if (!p) return tl::unexpected(p.error().wrap(label() + ": " + key));
    return std::optional<RemotePin>(std::move(*p));
  }

  // Every object under `prefix`, page by page.
  Status list(const std::string& prefix, const std::function<Status(const s3xml::Object&)>& fn) {
    std::string token;
    for (;;) {
      // Query parameters in the order SigV4's canonical form wants (sorted).
      std::string query;
      if (!token.empty()) query += "continuation-token=" + uri_encode(token) + "&";
      query += "list-type=2&max-keys=1000&prefix=" + uri_encode(prefix);
      HttpResponse res = TRY(request("GET", "", query, nullptr, {}, 16 << 20, o_.timeout, true));
      if (res.status != 200) return tl::unexpected(s3_error("list " + prefix, res));
      s3xml::ListPage page = TRY(s3xml::parse_list(res.body).map_error([&](Error e) { return e.wrap(label()); }));
      for (const auto& obj : page.objects) {
        if (obj.key.rfind(prefix, 0) != 0) return corruption(label() + ": the listing of " + prefix + " returned " + excerpt(obj.key));
        TRY_STATUS(fn(obj));
      }
      if (!page.truncated) return {};
      if (page.next_token == token) return corruption(label() + ": the listing repeats its continuation token");
      token = page.next_token;
    }
  }

  static bool retryable(const HttpResponse& r) {
    if (r.status == 429 || r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504) return true;
    if (r.status == 400 || r.status == 403) {
      auto e = s3xml::parse_error(r.body);
      return e && (e->code == "RequestTimeout" || e->code == "SlowDown" || e->code == "RequestTimeTooSkewed");
    }
    return false;
  }

  // One signed request (the body, when given, must outlive it).
  HttpRequest make_request(const std::string& method, const std::string& key, const std::string& query, const Body* body,
                           const std::vector<std::string>& headers, uint64_t max_response,
                           std::chrono::milliseconds timeout) const {
    HttpRequest req;
    req.method = method;
    req.url = base_ + "/" + uri_encode(key, /*keep_slash=*/true) + (query.empty() ? "" : "?" + query);
    req.headers = headers;
    req.headers.push_back("x-amz-content-sha256: " + (body != nullptr ? body->sha256_hex : kEmptySha256));
    if (body != nullptr) {
      req.headers.push_back("x-amz-checksum-sha256: " + body->sha256_b64);
      req.body_bytes = body->data;
      if (body->data.empty()) req.body = &empty_;
    }
    req.aws_sigv4 = sigv4_;
    req.userpwd = userpwd_;
    req.timeout = timeout;
    req.max_response_bytes = max_response;
    return req;
  }

  // One signed request; transient failures are retried (when `retry`).
  Result<HttpResponse> request(const std::string& method, const std::string& key, const std::string& query, const Body* body,
                               const std::vector<std::string>& headers, uint64_t max_response,
                               std::chrono::milliseconds timeout, bool retry) {
    HttpRequest req = make_request(method, key, query, body, headers, max_response, timeout);
    thread_local std::mt19937 rng(std::random_device{}());
    for (int attempt = 1;; ++attempt) {
      auto session = sessions_.acquire();
      auto res = session->perform(req);
      bool again = false;
      if (!res) {
        const Code c = res.error().code();
        again = c == Code::kUnavailable || c == Code::kTimeout || c == Code::kIOError;
        if (!again || !retry || attempt >= kMaxAttempts) return tl::unexpected(res.error().wrap(label()));
      } else if (retry && attempt < kMaxAttempts && retryable(*res)) {
        again = true;
      } else {
        return res;
      }
      // 100 ms, 200 ms, 400 ms, ... up to 3 s, each between half and all of it.
      const int64_t cap = std::min<int64_t>(3000, 100LL << (attempt - 1));
      std::uniform_int_distribution<int64_t> jitter(cap / 2, cap);
      std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
    }
  }

  Error s3_error(const std::string& what, const HttpResponse& r) const {
    auto e = s3xml::parse_error(r.body);
    if (!e) {
      Error h = http_error(label() + ": " + what, r);
      if (r.status == 404 && what == "probe") return Error(Code::kNotFound, label() + ": bucket " + o_.bucket + " not found");
      return h;
    }
    std::string msg = label() + ": " + what + ": " + excerpt(e->code, 64) + (e->message.empty() ? "" : ": " + excerpt(e->message));
    if (e->code == "InvalidAccessKeyId" || e->code == "SignatureDoesNotMatch" || e->code == "AccessDenied" ||
        e->code == "InvalidToken" || e->code == "ExpiredToken")
      return Error(Code::kPermissionDenied, msg + " (check access_key and secret_key)");
    if (e->code == "NoSuchBucket") return Error(Code::kNotFound, label() + ": bucket " + o_.bucket + " does not exist");
    if (e->code == "NoSuchKey") return Error(Code::kNotFound, msg);
    if (e->code == "SlowDown" || r.status == 503) return Error(Code::kUnavailable, msg);
    if (e->code == "BadDigest" || e->code == "XAmzContentSHA256Mismatch") return Error(Code::kCorruption, msg);
    return Error(r.status == 400 ? Code::kInvalidArgument : Code::kIOError, msg);
  }

  Options o_;
  std::string base_, sigv4_, userpwd_;
  const std::string empty_;
  SessionPool sessions_;
  std::mutex marker_mu_;
  bool marker_written_ = false;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_s3_backend(const TypeArgs& a) {
  S3Backend::Options o;
  o.bucket = TRY(a.required("bucket"));
  o.access_key = TRY(a.required("access_key"));
  o.secret_key = TRY(a.required("secret_key"));
  o.region = TRY(a.field("region"));
  if (o.region.empty()) o.region = "us-east-1";
  o.endpoint = TRY(a.field("endpoint"));
  const bool custom_endpoint = !o.endpoint.empty();
  if (!custom_endpoint) o.endpoint = "https://s3." + o.region + ".amazonaws.com";
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  o.prefix = TRY(a.field("prefix"));
  if (!o.prefix.empty() && o.prefix.back() != '/') o.prefix += '/';
  // Self-hosted stores (MinIO, Ceph, s3rver) usually want path-style URLs;
  // AWS wants virtual-hosted ones.
  const nlohmann::json& s = *a.section;
  o.path_style = s.contains("path_style") && s["path_style"].is_boolean() ? s["path_style"].get<bool>() : custom_endpoint;
  if (s.contains("concurrency") && s["concurrency"].is_number_integer()) o.concurrency = s["concurrency"].get<size_t>();
  o.timeout = a.env->request_timeout;
  for (char c : o.bucket)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'))
      return invalid_argument("backends." + a.info.name + ".bucket: \"" + o.bucket + "\" is not a valid bucket name");
  return std::unique_ptr<Backend>(new S3Backend(a.info, std::move(o)));
}

}  // namespace ipfskit::backends
