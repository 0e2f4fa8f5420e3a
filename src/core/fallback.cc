#include "core/fallback.h"

#include <cstring>

namespace ipfskit::core {

ReadThroughSource::ReadThroughSource(repo::PackStore& store) : store_(store) {}

ReadThroughSource::~ReadThroughSource() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
    queue_cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
}

void ReadThroughSource::set_fallback(std::shared_ptr<BlockFallback> fallback, FallbackOptions options) {
  std::lock_guard lock(mu_);
  fallback_ = std::move(fallback);
  options_ = options;
}

bool ReadThroughSource::has_fallback() const {
  std::lock_guard lock(mu_);
  return fallback_ != nullptr;
}

FallbackStats ReadThroughSource::stats() const {
  FallbackStats s;
  s.fetched_blocks = fetched_blocks_.load();
  s.fetched_bytes = fetched_bytes_.load();
  s.refused_blocks = refused_blocks_.load();
  s.cached_blocks = cached_blocks_.load();
  s.cache_failures = cache_failures_.load();
  return s;
}

Result<Bytes> ReadThroughSource::get(const Cid& cid) {
  auto local = store_.get(cid);
  if (local) return local;
  return from_fallback(cid, local.error());
}

Result<VerifiedRead> ReadThroughSource::read_verified(const Cid& cid, ScratchBuffer& buffer) {
  auto local = store_.read_verified(cid, buffer);
  if (local) return local;
  Bytes fetched = TRY(from_fallback(cid, local.error()));
  uint8_t* p = buffer.reserve(fetched.size());
  if (!fetched.empty()) std::memcpy(p, fetched.data(), fetched.size());
  VerifiedRead r;
  r.data = ByteView(p, fetched.size());
  return r;
}

Result<Bytes> ReadThroughSource::from_fallback(const Cid& cid, const Error& local_error) {
  const Code code = local_error.code();
  if (code != Code::kNotFound && code != Code::kCorruption) return tl::unexpected(local_error);
  std::shared_ptr<BlockFallback> fallback;
  FallbackOptions options;
  {
    std::lock_guard lock(mu_);
    fallback = fallback_;
    options = options_;
  }
  if (!fallback) return tl::unexpected(local_error);
  auto fetched = fallback->fetch(cid);
  if (!fetched) {
    // The repository's own error first: "block not found: X", then why no
    // backend could help. When no backend has it either, the repository's
    // code stands: a corrupt copy here stays Corruption (EIO on the mount,
    // exit 4), not NotFound.
    const Code reported = fetched.error().code() == Code::kNotFound ? code : fetched.error().code();
    return make_error(reported, local_error.message() + "; " + fetched.error().message());
  }
  // The fallback vouches for its bytes; we check anyway, as for any block
  // from outside the repository.
  if (Status ok = verify_block(cid, *fetched); !ok) {
    refused_blocks_++;
    return make_error(Code::kCorruption, local_error.message() + "; the fallback sent bad data: " + ok.error().message());
  }
  fetched_blocks_++;
  fetched_bytes_ += fetched->size();
  if (options.cache && !cid.is_identity()) {
    bool queued = false;
    {
      std::lock_guard lock(queue_mu_);
      if (queued_bytes_ + fetched->size() <= options.cache_queue_bytes && !stopping_) {
        queue_.push_back(Pending{cid, *fetched, code == Code::kCorruption});
        queued_bytes_ += fetched->size();
        if (!writer_.joinable()) writer_ = std::thread([this] { write_loop(); });
        queue_cv_.notify_all();
        queued = true;
      }
    }
    if (!queued) cache_failures_++;
  }
  return fetched;
}

// One writer: whatever queued while the last batch committed goes into the
// next one, so a burst of fetched blocks costs a few fdatasyncs, not one each.
void ReadThroughSource::write_loop() {
  for (;;) {
    std::deque<Pending> batch;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);
      writing_ = batch.size();
    }
    auto write = [&]() -> Status {
      // The batch holds the shared GC lock from here on. A corrupt copy is
      // dropped from the index first, so that the good bytes take its place
      // (the index keeps the first copy of a block).
      auto wb = TRY(store_.begin());
      for (const Pending& p : batch)
        if (p.replace_corrupt) {
          Status removed = store_.remove(p.cid);
          if (!removed && removed.error().code() != Code::kNotFound) return removed;
        }
      for (const Pending& p : batch) TRY_STATUS(wb->put(p.cid, p.data));
      return wb->commit();
    };
    Status st = write();
    size_t bytes = 0;
    for (const Pending& p : batch) bytes += p.data.size();
    (st ? cached_blocks_ : cache_failures_) += batch.size();
    std::lock_guard lock(queue_mu_);
    queued_bytes_ -= bytes;
    writing_ = 0;
    queue_cv_.notify_all();
  }
}

void ReadThroughSource::flush() {
  std::unique_lock lock(queue_mu_);
  queue_cv_.wait(lock, [&] { return (queue_.empty() && writing_ == 0) || !writer_.joinable(); });
}

}  // namespace ipfskit::core
