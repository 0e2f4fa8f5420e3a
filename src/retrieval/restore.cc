#include "retrieval/restore.h"

#include <atomic>
#include <ctime>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "log/log.h"
#include "replication/index.h"
#include "repo/pins.h"

namespace ipfskit::retrieval {

using nlohmann::json;

json to_json(const PinOutcome& p) {
  json j = {{"cid", p.cid.to_string()},
            {"name", p.name},
            {"meta", p.meta},
            {"status", p.status},
            {"blocks", p.blocks},
            {"blocks_fetched", p.blocks_fetched},
            {"bytes_fetched", p.bytes_fetched},
            {"blocks_repaired", p.blocks_repaired},
            {"missing", p.missing},
            {"corrupt", p.corrupt},
            {"replica_recorded", p.replica_recorded}};
  if (p.error) {
    j["error"] = p.error->message();
    j["code"] = std::string(code_name(p.error->code()));
  } else {
    j["error"] = nullptr;
  }
  return j;
}

json to_json(const RestoreProgress& p) {
  return {{"pins_done", p.pins_done},
          {"pins_total", p.pins_total},
          {"blocks_checked", p.blocks_checked},
          {"blocks_fetched", p.blocks_fetched},
          {"bytes_fetched", p.bytes_fetched}};
}

json to_json(const RestoreSummary& s) {
  return {{"backend", s.backend},
          {"dry_run", s.dry_run},
          {"pins", s.pins},
          {"restored", s.restored},
          {"complete", s.complete},
          {"would_restore", s.would_restore},
          {"skipped", s.skipped},
          {"failed", s.failed},
          {"blocks_fetched", s.blocks_fetched},
          {"bytes_fetched", s.bytes_fetched},
          {"blocks_repaired", s.blocks_repaired},
          {"replicas_recorded", s.replicas_recorded},
          {"seconds", s.seconds}};
}

namespace {

// Fetched blocks go into a write batch that is committed every
// kCommitBytes (so that an interrupted restore keeps what it fetched) and
// at the end of the pin, with the pin record. Puts run side by side (the
// batch is thread safe); a commit waits for them and starts the next batch.
class PinWriter {
 public:
  explicit PinWriter(repo::PackStore& store) : store_(store) {}

  Status put(const Cid& cid, ByteView data, bool replace_corrupt) {
    {
      std::shared_lock lock(mu_);
      TRY_STATUS(ensure_batch_locked_shared());
      // A corrupt copy is dropped from the index first, so that the good
      // bytes take its place (the index keeps the first copy of a block).
      // The batch holds the shared GC lock meanwhile.
      if (replace_corrupt) {
        Status removed = store_.remove(cid);
        if (!removed && removed.error().code() != Code::kNotFound) return removed;
      }
      TRY_STATUS(batch_->put(cid, data));
    }
    if ((pending_bytes_ += data.size()) < kCommitBytes) return {};
    std::unique_lock lock(mu_);
    if (pending_bytes_ < kCommitBytes) return {};  // another thread committed
    return commit_locked(nullptr);
  }

  // Commits what is pending, and runs `in_transaction` (the pin record) in
  // the same transaction. With nothing pending and no callback, nothing.
  Status commit(const std::function<Status(sql::Database&)>& in_transaction) {
    std::unique_lock lock(mu_);
    if (!batch_ && in_transaction) batch_ = TRY(store_.begin());
    return commit_locked(in_transaction);
  }

 private:
  // Called with mu_ held shared: the first put starts the batch.
  Status ensure_batch_locked_shared() {
    std::lock_guard start(start_mu_);
    if (!batch_) batch_ = TRY(store_.begin());
    return {};
  }

  Status commit_locked(const std::function<Status(sql::Database&)>& in_transaction) {
    if (!batch_) return {};
    std::unique_ptr<repo::WriteBatch> b = std::move(batch_);
    pending_bytes_ = 0;
    return b->commit(in_transaction);
  }

