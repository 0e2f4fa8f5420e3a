// Streaming a DAG to a service and a service's CAR back through a verifier,
// with bounded memory: a producer thread and a consumer meet in a BytePipe.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "backends/backend.h"
#include "backends/http.h"
#include "backends/pipe.h"

namespace ipfskit::backends {

// The CAR of the DAG under `root` as a multipart/form-data body with one
// file part (what Kubo's dag/import and Cluster's /add?format=car take),
// generated while it is sent.
class CarUpload {
 public:
  CarUpload(BlockSource& source, const Cid& root, const CancelToken* cancel);
  ~CarUpload();
  CarUpload(const CarUpload&) = delete;
  CarUpload& operator=(const CarUpload&) = delete;

  std::string content_type() const { return "multipart/form-data; boundary=" + boundary_; }
  // For HttpRequest::body_source.
  BodySource body();
  // Waits for the producer; its error (a block missing locally) if it failed.
  Status finish();
  uint64_t blocks() const { return blocks_; }
  uint64_t bytes() const { return bytes_; }

 private:
  std::string boundary_, head_, tail_;
  size_t head_sent_ = 0, tail_sent_ = 0;
  bool pipe_done_ = false;
  BytePipe pipe_;
  std::thread producer_;
  std::optional<Error> error_;
  std::atomic<uint64_t> blocks_{0}, bytes_{0};
};

// Performs `request` and hands its 2xx response body, as it arrives, to
// `consume` on the calling thread. A non-2xx status, a transport error or an
// X-Stream-Error trailer is returned as the error (naming `what`); so is
// consume's own error.
// `on_error` turns a non-2xx response into the Error (default: http_error).
Status stream_response(HttpSession& session, HttpRequest request, std::string_view what,
                       const std::function<Status(ByteReader&)>& consume,
                       const std::function<Error(const HttpResponse&)>& on_error = nullptr);

// Reads the DAG under `root` back as a CAR (a gateway's ?format=car, Kubo's
// dag/export) and verifies it with verify_car(). A NotFound answer means
// the server does not hold the root: a report with the root missing.
Result<VerifyReport> verify_car_over_http(SessionPool& sessions, HttpRequest request, const Cid& root, std::string_view what,
                                          const CancelToken* cancel,
                                          const std::function<Error(const HttpResponse&)>& on_error = nullptr);

}  // namespace ipfskit::backends
