// A storage backend: a place where pinned DAGs live besides the embedded
// node (another node, an object store, a directory, a pinning service, a
// cluster), or a place to read blocks from (a gateway).
//
// The interface is narrow and honest:
//  - Block stores (ipfs, kubo, s3, filesystem) take and hand out single
//    blocks; node-like backends (kubo, ipfs_cluster, pinning_service) take a
//    whole DAG and pin it with a name and metadata. Every backend that holds
//    pins lists them with their names and metadata, so that a repository can
//    be restored from that backend alone.
//  - What a backend cannot do is stated in capabilities(), and every such
//    call answers Unsupported with the reason, never a pretend success.
//  - get_block() hands out only bytes that hash to the CID asked for: the
//    check is made here, in the non-virtual entry point, whatever the
//    implementation fetched. A backend that sends wrong bytes gets a
//    Corruption error, and the bytes are dropped.
//  - A copy counts as verified only with a proof (see PinReceipt::verified_by):
//    its blocks were read back from the backend and re-hashed ("read-back"),
//    or the backend's protocol proved them ("s3-checksum-sha256": the store
//    computed the SHA-256 of each body and echoed a match).
//
// Thread safety: every method may be called from several threads at once.
// Calls that reach a remote service honour the timeouts given in the
// backend's options and return Unavailable, Timeout or PermissionDenied
// with a message naming the backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/cancel.h"
#include "base/error.h"
#include "backends/http.h"
#include "base/io.h"
#include "blockstore/blockstore.h"
#include "multiformats/cid.h"

namespace ipfskit::backends {

// Proofs of a copy's bytes.
inline constexpr const char* kReadBack = "read-back";
inline constexpr const char* kS3Checksum = "s3-checksum-sha256";

// Sent with every block or DAG read from a gateway (kubo, gateway,
// pinning_service and ipfs_cluster types). An ipfs-kit gateway that gets it
// answers from its repository alone, without falling back to its own
// backends: reads that fall back from node to node never loop, and a read
// back proves what that node holds. Other gateways ignore it.
inline constexpr const char* kFallbackHeader = "X-Ipfs-Kit-Fallback: 1";
// Kubo's way to ask its gateway for local blocks only (412 when it has
// none): sent to kubo backends, whose copy is what a read back must see.
inline constexpr const char* kOnlyIfCachedHeader = "Cache-Control: only-if-cached";

struct BackendInfo {
  std::string name;
  std::string type;
  std::vector<std::string> tags;
  std::string failure_domain;
};

struct Capabilities {
  bool put_blocks = false;   // put_block, remove_block
  bool get_blocks = false;   // get_block, has_block
  bool pin = false;          // pin, unpin, pin_status
  bool list_pins = false;    // list_pins (names and metadata)
  bool replica = false;      // its copies count toward a pin's replicas
  // The strongest proof of a copy it can give (kReadBack, kS3Checksum), or
  // "" when only the service's word is available.
  std::string proof;
  // pin() hands the DAG (or a request for it) to a service that goes on
  // pinning after the call returns: a receipt may say "queued" or "pinning",
  // and pin_status() then tells how it goes without submitting it again
  // (pinning_service, ipfs_cluster).
  bool pins_in_background = false;
  // Why this backend can do nothing (lotus, storacha); "" otherwise.
  std::string unsupported_reason;

  // A repository can be rebuilt from this backend alone.
  bool restorable() const { return list_pins && get_blocks; }
};
nlohmann::json to_json(const Capabilities& c);

// What to pin where.
struct PinSpec {
  Cid cid;
  std::string name;
  std::map<std::string, std::string> meta;
  int replication_min = 0;  // ipfs_cluster only; 0: the cluster's defaults
  int replication_max = 0;
  // Multiaddrs where a pinning service can fetch the DAG (our gateway, as
  // /ip4/127.0.0.1/tcp/8080/http). Other types ignore them.
  std::vector<std::string> origins;
  // Read the copy back (when the protocol proves nothing by itself). A pin
  // without verification reports verified_by "".
  bool verify = true;
};

struct PinReceipt {
  // "pinned"; "queued" or "pinning" when a service is still working on it
  // (pinning_service, ipfs_cluster past their pin_timeout).
  std::string status = "pinned";
  uint64_t blocks = 0;  // blocks (and their bytes) sent by us
  uint64_t bytes = 0;
  std::string verified_by;  // kReadBack, kS3Checksum, or "" (not proven)
  int64_t verified_at = 0;  // unix seconds; 0 when not verified
  double seconds = 0;
  nlohmann::json details = nlohmann::json::object();
};
nlohmann::json to_json(const PinReceipt& r);

// A pin as a backend holds it.
struct RemotePin {
  Cid cid;
  std::string name;
  std::map<std::string, std::string> meta;
  std::string status = "pinned";  // pinned, pinning, queued, failed
  int64_t created = 0;            // unix seconds; 0 when unknown
  nlohmann::json details = nlohmann::json::object();
};
nlohmann::json to_json(const RemotePin& p);

// The outcome of reading a DAG back from a backend.
struct VerifyReport {
  uint64_t blocks = 0;  // blocks read and hash-checked
  uint64_t bytes = 0;
  uint64_t missing_count = 0;  // linked blocks the backend did not have
  uint64_t corrupt_count = 0;  // blocks whose bytes did not hash to their CID
  std::vector<Cid> missing;    // the first few of each, for messages
  std::vector<Cid> corrupt;
  std::string verified_by;     // kReadBack when ok()
  double seconds = 0;
  bool ok() const { return missing_count == 0 && corrupt_count == 0 && blocks > 0; }
};
nlohmann::json to_json(const VerifyReport& r);

struct Usage {
  std::optional<uint64_t> bytes_used;
  std::optional<uint64_t> bytes_free;   // where the backend knows it
  std::optional<uint64_t> bytes_limit;  // a configured cap (Kubo's StorageMax)
  std::optional<uint64_t> blocks;
  std::optional<uint64_t> pins;
};
nlohmann::json to_json(const Usage& u);

// A health probe that reached the backend. A failed probe is an Error.
struct ProbeResult {
  std::string warning;  // non-empty: reachable but degraded (low space, peers in error)
  nlohmann::json details = nlohmann::json::object();
};

// A probe that is one HTTP request (every remote type's is): the request and
// what its answer means. The health monitor runs the probes of a whole round
// at once on one thread with these (HttpMulti).
struct HttpProbe {
  HttpRequest request;
  std::function<Result<ProbeResult>(Result<HttpResponse>)> check;
};

class Backend {
 public:
  explicit Backend(BackendInfo info) : info_(std::move(info)) {}
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const BackendInfo& info() const { return info_; }
  virtual Capabilities capabilities() const = 0;