  repo::PackStore& store_;
  std::shared_mutex mu_;  // shared: puts; exclusive: commits
  std::mutex start_mu_;   // the first put of a batch
  std::unique_ptr<repo::WriteBatch> batch_;
  std::atomic<uint64_t> pending_bytes_{0};
};

bool local_pin_matches(const std::optional<repo::PinInfo>& local, const backends::RemotePin& remote) {
  if (!local || local->type != repo::PinType::kRecursive) return false;
  if (!remote.name.empty() && local->name.value_or("") != remote.name) return false;
  for (const auto& [k, v] : remote.meta) {
    auto it = local->meta.find(k);
    if (it == local->meta.end() || it->second != v) return false;
  }
  return true;
}

class Restorer {
 public:
  Restorer(backends::Backend& backend, core::Node& node, const RestoreOptions& o) : backend_(backend), node_(node), o_(o) {}

  Result<RestoreSummary> run() {
    const auto start = std::chrono::steady_clock::now();
    RestoreSummary summary;
    summary.backend = backend_.info().name;
    summary.dry_run = o_.dry_run;
    const backends::Capabilities caps = backend_.capabilities();
    if (!caps.restorable())
      return make_error(Code::kUnsupported, "backend " + backend_.info().name + " (" + backend_.info().type +
                                                ") cannot be restored from: it " +
                                                (!caps.list_pins ? "keeps no list of pins" : "cannot serve blocks"));
    std::vector<backends::RemotePin> pins;
    TRY_STATUS(backend_.list_pins([&](const backends::RemotePin& p) -> Status {
      pins.push_back(p);
      return {};
    }));
    summary.pins = pins.size();
    if (!o_.dry_run) {
      // The copies this backend is proved to hold go into the replica index
      // (see record_replica); a pin is restored even when that fails.
      if (caps.replica && !caps.proof.empty()) {
        if (Status st = replication::ReplicaIndex::create_schema(node_.repo().db()); st) index_.emplace(node_.repo().db());
        else logging::warn("restore", "the replica index cannot be used; copies will not be recorded",
                           {{"backend", summary.backend}, {"error", st.error().message()}});
      }
    }
    progress_.pins_total = pins.size();
    report_progress(true);
    logging::info("restore", "started", {{"backend", summary.backend}, {"pins", std::to_string(pins.size())},
                                         {"dry_run", o_.dry_run ? "true" : "false"}});
    for (const auto& remote : pins) {
      TRY_STATUS(check_cancel(o_.cancel, "restore"));
      PinOutcome out = TRY(restore_one(remote));
      if (out.status == "restored") summary.restored++;
      else if (out.status == "complete") summary.complete++;
      else if (out.status == "would_restore") summary.would_restore++;
      else if (out.status == "skipped") summary.skipped++;
      else summary.failed++;
      summary.blocks_fetched += out.blocks_fetched;
      summary.bytes_fetched += out.bytes_fetched;
      summary.blocks_repaired += out.blocks_repaired;
      if (out.replica_recorded) summary.replicas_recorded++;
      {
        std::lock_guard lock(progress_mu_);
        progress_.pins_done++;
      }
      if (out.status == "failed")
        logging::warn("restore", "pin failed", {{"backend", summary.backend}, {"cid", out.cid.to_string()},
                                               {"error", out.error ? out.error->message() : ""}});
      if (o_.on_pin) o_.on_pin(out);
      report_progress(true);
    }
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    logging::info("restore", "finished",
                  {{"backend", summary.backend}, {"restored", std::to_string(summary.restored)},
                   {"complete", std::to_string(summary.complete)}, {"failed", std::to_string(summary.failed)},
                   {"blocks_fetched", std::to_string(summary.blocks_fetched)}});
    return summary;
  }

 private:
  void report_progress(bool force) {
    if (!o_.on_progress) return;
    std::lock_guard lock(progress_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_progress_ < std::chrono::milliseconds(200)) return;
    last_progress_ = now;
    o_.on_progress(progress_);
  }

