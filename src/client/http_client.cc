#include "client/http_client.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <mutex>

namespace ipfskit::client {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  BodySource source;
  BodySink sink;
  Response response;
  std::optional<Error> error;  // from the source or the sink
  bool ok_status() const { return response.status >= 200 && response.status < 300; }
};

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (t->sink && t->ok_status()) {
    Status st = t->sink(ByteView(reinterpret_cast<uint8_t*>(data), bytes));
    if (!st) {
      t->error = st.error();
      return 0;  // aborts the transfer
    }
    return bytes;
  }
  if (t->response.body.size() + bytes > (64u << 20)) return 0;
  t->response.body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  // The status line of each response (a 100 Continue may come first).
  if (line.rfind("HTTP/", 0) == 0) {
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) t->response.status = std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
  } else if (line.size() > 13 && strncasecmp(line.data(), "content-type:", 13) == 0) {
    std::string v(line.substr(13));
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    t->response.content_type = v;
  } else if (line.size() > 15 && strncasecmp(line.data(), "x-stream-error:", 15) == 0) {
    // Arrives as a trailer, after the body.
    std::string v(line.substr(15));
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
    t->response.stream_error = v.empty() ? "the daemon reported an error mid-stream" : v;
  }
  return size * n;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  auto r = t->source(reinterpret_cast<uint8_t*>(buf), size * n);
  if (!r) {
    t->error = r.error();
    return CURL_READFUNC_ABORT;
  }
  return *r;
}

Result<Response> perform(const std::string& url, const std::string& token, long timeout_ms, const char* method,
                         const std::string* body, const std::string& content_type, Transfer& t) {
  global_init();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return internal_error("curl_easy_init failed");
  struct curl_slist* headers = nullptr;
  if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  if (!content_type.empty()) headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  if (timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "ipfs-kit-cli");
  if (std::string_view(method) != "GET" && std::string_view(method) != "POST")
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  if (std::string_view(method) == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (t.source) {
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body != nullptr ? body->c_str() : "");
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body != nullptr ? body->size() : 0));
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (t.error) return tl::unexpected(*t.error);
  if (rc != CURLE_OK) {
    Code code = rc == CURLE_COULDNT_CONNECT      ? Code::kUnavailable
                : rc == CURLE_OPERATION_TIMEDOUT ? Code::kTimeout
                                                 : Code::kIOError;
    return make_error(code, "request to the daemon (" + url + ") failed: " + curl_easy_strerror(rc));
  }
  return std::move(t.response);
}

}  // namespace

Result<Response> HttpClient::get(const std::string& path) {
  Transfer t;
  return perform(base_ + path, token_, timeout_ms_, "GET", nullptr, "", t);
}

Result<Response> HttpClient::post(const std::string& path, const std::string& body, const std::string& content_type) {
  Transfer t;
  return perform(base_ + path, token_, timeout_ms_, "POST", &body, content_type, t);
}

Result<Response> HttpClient::send(const std::string& method, const std::string& path) {
  Transfer t;
  return perform(base_ + path, token_, timeout_ms_, method.c_str(), nullptr, "", t);
}

Result<Response> HttpClient::post_stream(const std::string& path, const std::string& content_type, BodySource body,
                                         BodySink sink) {
  Transfer t;
  t.source = std::move(body);
  t.sink = std::move(sink);
  return perform(base_ + path, token_, timeout_ms_, "POST", nullptr, content_type, t);
}

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Error rpc_error(const Response& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  std::string message;
  std::optional<Code> kind;
  if (!j.is_discarded() && j.is_object()) {
    if (j.contains("Kind") && j["Kind"].is_string()) kind = code_by_name(j["Kind"].get<std::string>());
    else if (j.contains("code") && j["code"].is_string()) kind = code_by_name(j["code"].get<std::string>());
    if (j.contains("Message") && j["Message"].is_string()) message = j["Message"].get<std::string>();
    else if (j.contains("error") && j["error"].is_string()) message = j["error"].get<std::string>();
  }
  if (message.empty()) message = r.body.empty() ? "HTTP " + std::to_string(r.status) : r.body;
  while (!message.empty() && message.back() == '\n') message.pop_back();
  Code code = Code::kInternal;
  if (r.status == 400) code = Code::kInvalidArgument;
  else if (r.status == 401 || r.status == 403) code = Code::kPermissionDenied;
  else if (r.status == 404) code = Code::kNotFound;
  else if (r.status == 503) code = Code::kUnavailable;
  else if (r.status == 501) code = Code::kUnsupported;
  else if (r.status >= 500) {
    // Kubo's RPC reports most failures as 500 Code 0: keep the message's meaning where we can.
    if (message.find("not found") != std::string::npos || message.find("not pinned") != std::string::npos)
      code = Code::kNotFound;
    else
      code = Code::kIOError;
  }
  return Error(kind.value_or(code), message);
}

}  // namespace ipfskit::client
