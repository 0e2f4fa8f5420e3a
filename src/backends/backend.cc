#include "backends/backend.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "car/car.h"
#include "dag/dag.h"

namespace ipfskit::backends {

using nlohmann::json;

namespace {

std::string mh_key(const Cid& cid) { return std::string(as_chars(cid.multihash().bytes())); }

// At most this many CIDs are listed by name in a report.
constexpr size_t kReportedCids = 20;

json cid_list(const std::vector<Cid>& cids) {
  json out = json::array();
  for (const auto& c : cids) out.push_back(c.to_string());
  return out;
}

}  // namespace

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json to_json(const Capabilities& c) {
  json j = {{"put_blocks", c.put_blocks}, {"get_blocks", c.get_blocks}, {"pin", c.pin},
            {"list_pins", c.list_pins},   {"replica", c.replica},       {"restorable", c.restorable()},
            {"proof", c.proof.empty() ? json() : json(c.proof)}, {"pins_in_background", c.pins_in_background}};
  if (!c.unsupported_reason.empty()) j["unsupported"] = c.unsupported_reason;
  return j;
}

json to_json(const PinReceipt& r) {
  return {{"status", r.status},
          {"blocks", r.blocks},
          {"bytes", r.bytes},
          {"verified_by", r.verified_by.empty() ? json() : json(r.verified_by)},
          {"verified_at", r.verified_at},
          {"seconds", r.seconds},
          {"details", r.details}};
}

json to_json(const RemotePin& p) {
  json j = {{"cid", p.cid.to_string()}, {"name", p.name}, {"meta", p.meta}, {"status", p.status}};
  if (p.created != 0) j["created"] = p.created;
  if (!p.details.empty()) j["details"] = p.details;
  return j;
}

json to_json(const VerifyReport& r) {
  return {{"ok", r.ok()},
          {"blocks", r.blocks},
          {"bytes", r.bytes},
          {"missing", r.missing_count},
          {"corrupt", r.corrupt_count},
          {"missing_cids", cid_list(r.missing)},
          {"corrupt_cids", cid_list(r.corrupt)},
          {"verified_by", r.ok() ? json(r.verified_by) : json()},
          {"seconds", r.seconds}};
}

json to_json(const Usage& u) {
  auto opt = [](const std::optional<uint64_t>& v) { return v ? json(*v) : json(); };
  return {{"bytes_used", opt(u.bytes_used)},
          {"bytes_free", opt(u.bytes_free)},
          {"bytes_limit", opt(u.bytes_limit)},
          {"blocks", opt(u.blocks)},
          {"pins", opt(u.pins)}};
}

// ---- default answers: what a backend does not override, it cannot do ----

tl::unexpected<Error> Backend::unsupported_op(std::string_view op, std::string_view reason) const {
  return make_error(Code::kUnsupported, label() + " cannot " + std::string(op) + ": " + std::string(reason));
}

Result<Usage> Backend::usage() { return Usage{}; }

std::optional<HttpProbe> Backend::http_probe(std::chrono::milliseconds) { return std::nullopt; }

Result<ProbeResult> Backend::probe(std::chrono::milliseconds timeout) {
  auto p = http_probe(timeout);
  if (!p) return internal_error(label() + " has no probe");
  HttpSession session;
  return p->check(session.perform(p->request));
}

Result<std::string> Backend::put_block(const Cid&, ByteView) {
  return unsupported_op("store single blocks", "it takes whole DAGs");
}
Result<bool> Backend::has_block(const Cid&) { return unsupported_op("check for blocks", "it does not serve blocks"); }
Status Backend::remove_block(const Cid&) { return unsupported_op("remove blocks", "it does not store single blocks"); }
Result<Bytes> Backend::fetch_block(const Cid&) { return unsupported_op("read blocks", "it does not serve blocks"); }

Result<Bytes> Backend::get_block(const Cid& cid) {
  if (cid.is_identity()) return to_bytes(cid.multihash().digest());
  Bytes data = TRY(fetch_block(cid));
  if (!fetch_verifies()) {
    Status st = verify_block(cid, data);
    if (!st) return make_error(st.error().code(), label() + " sent bad data: " + st.error().message());
  }
  return data;
}

Result<PinReceipt> Backend::pin(const PinSpec&, BlockSource&, const CancelToken*) {
  return unsupported_op("pin", "it is not a place pins are kept");
}
Result<std::optional<RemotePin>> Backend::pin_status(const Cid&) {
  return unsupported_op("report pins", "it keeps no pins");
}
Status Backend::unpin(const Cid&) { return unsupported_op("unpin", "it keeps no pins"); }
Status Backend::list_pins(const std::function<Status(const RemotePin&)>&) {
  return unsupported_op("list pins", "it keeps no pins");
}
Result<VerifyReport> Backend::verify(const Cid& root, const CancelToken* cancel) {
  if (!capabilities().get_blocks) return unsupported_op("read a DAG back", "it does not serve blocks");
  return verify_by_walking(*this, root, 8, cancel);
}

// ---- push ----

Result<PushStats> push_dag(BlockSource& source, const Cid& root, size_t concurrency,
                           const std::function<Result<std::string>(const Cid&, ByteView)>& put,
                           const CancelToken* cancel) {
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::pair<Cid, Bytes>> queue;
    bool done = false;
    std::optional<Error> error;
    PushStats stats;
    bool any_proof = false;
  } s;
  concurrency = std::max<size_t>(1, concurrency);
  const size_t capacity = concurrency * 2;