  // Checks that the backend answers (and can do its job), within `timeout`.
  // Backends with an http_probe() need not override it.
  virtual Result<ProbeResult> probe(std::chrono::milliseconds timeout);
  // The probe as one HTTP request, when it is one; nullopt otherwise (the
  // embedded node, a directory), and then probe() must be overridden.
  virtual std::optional<HttpProbe> http_probe(std::chrono::milliseconds timeout);
  virtual Result<Usage> usage();

  // ---- blocks ----
  // Stores one block. `data` must hash to `cid` (blocks from get_block() or
  // the repository do). Returns the proof the store gave, if any.
  virtual Result<std::string> put_block(const Cid& cid, ByteView data);
  virtual Result<bool> has_block(const Cid& cid);
  // The block's bytes, hash-checked: Corruption when they do not match.
  Result<Bytes> get_block(const Cid& cid);
  virtual Status remove_block(const Cid& cid);

  // ---- pins ----
  // Copies the DAG under spec.cid from `source` to the backend and pins it
  // there with its name and metadata; then proves the copy (see PinReceipt).
  virtual Result<PinReceipt> pin(const PinSpec& spec, BlockSource& source, const CancelToken* cancel);
  // The backend's record of a pin; nullopt when it holds none.
  virtual Result<std::optional<RemotePin>> pin_status(const Cid& cid);
  virtual Status unpin(const Cid& cid);
  virtual Status list_pins(const std::function<Status(const RemotePin&)>& fn);
  // Reads the DAG under `root` back, re-hashing every block and checking
  // that every linked block is there.
  virtual Result<VerifyReport> verify(const Cid& root, const CancelToken* cancel);

 protected:
  // The raw bytes of a block (checked by get_block()).
  virtual Result<Bytes> fetch_block(const Cid& cid);
  // True when fetch_block() already re-hashes what it returns (the embedded
  // repository does), so get_block() need not hash twice.
  virtual bool fetch_verifies() const { return false; }
  // Unsupported, naming the backend, the operation and the reason.
  tl::unexpected<Error> unsupported_op(std::string_view op, std::string_view reason) const;
  // "backend NAME (TYPE)", for messages.
  std::string label() const { return "backend " + info_.name + " (" + info_.type + ")"; }
  // The end of every pin(): the copy of `cid` read back with verify(); whole
  // and correct, `receipt` gets verified_by kReadBack and verified_at now;
  // else Corruption naming the missing and corrupt blocks (`through`: where
  // it was read from, for the message, e.g. " through <gateway>").
  Status prove_by_reading_back(const Cid& cid, PinReceipt& receipt, const CancelToken* cancel, std::string_view through = "");

 private:
  BackendInfo info_;
};

// ---- shared mechanisms for implementations ----

struct PushStats {
  uint64_t blocks = 0;
  uint64_t bytes = 0;
  bool all_proven = true;  // every put returned a proof
  std::string proof;       // that proof, when all_proven
};

// Walks the DAG under `root` in `source` (parents first, each block once)
// and calls `put` for every block on `concurrency` worker threads at once,
// with at most a few blocks per worker in memory. The first error stops the
// push and is returned.
Result<PushStats> push_dag(BlockSource& source, const Cid& root, size_t concurrency,
                           const std::function<Result<std::string>(const Cid&, ByteView)>& put,
                           const CancelToken* cancel);

// Walks the DAG under `root`, getting each block once through `get`,
// `concurrency` at a time, and following its links. NotFound and Corruption
// from `get` are counted (missing, corrupt; the first few named) and their
// links not followed; any other error, or a block whose links cannot be
// read, stops the walk and is returned. The report's verified_by is left
// empty: what `get` proves is the caller's to say.
Result<VerifyReport> walk_parallel(const std::function<Result<Bytes>(const Cid&)>& get, const Cid& root,
                                   size_t concurrency, const CancelToken* cancel);

// Verifies the DAG under `root` by fetching every block through
// `backend.get_block()` (hash-checked), `concurrency` at a time, following
// links. Missing and corrupt blocks are counted, not fatal; other errors are.
Result<VerifyReport> verify_by_walking(Backend& backend, const Cid& root, size_t concurrency, const CancelToken* cancel);

// Verifies a CAR stream that should hold the whole DAG under `root`: every
// block's hash is checked, and every block linked from a received block
// must have been received. Structural errors (a malformed CAR) are errors.
Result<VerifyReport> verify_car(ByteReader& car, const Cid& root, const CancelToken* cancel);

// Writes the DAG under `root` from `source` as a CARv1 into `out`.
Status write_car(BlockSource& source, const Cid& root, const std::function<Status(ByteView)>& out,
                 const CancelToken* cancel);

// Seconds since the epoch.
int64_t unix_now();

}  // namespace ipfskit::backends
