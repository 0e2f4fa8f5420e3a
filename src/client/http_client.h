// An HTTP client on libcurl for talking to a running daemon: JSON requests to
// the management API, and streamed RPC calls (request bodies produced on the
// fly, response bodies delivered as they arrive).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/line_splitter.h"

namespace ipfskit::client {

struct Response {
  long status = 0;
  std::string content_type;
  std::string body;
  // Kubo RPC's report of an error found after the reply began (the
  // X-Stream-Error trailer); empty when the stream ended well.
  std::string stream_error;
};

// Produces the request body: fills `buf` and returns the count, 0 at the end.
using BodySource = std::function<Result<size_t>(uint8_t* buf, size_t n)>;
// Receives response body bytes; an error aborts the transfer.
using BodySink = std::function<Status(ByteView)>;

class HttpClient {
 public:
  // `base` like "http://127.0.0.1:8887"; `token` sent as a Bearer token when set.
  HttpClient(std::string base, std::string token) : base_(std::move(base)), token_(std::move(token)) {}

  // Bounds each whole request (0, the default: only connecting is bounded,
  // at 5 s, since adds and exports may stream for long). A request that runs
  // out of time fails with Timeout.
  void set_timeout_ms(long ms) { timeout_ms_ = ms; }

  Result<Response> get(const std::string& path);
  Result<Response> post(const std::string& path, const std::string& body = "", const std::string& content_type = "");
  // Any other method without a body (DELETE).
  Result<Response> send(const std::string& method, const std::string& path);
  // POST with a streamed body (chunked) and a streamed response. The response
  // body goes to `sink` only for 2xx statuses; otherwise it is collected into
  // the returned Response's body (an error document).
  Result<Response> post_stream(const std::string& path, const std::string& content_type, BodySource body,
                               BodySink sink);

 private:
  std::string base_, token_;
  long timeout_ms_ = 0;
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

// The RPC's error object {"Message": ...} as an Error (or the raw body).
Error rpc_error(const Response& r);

}  // namespace ipfskit::client