  auto account = [&s](const Cid&, size_t size, const Result<std::string>& proof) {
    // Called with s.mu held.
    if (!proof) {
      if (!s.error) s.error = proof.error();
      return;
    }
    s.stats.blocks++;
    s.stats.bytes += size;
    if (proof->empty()) {
      s.stats.all_proven = false;
    } else if (!s.any_proof) {
      s.any_proof = true;
      s.stats.proof = *proof;
    } else if (*proof != s.stats.proof) {
      s.stats.all_proven = false;
    }
  };

  auto worker = [&] {
    for (;;) {
      std::pair<Cid, Bytes> item;
      {
        std::unique_lock lock(s.mu);
        s.cv.wait(lock, [&] { return !s.queue.empty() || s.done || s.error; });
        if (s.error || s.queue.empty()) return;
        item = std::move(s.queue.front());
        s.queue.pop_front();
        s.cv.notify_all();
      }
      auto proof = put(item.first, item.second);
      std::lock_guard lock(s.mu);
      account(item.first, item.second.size(), proof);
      s.cv.notify_all();
    }
  };

  std::vector<std::thread> workers;
  if (concurrency > 1)
    for (size_t i = 0; i < concurrency; ++i) workers.emplace_back(worker);

  Status walked = dag::walk(source, root, [&](const Cid& cid, ByteView data) -> Status {
    TRY_STATUS(check_cancel(cancel, "push"));
    if (cid.is_identity()) return {};  // its bytes are in the CID
    if (concurrency == 1) {
      auto proof = put(cid, data);
      std::lock_guard lock(s.mu);
      account(cid, data.size(), proof);
      if (s.error) return tl::unexpected(*s.error);
      return {};
    }
    std::unique_lock lock(s.mu);
    s.cv.wait(lock, [&] { return s.queue.size() < capacity || s.error; });
    if (s.error) return tl::unexpected(*s.error);
    s.queue.emplace_back(cid, Bytes(data.begin(), data.end()));
    s.cv.notify_all();
    return {};
  });
  {
    std::lock_guard lock(s.mu);
    s.done = true;
    if (!walked && !s.error) s.error = walked.error();
    s.cv.notify_all();
  }
  for (auto& t : workers) t.join();
  if (s.error) return tl::unexpected(*s.error);
  if (!s.any_proof) s.stats.all_proven = false;
  return s.stats;
}

// ---- verification ----

Status Backend::prove_by_reading_back(const Cid& cid, PinReceipt& receipt, const CancelToken* cancel,
                                      std::string_view through) {
  VerifyReport v = TRY(verify(cid, cancel));
  if (!v.ok())
    return corruption(label() + ": read-back of " + cid.to_string() + std::string(through) + " found " +
                      std::to_string(v.missing_count) + " missing and " + std::to_string(v.corrupt_count) +
                      " corrupt blocks");
  receipt.verified_by = kReadBack;
  receipt.verified_at = unix_now();
  return {};
}

Result<VerifyReport> verify_by_walking(Backend& backend, const Cid& root, size_t concurrency, const CancelToken* cancel) {
  VerifyReport r = TRY(walk_parallel([&](const Cid& c) { return backend.get_block(c); }, root, concurrency, cancel));
  r.verified_by = kReadBack;
  return r;
}

