#include "replication/reconciler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "base/time.h"
#include "log/log.h"
#include "retrieval/restore.h"

namespace ipfskit::replication {

using nlohmann::json;

namespace {

constexpr size_t kMaxReportedErrors = 20;

// Retry backoff after `attempts` failures: 10 s doubling, at most an hour.
int64_t backoff_seconds(int attempts) {
  int64_t s = 10;
  for (int i = 1; i < attempts && s < 3600; ++i) s *= 2;
  return std::min<int64_t>(s, 3600);
}

void note_error(PassReport& r, std::mutex& mu, const std::string& what) {
  std::lock_guard lock(mu);
  if (r.errors.size() < kMaxReportedErrors) r.errors.push_back(what);
}

bool up(backends::Health h) {
  return h == backends::Health::kHealthy || h == backends::Health::kDegraded || h == backends::Health::kUnknown;
}

}  // namespace

json to_json(const PassReport& r) {
  return {{"started", r.started == 0 ? json() : json(utc_rfc3339(r.started))},
          {"seconds", r.seconds},
          {"checked", r.checked},
          {"copied", r.copied},
          {"healed", r.healed},
          {"pending", r.pending},
          {"failed", r.failed},
          {"removed", r.removed},
          {"reverified", r.reverified},
          {"corrupt", r.corrupt},
          {"under_replicated", r.under_replicated},
          {"cancelled", r.cancelled},
          {"errors", r.errors}};
}

Result<backends::VerifyReport> Reconciler::verify_on(const std::string& backend, const Cid& cid,
                                                    const CancelToken* cancel) {
  auto b = TRY(registry_.get(backend));
  return b->verify(cid, cancel);
}

struct Reconciler::Backends {
  std::vector<BackendCandidate> candidates;
  std::vector<BackendCounting> counting;
};

Reconciler::Reconciler(core::Node& node, backends::Registry& registry)
    : node_(node), registry_(registry), index_(node.repo().db()) {}

Status Reconciler::ensure_schema() {
  // Creating it is a write transaction (BEGIN IMMEDIATE): a read such as
  // status() must not queue behind the pass's writes for it every time.
  if (schema_ready_.load()) return {};
  TRY_STATUS(ReplicaIndex::create_schema(node_.repo().db()));
  schema_ready_ = true;
  return {};
}

Reconciler::Backends Reconciler::snapshot(const Settings& s, int64_t now, bool with_usage) {
  Backends out;
  (void)now;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  for (const backends::BackendView& v : registry_.views()) {
    BackendCandidate c;
    c.name = v.info.name;
    c.replica = v.caps.replica;
    c.provable = !v.caps.proof.empty();
    c.pins_in_background = v.caps.pins_in_background;
    c.usable = v.available && up(v.health);
    // A backend that is down keeps its copies counted for repair_grace (and
    // for ever when auto_replication is off: nothing moves on its own).
    const bool within_grace = v.down && now_ms - v.down_since_ms < int64_t{s.repair_grace_seconds} * 1000;
    c.counting = c.usable || within_grace || !s.auto_replication || (v.available && !v.down);
    c.health = backends::health_name(v.health);
    if (!v.health_error.empty()) c.health += ": " + v.health_error;
    if (!v.available) c.health = "not available (" + c.health + ")";
    c.failure_domain = v.info.failure_domain;
    c.tags = v.info.tags;
    c.latency_ms = v.latency_ms;
    if (with_usage && c.usable && c.replica && c.name != kLocalBackend)
      if (auto b = registry_.get(c.name))
        if (auto u = (*b)->usage()) c.bytes_free = u->bytes_free;
    out.counting.push_back({c.name, c.counting || c.name == kLocalBackend, c.usable});
    out.candidates.push_back(std::move(c));
  }
  if (std::none_of(out.counting.begin(), out.counting.end(), [](const auto& b) { return b.name == kLocalBackend; }))
    out.counting.push_back({kLocalBackend, true, true});
  return out;
}

bool Reconciler::copy_failed(const Cid& cid, const std::string& backend, int attempts, const std::string& why,
                             PassReport& report, std::mutex& report_mu) {
  (void)index_.failed(cid, backend, why, unix_seconds_now() + backoff_seconds(attempts + 1), unix_seconds_now());
  {
    std::lock_guard lock(report_mu);
    report.failed++;
  }
  note_error(report, report_mu, cid.to_string() + " on " + backend + ": " + why);
  logging::warn("replication", "copy failed", {{"cid", cid.to_string()}, {"backend", backend}, {"error", why}});
  return false;
}

bool Reconciler::follow_copy(const Cid& cid, const std::string& backend, int attempts, PassReport& report,
                             std::mutex& report_mu, const CancelToken* cancel) {
  auto b = registry_.get(backend);
  if (!b) return push_copy(cid, backend, attempts, report, report_mu, cancel);  // says why it cannot
  auto st = (*b)->pin_status(cid);
  if (!st) {
    // Not reachable now: the health monitor's business; the row stays and is asked again.
    note_error(report, report_mu, cid.to_string() + " on " + backend + ": asking how the pin goes: " + st.error().message());
    std::lock_guard lock(report_mu);
    report.pending++;
    return true;
  }
  // The service lost the request, or gave up on it: submitted again.
  if (!*st || (*st)->status == "failed") return push_copy(cid, backend, attempts, report, report_mu, cancel);
  const std::string status = (*st)->status;
  if (status != "pinned") {
    std::lock_guard lock(report_mu);
    report.pending++;
    return true;
  }
  if ((*b)->capabilities().proof.empty())
    return copy_failed(cid, backend, attempts,
                       "the service reports it pinned, but nothing can prove its bytes (set backends." + backend +
                           ".gateway to one of its gateways); the copy does not count",
                       report, report_mu);
  auto v = (*b)->verify(cid, cancel);
  if (!v && v.error().code() == Code::kCancelled) return true;  // as in push_copy
  if (!v) return copy_failed(cid, backend, attempts, "reading the pinned copy back failed: " + v.error().message(), report, report_mu);
  if (!v->ok())
    return copy_failed(cid, backend, attempts,
                       "the service reports it pinned, but reading it back found " + std::to_string(v->missing_count) +
                           " missing and " + std::to_string(v->corrupt_count) + " corrupt block(s)",
                       report, report_mu);
  const int64_t now = unix_seconds_now();
  (void)index_.pinned(cid, backend, backends::kReadBack, now, v->blocks, v->bytes, now);
  std::lock_guard lock(report_mu);
  report.copied++;
  return true;
}

bool Reconciler::push_copy(const Cid& cid, const std::string& backend, int attempts, PassReport& report,
                           std::mutex& report_mu, const CancelToken* cancel) {
  const int64_t now = unix_seconds_now();
  auto started = index_.start(cid, backend, now);
  if (!started || !*started) return true;  // the pin went away meanwhile
  auto fail = [&](const std::string& why) { return copy_failed(cid, backend, attempts, why, report, report_mu); };
  backends::PushOptions o;
  o.cid = cid;
  o.verify = true;
  auto receipt = registry_.push(backend, o, cancel);
  // A pass cancelled mid-copy (sync's caller left, the daemon stops) is not
  // the copy's failure: the row stays `pinning`, and the next pass resumes it
  // without a retry backoff.
  if (!receipt && receipt.error().code() == Code::kCancelled) return true;
  if (!receipt) {
    // Name the backend and the step when the backend's own message does not
    // ("car: varint too long" alone says nothing of where).
    std::string why = receipt.error().message();
    if (why.find(backend) == std::string::npos) why = "push to " + backend + " or its read-back failed: " + why;
    return fail(why);
  }
  const json& r = *receipt;
  const std::string status = r.value("status", "");
  const std::string proof = r.contains("verified_by") && r["verified_by"].is_string() ? r["verified_by"].get<std::string>() : "";
  if (status == "pinned" && !proof.empty()) {
    const int64_t at = r.value("verified_at", int64_t{0}) > 0 ? r.value("verified_at", int64_t{0}) : unix_seconds_now();
    (void)index_.pinned(cid, backend, proof, at, r.value("blocks", uint64_t{0}), r.value("bytes", uint64_t{0}),
                        unix_seconds_now());
    std::lock_guard lock(report_mu);
    report.copied++;
    return true;
  }
  if (status == "queued" || status == "pinning") {
    // A service still fetching: the row stays pinning and the next pass asks again.
    std::lock_guard lock(report_mu);
    report.pending++;
    return true;
  }
  return fail("the backend reported \"" + status + "\" without proof of the bytes; the copy does not count");
}

bool Reconciler::heal_local(const Backends& b, const Cid& cid, const std::vector<Replica>& rows, PassReport& report,
                            std::mutex& report_mu, const CancelToken* cancel) {
  auto local = node_.repo().pins().get(cid);
  if (!local || !*local) return false;  // unpinned meanwhile (or the index failed: the caller's verify says so)
  backends::RemotePin wanted;
  wanted.cid = cid;
  wanted.name = (*local)->name.value_or("");
  wanted.meta = (*local)->meta;
  wanted.status = "pinned";
  // Sources: the pin's verified copies on usable backends that serve blocks,
  // in the order the candidates are ranked for reads (latency).
  std::vector<std::pair<double, std::shared_ptr<backends::Backend>>> sources;
  for (const Replica& r : rows) {
    if (r.backend == kLocalBackend || r.state != State::kPinned || r.verified_by.empty()) continue;
    auto c = std::find_if(b.candidates.begin(), b.candidates.end(), [&](const auto& x) { return x.name == r.backend; });
    if (c == b.candidates.end() || !c->usable) continue;
    auto backend = registry_.get(r.backend);
    if (!backend || !(*backend)->capabilities().get_blocks) continue;
    sources.emplace_back(c->latency_ms, *backend);
  }
  std::stable_sort(sources.begin(), sources.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  retrieval::RestoreOptions o;
  o.concurrency = 4;
  o.cancel = cancel;
  for (const auto& [latency, backend] : sources) {
    (void)latency;
    auto out = retrieval::restore_pin(*backend, node_, wanted, o);
    const std::string from = backend->info().name;
    if (out && (out->status == "restored" || out->status == "complete")) {
      logging::warn("replication", "the local copy was repaired from another replica",
                    {{"cid", cid.to_string()}, {"backend", from}, {"blocks", std::to_string(out->blocks_fetched)},
                     {"repaired", std::to_string(out->blocks_repaired)}});
      std::lock_guard lock(report_mu);
      report.healed++;
      return true;
    }
    const std::string why = out ? (out->error ? out->error->message() : out->status) : out.error().message();
    note_error(report, report_mu, cid.to_string() + " on ipfs: repair from " + from + " failed: " + why);
    if (!out && (out.error().code() == Code::kCancelled || out.error().code() == Code::kIOError)) return false;
  }
  return false;
}

void Reconciler::work_on(const Settings& s, const Backends& b, const PinToCheck& pin, PassReport& report,
                         std::mutex& report_mu, const CancelToken* cancel) {
  auto rows = index_.replicas_of(pin.cid);
  if (!rows) return note_error(report, report_mu, pin.cid.to_string() + ": " + rows.error().message());
  // The local copy first: a recursive pin whose DAG reads back whole.
  const bool local_recorded = std::any_of(rows->begin(), rows->end(), [](const Replica& r) {
    return r.backend == kLocalBackend && r.state == State::kPinned;
  });
  if (!local_recorded) {
    auto v = verify_on(kLocalBackend, pin.cid, cancel);
    if (v && !v->ok() && check_cancel(cancel)) {
      // Blocks missing or bad here: fetched back from a verified copy, then
      // the local copy is checked again from scratch.
      if (heal_local(b, pin.cid, *rows, report, report_mu, cancel)) v = verify_on(kLocalBackend, pin.cid, cancel);
    }
    if (!v && v.error().code() == Code::kCancelled) return;  // the pass stops; nothing is the copy's fault
    const int64_t now = unix_seconds_now();
    if (v && v->ok()) {
      (void)index_.adopt_local(pin.cid, backends::kReadBack, now, v->blocks, v->bytes, now);
    } else {
      const std::string why = v ? "the local copy is incomplete or corrupt: " + std::to_string(v->missing_count) +
                                      " missing and " + std::to_string(v->corrupt_count) +
                                      " corrupt block(s), and no verified copy elsewhere could repair it"
                                : v.error().message();
      (void)index_.failed(pin.cid, kLocalBackend, why, now + backoff_seconds(1), now);
      note_error(report, report_mu, pin.cid.to_string() + " on ipfs: " + why);
    }
    rows = index_.replicas_of(pin.cid);
    if (!rows) return;
  }
  AllocationRequest req;
  req.policy = pin.policy;
  req.replicas = *rows;
  req.backends = b.candidates;
  req.now = unix_seconds_now();
  for (const auto& r : *rows)
    if (r.backend == kLocalBackend && r.bytes > 0) req.size = r.bytes;
  AllocationPlan plan = plan_allocation(req);
  (void)index_.set_allocation_issue(pin.cid, plan.error, req.now);
  if (!plan.error.empty())
    logging::warn("replication", "under-replicated", {{"cid", pin.cid.to_string()}, {"reason", plan.error}});

  for (const auto& name : plan.drop) {
    (void)index_.unpin(pin.cid, name, req.now);
    logging::info("replication", "trimming a copy above the maximum", {{"cid", pin.cid.to_string()}, {"backend", name}});
  }
  // Copies to make: new ones, failed ones due again, and transfers left
  // queued or pinning (a pass cut short, a daemon killed mid-transfer, a
  // service still working).
  struct Todo {
    std::string backend;
    int attempts = 0;
    bool follow = false;  // a service already has it: ask how it goes, do not submit it again
  };
  std::vector<Todo> todo;
  for (const auto& name : plan.add) {
    (void)index_.queue(pin.cid, name, req.now);
    todo.push_back({name, 0, false});
  }
  for (const auto& r : *rows) {
    if (r.backend == kLocalBackend) continue;
    if (std::find(plan.drop.begin(), plan.drop.end(), r.backend) != plan.drop.end()) continue;
    const bool retry = std::find(plan.retry.begin(), plan.retry.end(), r.backend) != plan.retry.end();
    const bool active = r.state == State::kQueued || r.state == State::kPinning;
    if (!retry && !active) continue;
    auto cand = std::find_if(b.candidates.begin(), b.candidates.end(), [&](const auto& c) { return c.name == r.backend; });
    if (cand == b.candidates.end() || !cand->usable) continue;
    todo.push_back({r.backend, r.attempts, r.state == State::kPinning && !retry && cand->pins_in_background});
  }
  bool any_failed = false;
  for (const Todo& t : todo) {
    if (!check_cancel(cancel)) return;
    any_failed |= !(t.follow ? follow_copy(pin.cid, t.backend, t.attempts, report, report_mu, cancel)
                             : push_copy(pin.cid, t.backend, t.attempts, report, report_mu, cancel));
  }
  // A push reads the local copy: when one failed although the local copy is
  // on record as verified, the local copy itself may have lost blocks since
  // (a damaged disk, a hand-edited repository). Checked now, so that the
  // next pass repairs it from another replica instead of failing again.
  if (any_failed && local_recorded && check_cancel(cancel)) {
    auto v = verify_on(kLocalBackend, pin.cid, cancel);
    if (v && !v->ok()) {
      const int64_t now = unix_seconds_now();
      (void)index_.failed(pin.cid, kLocalBackend,
                          "the local copy lost " + std::to_string(v->missing_count) + " block(s), " +
                              std::to_string(v->corrupt_count) + " corrupt, found when a push failed",
                          now, now);
    }
  }
  (void)s;
}

void Reconciler::sample_verify(const Settings& s, const Backends& b, PassReport& report, std::mutex& report_mu,
                               const CancelToken* cancel) {
  auto rows = index_.least_recently_verified(static_cast<size_t>(s.verify_sample) * 2 + 8);
  if (!rows) return note_error(report, report_mu, "sampled verification: " + rows.error().message());
  int taken = 0;
  for (const Replica& r : *rows) {
    if (taken >= s.verify_sample || !check_cancel(cancel)) break;
    // The local copy too: nothing else re-reads it, and a block lost there
    // is fetched back from another replica (heal_local) by the next pass.
    auto cand = std::find_if(b.candidates.begin(), b.candidates.end(), [&](const auto& c) { return c.name == r.backend; });
    if (r.backend != kLocalBackend && (cand == b.candidates.end() || !cand->usable)) continue;
    taken++;
    auto v = verify_on(r.backend, r.cid, cancel);
    const int64_t now = unix_seconds_now();
    if (!v) {
      // Unreachable is the health monitor's business; a wrong answer is the copy's.
      if (v.error().code() == Code::kCorruption || v.error().code() == Code::kNotFound) {
        (void)index_.failed(r.cid, r.backend, "re-verification failed: " + v.error().message(), now, now);
        std::lock_guard lock(report_mu);
        report.corrupt++;
      }
      note_error(report, report_mu, r.cid.to_string() + " on " + r.backend + ": re-verification: " + v.error().message());
      continue;
    }
    const uint64_t missing = v->missing_count, corrupt = v->corrupt_count;
    if (v->ok()) {
      (void)index_.reverified(r.cid, r.backend, backends::kReadBack, now);
      std::lock_guard lock(report_mu);
      report.reverified++;
      continue;
    }
    const std::string why = "re-verification found " + std::to_string(corrupt) + " corrupt and " +
                            std::to_string(missing) + " missing block(s)";
    // Due at once: the next pass re-pushes the copy from the local repository.
    (void)index_.failed(r.cid, r.backend, why, now, now);
    logging::warn("replication", "a copy went bad", {{"cid", r.cid.to_string()}, {"backend", r.backend}, {"error", why}});
    note_error(report, report_mu, r.cid.to_string() + " on " + r.backend + ": " + why);
    std::lock_guard lock(report_mu);
    report.corrupt++;
  }
}

Result<PassReport> Reconciler::pass(const Settings& s, const std::function<void(uint64_t, uint64_t)>& progress,
                                    const CancelToken* cancel) {
  std::lock_guard pass_lock(pass_mu_);
  const auto t0 = std::chrono::steady_clock::now();
  PassReport report;
  std::mutex report_mu;
  report.started = unix_seconds_now();
  TRY_STATUS(ensure_schema());
  const Backends b = snapshot(s, report.started, true);

  // 1. Removals. The pins_released trigger marks a removed pin's copies in
  // the transaction that removes it; the full sweep (for pins removed by
  // a binary without the trigger) runs once per daemon start.
  if (!swept_) {
    TRY(index_.release_removed_pins(report.started));
    swept_ = true;
  }
  for (const Replica& r : TRY(index_.due_removals(report.started, 100000))) {
    if (!check_cancel(cancel)) break;
    auto done = registry_.unpin(r.backend, r.cid);
    if (done || done.error().code() == Code::kNotFound) {
      TRY_STATUS(index_.unpinned(r.cid, r.backend, unix_seconds_now()));
      report.removed++;
    } else {
      TRY_STATUS(index_.failed(r.cid, r.backend, "unpin: " + done.error().message(),
                               unix_seconds_now() + backoff_seconds(r.attempts + 1), unix_seconds_now()));
      note_error(report, report_mu, r.cid.to_string() + " on " + r.backend + ": unpin: " + done.error().message());
    }
  }

  // 2-3. The pins that need work, `concurrency` at a time.
  if (s.enabled) {
    const auto work = TRY(index_.pins_needing_work(b.counting, s.min, s.max, report.started, s.max_pins_per_pass));
    report.checked = work.size();
    std::atomic<size_t> next{0}, done{0};
    auto worker = [&] {
      for (size_t i; (i = next++) < work.size();) {
        if (!check_cancel(cancel)) return;
        work_on(s, b, work[i], report, report_mu, cancel);
        const size_t d = ++done;
        if (progress) {
          std::lock_guard lock(report_mu);
          progress(d, work.size());
        }
      }
    };
    std::vector<std::thread> threads;
    const size_t n = std::min(std::max<size_t>(s.concurrency, 1), work.size());
    for (size_t i = 1; i < n; ++i) threads.emplace_back(worker);
    if (n > 0) worker();
    for (auto& t : threads) t.join();
    // Trims decided above are sent now rather than a pass later.
    for (const Replica& r : TRY(index_.due_removals(unix_seconds_now(), 100000))) {
      if (!check_cancel(cancel)) break;
      auto gone = registry_.unpin(r.backend, r.cid);
      if (gone || gone.error().code() == Code::kNotFound) {
        TRY_STATUS(index_.unpinned(r.cid, r.backend, unix_seconds_now()));
        report.removed++;
      }
    }

    // 4. Sampled re-verification.
    if (s.verify_sample > 0 && report.started - last_sample_ >= s.verify_interval_seconds) {
      last_sample_ = report.started;
      sample_verify(s, b, report, report_mu, cancel);
    }
  }
  report.cancelled = cancel != nullptr && cancel->cancelled();
  // A pin below its minimum is always work: when none was found (and the
  // pass ran), none is under-replicated, and the second scan is saved.
  report.under_replicated =
      s.enabled && report.checked == 0 ? 0 : TRY(index_.count_under_replicated(b.counting, s.min, s.max));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  passes_++;
  {
    std::lock_guard lock(last_mu_);
    last_ = report;
    under_cached_ = report.under_replicated;
    under_at_ = std::chrono::steady_clock::now();
  }
  logging::info("replication", "pass", {{"checked", std::to_string(report.checked)},
                                         {"copied", std::to_string(report.copied)},
                                         {"failed", std::to_string(report.failed)},
                                         {"removed", std::to_string(report.removed)},
                                         {"under_replicated", std::to_string(report.under_replicated)},
                                         {"seconds", std::to_string(report.seconds)}});
  return report;
}

Result<uint64_t> Reconciler::under_replicated(const Settings& s, const Backends& b) {
  // A full scan of the index: /status, the dashboard's feed and /metrics
  // scrapes share one count for a few seconds (a pass refreshes it).
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(last_mu_);
    if (under_cached_ && now - under_at_ < std::chrono::seconds(5)) return *under_cached_;
  }
  const uint64_t n = TRY(index_.count_under_replicated(b.counting, s.min, s.max));
  std::lock_guard lock(last_mu_);
  under_cached_ = n;
  under_at_ = now;
  return n;
}

Result<json> Reconciler::status(const Settings& s) {
  TRY_STATUS(ensure_schema());
  const Backends b = snapshot(s, unix_seconds_now(), false);
  json backends = json::object();
  for (const auto& c : b.candidates) {
    json states = json::object();
    for (State st : kAllStates) states[std::string(state_name(st))] = 0;
    backends[c.name] = {{"replicas", states}, {"bytes", 0}, {"health", c.health}, {"counting", c.counting},
                        {"usable", c.usable}};
  }
  for (const auto& [name, t] : TRY(index_.totals())) {
    json& e = backends[name];
    if (!e.contains("replicas")) {
      json states = json::object();
      for (State st : kAllStates) states[std::string(state_name(st))] = 0;
      e = {{"replicas", states}, {"bytes", 0}, {"health", "not configured"}, {"counting", false}, {"usable", false}};
    }
    for (const auto& [st, n] : t.replicas) e["replicas"][std::string(state_name(st))] = n;
    e["bytes"] = t.pinned_bytes;
  }
  json issues = json::array();
  for (const auto& [cid, issue] : TRY(index_.allocation_issues(20)))
    issues.push_back({{"cid", cid.to_string()}, {"issue", issue}});
  uint64_t pins = TRY(node_.repo().pins().count());
  json last;
  {
    std::lock_guard lock(last_mu_);
    if (last_) last = to_json(*last_);
  }
  return json{{"enabled", s.enabled},
              {"auto_replication", s.auto_replication},
              {"min_replicas", s.min},
              {"max_replicas", s.max},
              {"repair_grace", s.repair_grace_seconds},
              {"verify_interval", s.verify_interval_seconds},
              {"pins", pins},
              {"under_replicated", TRY(under_replicated(s, b))},
              {"backends", backends},
              {"issues", issues},
              {"last_pass", last}};
}

Result<json> Reconciler::status_of(const Settings& s, const Cid& cid) {
  TRY_STATUS(ensure_schema());
  Policy p = TRY(index_.policy_of(cid, s.min, s.max));
  const Backends b = snapshot(s, unix_seconds_now(), false);
  json replicas = json::array();
  int verified = 0;
  for (const Replica& r : TRY(index_.replicas_of(cid))) {
    replicas.push_back(to_json(r));
    auto c = std::find_if(b.counting.begin(), b.counting.end(), [&](const auto& x) { return x.name == r.backend; });
    if (r.state == State::kPinned && c != b.counting.end() && c->counting) verified++;
  }
  const std::string issue = TRY(index_.allocation_issue(cid));
  return json{{"cid", cid.to_string()},
              {"policy", {{"min", p.min}, {"max", p.max}, {"allocations", p.allocations}}},
              {"verified", verified},
              {"meets_minimum", verified >= p.min},
              {"replicas", replicas},
              {"issue", issue.empty() ? json() : json(issue)}};
}

Result<json> Reconciler::suggest(const Settings& s, uint64_t size) {
  const int64_t now = unix_seconds_now();
  const Backends b = snapshot(s, now, true);
  AllocationRequest req;
  req.policy = {s.min, std::max(s.max, s.min), {}};
  Replica local;
  local.backend = kLocalBackend;
  local.state = State::kPinned;
  req.replicas = {local};  // a new pin starts with its local copy
  req.backends = b.candidates;
  req.now = now;
  req.size = size;
  AllocationPlan plan = plan_allocation(req);
  return json{{"size", size}, {"policy", {{"min", req.policy.min}, {"max", req.policy.max}}}, {"plan", to_json(plan)}};
}

Result<json> Reconciler::optimize(const Settings& s, const std::vector<Cid>& cids, bool apply, const CancelToken* cancel) {
  TRY_STATUS(ensure_schema());
  std::unique_lock pass_lock(pass_mu_, std::defer_lock);
  if (apply) pass_lock.lock();  // moves are made one pass at a time
  const int64_t now = unix_seconds_now();
  const Backends b = snapshot(s, now, true);
  std::vector<PinToCheck> pins;
  if (cids.empty()) {
    pins = TRY(index_.pins_needing_work(b.counting, s.min, s.max, now, 1000));
  } else {
    for (const Cid& c : cids) pins.push_back({c, TRY(index_.policy_of(c, s.min, s.max))});
  }
  json plans = json::array();
  PassReport report;
  std::mutex report_mu;
  for (const PinToCheck& p : pins) {
    AllocationRequest req;
    req.policy = p.policy;
    req.replicas = TRY(index_.replicas_of(p.cid));
    req.backends = b.candidates;
    req.now = now;
    for (const auto& r : req.replicas)
      if (r.backend == kLocalBackend && r.bytes > 0) req.size = r.bytes;
    AllocationPlan plan = plan_allocation(req);
    if (!cids.empty() || plan.changes() || !plan.error.empty())
      plans.push_back({{"cid", p.cid.to_string()}, {"plan", to_json(plan)}});
    if (apply) work_on(s, b, p, report, report_mu, cancel);
  }
  json out = {{"applied", apply}, {"plans", plans}};
  if (apply) {
    for (const Replica& r : TRY(index_.due_removals(unix_seconds_now(), 100000))) {
      auto gone = registry_.unpin(r.backend, r.cid);
      if (gone || gone.error().code() == Code::kNotFound) {
        TRY_STATUS(index_.unpinned(r.cid, r.backend, unix_seconds_now()));
        report.removed++;
      }
    }
    out["result"] = to_json(report);
  }
  return out;
}

void Reconciler::write_metrics(metrics::Writer& w, const Settings& s) {
  const Backends b = snapshot(s, unix_seconds_now(), false);
  // Every configured backend (and any the index still names), every state:
  // a series exists before its first copy does.
  std::map<std::string, BackendTotals> totals;
  for (const auto& c : b.candidates) totals[c.name];
  totals[kLocalBackend];
  if (auto t = index_.totals())
    for (auto& [name, v] : *t) totals[name] = v;
  w.family("ipfskit_replicas", "gauge", "Replicas in the replica index, by backend and state.");
  for (const auto& [name, t] : totals)
    for (State st : kAllStates) {
      auto it = t.replicas.find(st);
      w.sample("ipfskit_replicas", {{"backend", name}, {"state", std::string(state_name(st))}},
               it == t.replicas.end() ? uint64_t{0} : it->second);
    }
  w.family("ipfskit_pins_under_replicated", "gauge", "Pins with fewer verified copies than their minimum.");
  {
    auto n = under_replicated(s, b);
    w.sample("ipfskit_pins_under_replicated", {}, n ? *n : uint64_t{0});
  }
  w.family("ipfskit_replication_pass_duration_seconds", "gauge", "How long the last replication pass took.");
  double secs = 0;
  {
    std::lock_guard lock(last_mu_);
    if (last_) secs = last_->seconds;
  }
  w.sample("ipfskit_replication_pass_duration_seconds", {}, secs);
  w.family("ipfskit_replication_passes_total", "counter", "Replication passes run.");
  w.sample("ipfskit_replication_passes_total", {}, passes_.load());
}

}  // namespace ipfskit::replication