 public:
  // Returns the pin's outcome; an error only when the repository failed.
  Result<PinOutcome> restore_one(const backends::RemotePin& remote) {
    PinOutcome out;
    out.cid = remote.cid;
    out.name = remote.name;
    out.meta = remote.meta;
    if (remote.status != "pinned") {
      out.status = "skipped";
      out.error = Error(Code::kUnavailable, "backend " + backend_.info().name + " holds " + remote.cid.to_string() +
                                                " as \"" + remote.status + "\", not pinned");
      return out;
    }
    repo::PinRequest request;
    request.cid = remote.cid;
    if (!remote.name.empty()) request.name = remote.name;
    request.meta = remote.meta;
    if (Status valid = repo::validate_pin(request); !valid) {
      out.status = "failed";
      out.error = Error(valid.error().code(), "backend " + backend_.info().name + " lists " + remote.cid.to_string() +
                                                  " with a name or metadata we refuse: " + valid.error().message());
      return out;
    }
    repo::Repo& repo = node_.repo();
    const auto local = TRY(repo.pins().get(remote.cid));
    const bool pin_matches = local_pin_matches(local, remote);

    // Blocks written before the pin is recorded are garbage to a GC; the
    // shared lock, held until the pin is recorded, keeps GC out meanwhile.
    UniqueFd gc_lock = TRY(repo::lock_file(repo.blocks().gc_lock_path(), /*exclusive=*/false));
    PinWriter writer(repo.blocks());
    std::atomic<uint64_t> fetched{0}, fetched_bytes{0}, repaired{0};
    std::mutex fatal_mu;
    std::optional<Error> fatal;  // the repository failed
    auto get = [&](const Cid& cid) -> Result<Bytes> {
      {
        std::lock_guard lock(progress_mu_);
        progress_.blocks_checked++;
      }
      report_progress(false);
      auto here = repo.blocks().get(cid);
      if (here) return here;
      const Code code = here.error().code();
      if (code != Code::kNotFound && code != Code::kCorruption) {
        std::lock_guard lock(fatal_mu);
        if (!fatal) fatal = here.error();
        return tl::unexpected(here.error());
      }
      if (o_.dry_run) return not_found("not in the repository: " + cid.to_string());
      auto data = backend_.get_block(cid);  // re-hashed: Corruption when wrong
      if (!data) return data;
      Status st = writer.put(cid, *data, code == Code::kCorruption);
      if (!st) {
        std::lock_guard lock(fatal_mu);
        if (!fatal) fatal = st.error();
        return tl::unexpected(Error(Code::kIOError, st.error().message()));
      }
      fetched++;
      fetched_bytes += data->size();
      if (code == Code::kCorruption) repaired++;
      {
        std::lock_guard lock(progress_mu_);
        progress_.blocks_fetched++;
        progress_.bytes_fetched += data->size();
      }
      return data;
    };
    auto walked = backends::walk_parallel(get, remote.cid, o_.concurrency, o_.cancel);
    out.blocks_fetched = fetched;
    out.bytes_fetched = fetched_bytes;
    out.blocks_repaired = repaired;
    if (fatal) return tl::unexpected(fatal->wrap("restoring " + remote.cid.to_string() + " into the repository"));
    if (!walked) {
      // What was fetched stays (a re-run continues from it).
      TRY_STATUS(writer.commit(nullptr));
      if (walked.error().code() == Code::kCancelled) return tl::unexpected(walked.error());
      out.status = "failed";
      out.error = Error(walked.error().code(), "restoring " + remote.cid.to_string() + " from backend " +
                                                   backend_.info().name + ": " + walked.error().message());
      return out;
    }
    const backends::VerifyReport& r = *walked;
    out.blocks = r.blocks + r.missing_count + r.corrupt_count;
    out.missing = r.missing_count;
    out.corrupt = r.corrupt_count;
    if (o_.dry_run) {
      out.status = r.missing_count == 0 && r.corrupt_count == 0 && pin_matches ? "complete" : "would_restore";
      return out;
    }
    if (r.missing_count > 0 || r.corrupt_count > 0) {
      TRY_STATUS(writer.commit(nullptr));
      out.status = "failed";
      std::string what;
      if (r.missing_count > 0)
        what = std::to_string(r.missing_count) + " block(s) it does not have (first: " + r.missing.front().to_string() + ")";
      if (r.corrupt_count > 0)
        what += (what.empty() ? "" : " and ") + std::to_string(r.corrupt_count) +
                " block(s) whose bytes do not match their CID, refused (first: " + r.corrupt.front().to_string() + ")";
      out.error = Error(r.corrupt_count > 0 && r.missing_count == 0 ? Code::kCorruption : Code::kNotFound,
                        "backend " + backend_.info().name + " cannot restore " + remote.cid.to_string() + ": " + what);
      return out;
    }
    if (fetched == 0 && pin_matches) {
      out.status = "complete";
    } else {
      const int64_t now = static_cast<int64_t>(std::time(nullptr));
      TRY_STATUS(writer.commit([&](sql::Database& db) { return repo::PinIndex::add_in_transaction(db, {request}, now); }));
      out.status = "restored";
    }
    record_replica(out);
    return out;
  }