Result<VerifyReport> walk_parallel(const std::function<Result<Bytes>(const Cid&)>& get, const Cid& root,
                                   size_t concurrency, const CancelToken* cancel) {
  const auto start = std::chrono::steady_clock::now();
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Cid> queue;
    std::unordered_set<std::string> seen;
    size_t in_flight = 0;
    std::optional<Error> error;
    VerifyReport report;
  } s;
  s.queue.push_back(root);
  s.seen.insert(mh_key(root));

  auto worker = [&] {
    for (;;) {
      Cid cid;
      {
        std::unique_lock lock(s.mu);
        s.cv.wait(lock, [&] { return !s.queue.empty() || s.in_flight == 0 || s.error; });
        if (s.error || s.queue.empty()) return;
        cid = std::move(s.queue.front());
        s.queue.pop_front();
        s.in_flight++;
      }
      std::optional<Error> fatal;
      std::vector<Cid> next;
      Status cancelled = check_cancel(cancel, "verify");
      auto data = cancelled ? get(cid) : Result<Bytes>(tl::unexpected(cancelled.error()));
      bool missing = false, corrupt = false;
      if (!data) {
        if (data.error().code() == Code::kNotFound) missing = true;
        else if (data.error().code() == Code::kCorruption) corrupt = true;
        else fatal = data.error();
      } else {
        auto links = dag::links_of(cid, *data);
        if (!links) {
          // Bytes that hash right but do not parse: the source DAG itself is
          // malformed, or we cannot read its codec. Either way we cannot vouch for it.
          fatal = links.error();
        } else {
          next = std::move(*links);
        }
      }
      std::lock_guard lock(s.mu);
      s.in_flight--;
      if (fatal && !s.error) s.error = fatal;
      if (missing) {
        s.report.missing_count++;
        if (s.report.missing.size() < kReportedCids) s.report.missing.push_back(cid);
      } else if (corrupt) {
        s.report.corrupt_count++;
        if (s.report.corrupt.size() < kReportedCids) s.report.corrupt.push_back(cid);
      } else if (data) {
        s.report.blocks++;
        s.report.bytes += data->size();
        for (auto& l : next)
          if (s.seen.insert(mh_key(l)).second) s.queue.push_back(std::move(l));
      }
      s.cv.notify_all();
    }
  };
  concurrency = std::max<size_t>(1, concurrency);
  std::vector<std::thread> threads;
  for (size_t i = 1; i < concurrency; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (s.error) return tl::unexpected(*s.error);
  s.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s.report;
}

Result<VerifyReport> verify_car(ByteReader& car, const Cid& root, const CancelToken* cancel) {
  const auto start = std::chrono::steady_clock::now();
  auto reader = TRY(car::Reader::open(car));
  VerifyReport report;
  // Every block received with the right hash, with its size and links. What
  // counts is decided afterwards by walking from the root, so the CAR's order
  // does not matter and blocks outside the DAG (a confused or hostile server)
  // are ignored rather than trusted.
  struct Received {
    uint64_t size;
    std::vector<Cid> links;
  };
  std::unordered_map<std::string, Received> received;
  constexpr uint64_t kMaxBlocks = 50'000'000;
  for (;;) {
    TRY_STATUS(check_cancel(cancel, "verify"));
    auto block = TRY(reader->next());
    if (!block) break;
    if (received.size() >= kMaxBlocks) return make_error(Code::kResourceExhausted, "the CAR holds too many blocks");
    Status ok = verify_block(block->cid, block->data);
    if (!ok) {
      if (ok.error().code() != Code::kCorruption) return tl::unexpected(ok.error());
      report.corrupt_count++;
      if (report.corrupt.size() < kReportedCids) report.corrupt.push_back(block->cid);
      continue;
    }
    const std::string key = mh_key(block->cid);
    if (received.count(key) != 0) continue;  // a duplicate
    auto links = dag::links_of(block->cid, block->data);
    if (!links) return tl::unexpected(links.error());
    received.emplace(key, Received{block->data.size(), std::move(*links)});
  }
  std::unordered_set<std::string> seen{mh_key(root)};
  std::vector<Cid> stack{root};
  while (!stack.empty()) {
    Cid cid = std::move(stack.back());
    stack.pop_back();
    if (cid.is_identity()) continue;
    auto it = received.find(mh_key(cid));
    if (it == received.end()) {
      report.missing_count++;
      if (report.missing.size() < kReportedCids) report.missing.push_back(cid);
      continue;
    }
    report.blocks++;
    report.bytes += it->second.size;
    for (const Cid& l : it->second.links)
      if (seen.insert(mh_key(l)).second) stack.push_back(l);
  }
  if (root.is_identity()) report.blocks = std::max<uint64_t>(report.blocks, 1);
  report.verified_by = kReadBack;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Status write_car(BlockSource& source, const Cid& root, const std::function<Status(ByteView)>& out,
                 const CancelToken* cancel) {
  car::V1Writer writer(out);
  TRY_STATUS(writer.write_header({root}));
  return dag::walk(source, root, [&](const Cid& cid, ByteView data) -> Status {
    TRY_STATUS(check_cancel(cancel, "export"));
    if (cid.is_identity()) return {};
    return writer.write_block(cid, data);
  });
}

}  // namespace ipfskit::backends
