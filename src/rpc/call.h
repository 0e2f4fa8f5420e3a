// One Kubo RPC call as the command handlers see it: the request's arguments
// and options with Kubo's parsing rules, and the reply in Kubo's wire
// format (one JSON value, JSON lines with X-Stream-Error, or bytes). Shared
// by the route files of src/rpc/ (kubo_rpc.cc, files_rpc.cc).
#pragma once

#include <charconv>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/version.h"
#include "http/server.h"
#include "rpc/kubo_rpc.h"

namespace ipfskit::rpc {

using Headers = std::vector<std::pair<std::string, std::string>>;


inline const Headers& common_headers() {
  static const Headers h = {
      {"Access-Control-Allow-Headers", "X-Stream-Output, X-Chunked-Output, X-Content-Length"},
      {"Access-Control-Expose-Headers", "X-Stream-Output, X-Chunked-Output, X-Content-Length"},
      {"Vary", "Origin"},
      {"Server", kAgentVersion},
  };
  return h;
}

// Kubo's error object and status: a bad request is 400 with Code 1
// (cmds.ErrClient), anything else 500 with Code 0 (cmds.ErrNormal).
inline std::pair<int, std::string> error_body(const Error& e) {
  const bool client = e.code() == Code::kInvalidArgument || e.code() == Code::kUnsupported ||
                      e.code() == Code::kResourceExhausted;
  // "Kind" is ours (Kubo's clients ignore it): the error's code, so that our
  // CLI, going through the daemon, fails as it would have locally.
  nlohmann::json j = {{"Message", e.message()}, {"Code", client ? 1 : 0}, {"Type", "error"}, {"Kind", code_name(e.code())}};
  return {client ? 400 : 500, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

// How a command answers: one JSON value, a stream of JSON values, or bytes.
class Reply {
 public:
  explicit Reply(http::Exchange& ex) : ex_(ex) {}

  Status json_value(const nlohmann::json& j) {
    std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    Headers h = common_headers();
    h.emplace_back("Content-Type", "application/json");
    TRY_STATUS(ex_.begin(200, h, body.size()));
    return ex_.write(as_bytes(body));
  }

  // One value of a stream; the stream starts with the first. Lines are
  // batched unless `flush`.
  Status emit(const nlohmann::json& j, bool flush = false) {
    if (!ex_.started()) {
      Headers h = common_headers();
      h.emplace_back("Content-Type", "application/json");
      h.emplace_back("X-Chunked-Output", "1");
      h.emplace_back("Trailer", "X-Stream-Error");
      TRY_STATUS(ex_.begin(200, h, std::nullopt));
    }
    buffer_ += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    buffer_ += '\n';
    if (flush || buffer_.size() >= 32 * 1024) return flush_lines();
    return {};
  }

  Status begin_bytes(const std::string& content_type, std::optional<uint64_t> size) {
    Headers h = common_headers();
    h.emplace_back("Content-Type", content_type);
    h.emplace_back("X-Stream-Output", "1");
    if (size) h.emplace_back("X-Content-Length", std::to_string(*size));
    h.emplace_back("Trailer", "X-Stream-Error");
    bytes_ = true;
    return ex_.begin(200, h, std::nullopt);
  }
  Status bytes(ByteView b) { return ex_.write(b); }

  // Ends a successful command. A stream that emitted nothing still answers
  // 200 with an empty body, as Kubo does.
  void finish() {
    if (!ex_.started()) {
      Headers h = common_headers();
      h.emplace_back("Content-Type", "application/json");
      h.emplace_back("X-Chunked-Output", "1");
      (void)ex_.begin(200, h, 0);
      return;
    }
    if (!flush_lines()) return ex_.abort();
    (void)ex_.end();
  }

  void fail(const Error& e) {
    if (ex_.started()) {
      // Mid-stream, as Kubo does: the lines so far, then the error in the
      // X-Stream-Error trailer (byte streams are aborted instead: their
      // clients cannot tell a trailer from the end of the content).
      if (!bytes_ && flush_lines()) return ex_.end_with_stream_error(e.message());
      return ex_.abort();
    }
    auto [status, body] = error_body(e);
    Headers h = common_headers();
    h.emplace_back("Content-Type", "application/json");
    (void)ex_.begin(status, h, body.size());
    (void)ex_.write(as_bytes(body));
  }

 private:
  Status flush_lines() {
    if (buffer_.empty()) return {};
    Status st = ex_.write(as_bytes(buffer_));
    buffer_.clear();
    return st;
  }

  http::Exchange& ex_;
  std::string buffer_;
  bool bytes_ = false;  // a byte stream (cat, get, export), not JSON lines
};

// One RPC call: the request's arguments and options, and its reply.
class Call {
 public:
  Call(http::Exchange& ex, const RpcContext& ctx) : ex_(ex), ctx_(ctx), reply(ex) {}

  core::Node& node() { return *ctx_.node; }
  const RpcContext& context() const { return ctx_; }
  const http::Request& request() const { return ex_.request(); }
  ByteReader& body() { return ex_.body(); }

  std::vector<std::string> args() const { return request().params("arg"); }
  Result<std::string> arg(size_t i, const char* what) const {
    auto a = args();
    if (a.size() <= i) return invalid_argument(std::string("argument \"") + what + "\" is required");
    return a[i];
  }

  std::optional<std::string> str(std::string_view name) const { return request().param(name); }

  // Kubo's boolean options: "true"/"false" (also "1"/"0"); a bare `?flag` is true.
  Result<bool> flag(std::string_view name, bool def) const {
    auto v = request().param(name);
    if (!v) return def;
    if (v->empty() || *v == "true" || *v == "1") return true;
    if (*v == "false" || *v == "0") return false;
    return invalid_argument("option \"" + std::string(name) + "\": could not convert \"" + *v + "\" to bool");
  }
  Result<std::optional<bool>> opt_flag(std::string_view name) const {
    if (!request().param(name)) return std::optional<bool>();
    return std::optional<bool>(TRY(flag(name, false)));
  }
  Result<std::optional<int64_t>> integer(std::string_view name) const {
    auto v = request().param(name);
    if (!v) return std::optional<int64_t>();
    int64_t out;
    auto r = std::from_chars(v->data(), v->data() + v->size(), out);
    if (r.ec != std::errc() || r.ptr != v->data() + v->size())
      return invalid_argument("option \"" + std::string(name) + "\": could not convert \"" + *v + "\" to int");
    return std::optional<int64_t>(out);
  }

  std::shared_ptr<const Config> config() const { return ctx_.config(); }

 private:
  http::Exchange& ex_;
  const RpcContext& ctx_;

 public:
  Reply reply;
};

using Handler = std::function<Status(Call&)>;

}  // namespace ipfskit::rpc
