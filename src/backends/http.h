// Outbound HTTP for backends, on libcurl.
//
// An HttpSession owns one curl handle, so consecutive requests reuse their
// connection (keep-alive); it is not thread safe: a backend keeps one per
// thread that talks to its service. Every request is bounded: a connect
// timeout, a total timeout, a stall timeout for streams, and a cap on the
// response body it collects. Nothing a server sends can make it allocate
// without bound or wait forever.
//
// Failures become Errors with the code a caller can act on:
//   cannot connect / resolve      -> Unavailable
//   timed out                     -> Timeout
//   body over max_response_bytes  -> ResourceExhausted
//   connection cut mid-response   -> IOError ("truncated response")
// An HTTP error status is NOT an Error here: the response is returned and the
// caller decides (http_error() turns it into one).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/cancel.h"
#include "base/error.h"
#include "base/line_splitter.h"

namespace ipfskit::backends {

// Produces a streamed request body: fills `buf`, returns the count, 0 at the end.
using BodySource = std::function<Result<size_t>(uint8_t* buf, size_t n)>;
// Receives response body bytes as they arrive (2xx responses only); an error aborts.
using BodySink = std::function<Status(ByteView)>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // A body in memory (sent with Content-Length) ...
  const std::string* body = nullptr;
  ByteView body_bytes;
  // ... or streamed (chunked transfer encoding).
  BodySource body_source;
  BodySink sink;  // stream the response body instead of collecting it

  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{60000};  // whole request; 0: none (streams use stall_timeout)
  std::chrono::seconds stall_timeout{60};    // fail a transfer that moves no byte for this long
  uint64_t max_response_bytes = 16ULL << 20;

  // AWS Signature V4 (CURLOPT_AWS_SIGV4), e.g. "aws:amz:us-east-1:s3", with
  // `userpwd` = "ACCESS:SECRET".
  std::string aws_sigv4;
  std::string userpwd;
  const CancelToken* cancel = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value wins
  std::string body;                            // collected unless the request had a sink
  std::string stream_error;                    // an X-Stream-Error trailer (Kubo RPC, Cluster)
  uint64_t body_bytes = 0;                     // bytes received, collected or streamed
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpSession {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  Result<HttpResponse> perform(const HttpRequest& request);

 private:
  void* curl_;  // CURL*
};

// Many requests at once on the calling thread (libcurl's multi interface):
// health probes, where a round over N backends must cost about one request,
// not N threads. Connections stay open between calls. Not thread safe.
class HttpMulti {
 public:
  HttpMulti();
  ~HttpMulti();
  HttpMulti(const HttpMulti&) = delete;
  HttpMulti& operator=(const HttpMulti&) = delete;

  struct Outcome {
    Result<HttpResponse> result = HttpResponse{};
    double ms = 0;  // from the start of the call to this request's end
  };
  // Performs every request concurrently; returns their outcomes in order.
  // Streamed bodies (body_source) and sinks work as with HttpSession.
  std::vector<Outcome> perform_all(const std::vector<HttpRequest>& requests);

 private:
  void* multi_;              // CURLM*
  std::vector<void*> idle_;  // CURL* kept between calls
};

// Reusable sessions for a backend's threads: a lease takes an idle session
// (with its open connection) or makes one, and gives it back when dropped.
class SessionPool {
 public:
  class Lease {
   public:
    Lease(SessionPool* pool, std::unique_ptr<HttpSession> s) : pool_(pool), s_(std::move(s)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (s_) pool_->give_back(std::move(s_));
    }
    HttpSession& operator*() { return *s_; }
    HttpSession* operator->() { return s_.get(); }

   private:
    SessionPool* pool_;
    std::unique_ptr<HttpSession> s_;
  };
  Lease acquire();

 private:
  void give_back(std::unique_ptr<HttpSession> s);
  std::mutex mu_;
  std::vector<std::unique_ptr<HttpSession>> idle_;
};

// The value of an Authorization header for a configured token: "user:pass"
// as Basic, a value already starting with "Basic " or "Bearer " as given,
// anything else as a Bearer token. "" for no token.
std::string authorization(std::string_view token);

// A random multipart boundary.
std::string multipart_boundary();

// Percent-encodes everything but RFC 3986's unreserved characters (and '/'
// when `keep_slash`): query values, S3 keys.
std::string uri_encode(std::string_view s, bool keep_slash = false);

// An Error for a non-2xx response: 401/403 PermissionDenied, 404 NotFound,
// 400 InvalidArgument, 429/503 Unavailable, others IOError; the message names
// `what`, the status and the start of the body (control bytes removed).
Error http_error(std::string_view what, const HttpResponse& r);

// The first `n` printable characters of an untrusted body, for messages.
std::string excerpt(std::string_view body, size_t n = 200);

}  // namespace ipfskit::backends