 private:
  // After a restore the replica index would know no copy on this backend,
  // and the daemon's passes would push every pin again, whole, to backends
  // that already hold it. A copy counts only when proved, so it is recorded
  // here only with a proof: every block of the pin fetched from this backend
  // just now (each re-hashed by get_block) is a read-back; otherwise (blocks
  // that were already here) the pin is read back from the backend, unless
  // the index already has a proved copy there. A failure here costs only
  // the recording (the passes push the copy as they would have): logged.
  void record_replica(PinOutcome& out) {
    if (!index_) return;
    const std::string& name = backend_.info().name;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    uint64_t blocks = out.blocks, bytes = out.bytes_fetched;
    if (out.blocks == 0 || out.blocks_fetched != out.blocks) {
      auto rows = index_->replicas_of(out.cid);
      if (rows) {
        for (const auto& r : *rows)
          if (r.backend == name && r.state == replication::State::kPinned) return;  // already known
      }
      auto v = backend_.verify(out.cid, o_.cancel);
      if (!v || !v->ok()) {
        logging::warn("restore", "copy not recorded: the read-back failed",
                      {{"backend", name}, {"cid", out.cid.to_string()},
                       {"error", !v ? v.error().message()
                                    : std::to_string(v->missing_count) + " missing and " +
                                          std::to_string(v->corrupt_count) + " corrupt blocks"}});
        return;
      }
      blocks = v->blocks;
      bytes = v->bytes;
    }
    auto adopted = index_->adopt(out.cid, name, backends::kReadBack, now, blocks, bytes, now);
    if (!adopted) {
      logging::warn("restore", "copy not recorded", {{"backend", name}, {"cid", out.cid.to_string()},
                                                     {"error", adopted.error().message()}});
      return;
    }
    out.replica_recorded = *adopted;
  }

  backends::Backend& backend_;
  core::Node& node_;
  const RestoreOptions& o_;
  std::optional<replication::ReplicaIndex> index_;  // set when copies are recorded
  std::mutex progress_mu_;
  RestoreProgress progress_;
  std::chrono::steady_clock::time_point last_progress_{};
};

}  // namespace

Result<RestoreSummary> restore(backends::Backend& backend, core::Node& node, const RestoreOptions& options) {
  Restorer r(backend, node, options);
  return r.run();
}

Result<PinOutcome> restore_pin(backends::Backend& backend, core::Node& node, const backends::RemotePin& pin,
                               const RestoreOptions& options) {
  RestoreOptions o = options;
  o.on_pin = nullptr;
  o.on_progress = nullptr;
  Restorer r(backend, node, o);
  return r.restore_one(pin);
}

}  // namespace ipfskit::retrieval
