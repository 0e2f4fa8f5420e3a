// Cancellation of long operations (an add, an import, a sync) on request: an
// MCP client's notifications/cancelled, a closed dashboard upload, --timeout.
//
// The requester calls cancel(); the work checks the token at convenient
// points (between chunks, blocks, items) and returns Code::kCancelled. A
// token is shared by pointer and must outlive the operation it is given to.
#pragma once

#include <atomic>
#include <string>

#include "base/error.h"
#include "base/io.h"

namespace ipfskit {

class CancelToken {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // Cancelled (naming `what`) once cancel() was called, OK before.
  Status check(const char* what = "operation") const {
    if (!cancelled()) return {};
    return make_error(Code::kCancelled, std::string(what) + " cancelled");
  }

 private:
  std::atomic<bool> cancelled_{false};
};

// A null token is never cancelled.
inline Status check_cancel(const CancelToken* token, const char* what = "operation") {
  return token != nullptr ? token->check(what) : Status{};
}

// Reads from `inner` until the token is cancelled, then fails with Cancelled:
// whatever consumes the stream (a CAR import, an upload) stops there.
class CancellableReader : public ByteReader {
 public:
  CancellableReader(ByteReader& inner, const CancelToken* token, const char* what)
      : inner_(inner), token_(token), what_(what) {}
  Result<size_t> read(uint8_t* buf, size_t n) override {
    TRY_STATUS(check_cancel(token_, what_));
    return inner_.read(buf, n);
  }

 private:
  ByteReader& inner_;
  const CancelToken* token_;
  const char* what_;
};

}  // namespace ipfskit
