// lotus and storacha: accepted in the configuration so that the seeds'
// configs load, and honest about doing nothing: every call, the health probe
// included, answers Unsupported with the reason.
#include "backends/types.h"

namespace ipfskit::backends {

namespace {

class UnsupportedBackend final : public Backend {
 public:
  UnsupportedBackend(BackendInfo info, std::string reason) : Backend(std::move(info)), reason_(std::move(reason)) {}

  Capabilities capabilities() const override {
    Capabilities c;
    c.unsupported_reason = reason_;
    return c;
  }
  Result<ProbeResult> probe(std::chrono::milliseconds) override { return unsupported_op("be used", reason_); }
  Result<Usage> usage() override { return unsupported_op("report usage", reason_); }
  Result<std::string> put_block(const Cid&, ByteView) override { return unsupported_op("store blocks", reason_); }
  Result<bool> has_block(const Cid&) override { return unsupported_op("check for blocks", reason_); }
  Status remove_block(const Cid&) override { return unsupported_op("remove blocks", reason_); }
  Result<PinReceipt> pin(const PinSpec&, BlockSource&, const CancelToken*) override { return unsupported_op("pin", reason_); }
  Result<std::optional<RemotePin>> pin_status(const Cid&) override { return unsupported_op("report pins", reason_); }
  Status unpin(const Cid&) override { return unsupported_op("unpin", reason_); }
  Status list_pins(const std::function<Status(const RemotePin&)>&) override { return unsupported_op("list pins", reason_); }
  Result<VerifyReport> verify(const Cid&, const CancelToken*) override { return unsupported_op("verify", reason_); }

 protected:
  Result<Bytes> fetch_block(const Cid&) override { return unsupported_op("read blocks", reason_); }

 private:
  std::string reason_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_unsupported_backend(const TypeArgs& a, std::string reason) {
  return std::unique_ptr<Backend>(new UnsupportedBackend(a.info, std::move(reason)));
}

}  // namespace ipfskit::backends
