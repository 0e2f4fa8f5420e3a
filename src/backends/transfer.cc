#include "backends/transfer.h"

#include <cstring>

#include "car/car.h"
#include "dag/dag.h"

namespace ipfskit::backends {

CarUpload::CarUpload(BlockSource& source, const Cid& root, const CancelToken* cancel) {
  boundary_ = multipart_boundary();
  head_ = "--" + boundary_ +
          "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"dag.car\"\r\n"
          "Content-Type: application/vnd.ipld.car\r\n\r\n";
  tail_ = "\r\n--" + boundary_ + "--\r\n";
  producer_ = std::thread([this, &source, root, cancel] {
    car::V1Writer writer([this](ByteView b) { return pipe_.write(b); });
    Status st = writer.write_header({root});
    if (st) {
      st = dag::walk(source, root, [&](const Cid& cid, ByteView data) -> Status {
        TRY_STATUS(check_cancel(cancel, "upload"));
        if (cid.is_identity()) return {};
        blocks_++;
        bytes_ += data.size();
        return writer.write_block(cid, data);
      });
    }
    if (!st) error_ = st.error();
    pipe_.close(st ? std::nullopt : std::optional<Error>(st.error()));
  });
}

CarUpload::~CarUpload() {
  pipe_.close_reader(Error(Code::kCancelled, "upload abandoned"));
  if (producer_.joinable()) producer_.join();
}

BodySource CarUpload::body() {
  return [this](uint8_t* buf, size_t n) -> Result<size_t> {
    if (head_sent_ < head_.size()) {
      size_t k = std::min(n, head_.size() - head_sent_);
      std::memcpy(buf, head_.data() + head_sent_, k);
      head_sent_ += k;
      return k;
    }
    if (!pipe_done_) {
      size_t k = TRY(pipe_.read(buf, n));
      if (k > 0) return k;
      pipe_done_ = true;
    }
    size_t k = std::min(n, tail_.size() - tail_sent_);
    std::memcpy(buf, tail_.data() + tail_sent_, k);
    tail_sent_ += k;
    return k;
  };
}

Status CarUpload::finish() {
  if (producer_.joinable()) producer_.join();
  if (error_) return tl::unexpected(*error_);
  return {};
}

Status stream_response(HttpSession& session, HttpRequest request, std::string_view what,
                       const std::function<Status(ByteReader&)>& consume,
                       const std::function<Error(const HttpResponse&)>& on_error) {
  BytePipe pipe(8 << 20);
  std::optional<Error> transfer_error;
  std::thread t([&] {
    HttpRequest r = request;
    r.sink = [&pipe](ByteView b) { return pipe.write(b); };
    auto res = session.perform(r);
    if (!res) {
      transfer_error = res.error().wrap(what);
    } else if (res->status < 200 || res->status >= 300) {
      transfer_error = on_error ? on_error(*res) : http_error(what, *res);
    } else if (!res->stream_error.empty()) {
      transfer_error = Error(Code::kIOError, std::string(what) + ": the server failed mid-stream: " + excerpt(res->stream_error));
    }
    pipe.close(transfer_error);
  });
  Status consumed = consume(pipe);
  // Stop the transfer if the consumer is done early (an error, or it has read enough).
  pipe.close_reader(consumed ? Error(Code::kCancelled, "response no longer needed") : consumed.error());
  t.join();
  if (transfer_error && transfer_error->code() != Code::kCancelled) return tl::unexpected(*transfer_error);
  return consumed;
}

Result<VerifyReport> verify_car_over_http(SessionPool& sessions, HttpRequest request, const Cid& root, std::string_view what,
                                          const CancelToken* cancel, const std::function<Error(const HttpResponse&)>& on_error) {
  request.timeout = std::chrono::milliseconds(0);  // as long as bytes keep coming (stall_timeout)
  request.cancel = cancel;
  std::optional<VerifyReport> report;
  auto session = sessions.acquire();
  Status st = stream_response(*session, request, what, [&](ByteReader& body) -> Status {
    report = TRY(verify_car(body, root, cancel));
    return {};
  }, on_error);
  if (!st) {
    if (st.error().code() != Code::kNotFound) return tl::unexpected(st.error());
    VerifyReport missing;
    missing.missing_count = 1;
    missing.missing.push_back(root);
    return missing;
  }
  return *report;
}

}  // namespace ipfskit::backends
