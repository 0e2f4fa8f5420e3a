#include "backends/http.h"

#include <curl/curl.h>

#include <openssl/rand.h>

#include <cctype>
#include <cstring>
#include <mutex>

#include "multiformats/multibase.h"

namespace ipfskit::backends {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  std::optional<Error> error;  // from the source, the sink, a limit or cancellation
  size_t body_offset = 0;      // into an in-memory body
  bool ok_status() const { return response.status >= 200 && response.status < 300; }
};

std::string trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  t->response.body_bytes += bytes;
  if (t->request->cancel != nullptr && t->request->cancel->cancelled()) {
    t->error = Error(Code::kCancelled, "request cancelled");
    return 0;
  }
  if (t->request->sink && t->ok_status()) {
    Status st = t->request->sink(ByteView(reinterpret_cast<uint8_t*>(data), bytes));
    if (!st) {
      t->error = st.error();
      return 0;
    }
    return bytes;
  }
  if (t->response.body.size() + bytes > t->request->max_response_bytes) {
    t->error = Error(Code::kResourceExhausted, "the response exceeds " + std::to_string(t->request->max_response_bytes) + " bytes");
    return 0;
  }
  t->response.body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a 100 Continue or a redirect): start over.
    t->response.headers.clear();
    auto sp = line.find(' ');
    if (sp != std::string_view::npos && line.size() >= sp + 4)
      t->response.status = std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return size * n;
  std::string name(line.substr(0, colon));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value = trim(line.substr(colon + 1));
  if (t->response.headers.size() < 200 && value.size() < 16384) t->response.headers[name] = value;
  if (name == "x-stream-error") t->response.stream_error = value.empty() ? "the server reported an error mid-stream" : value;
  return size * n;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->cancel != nullptr && t->request->cancel->cancelled()) {
    t->error = Error(Code::kCancelled, "request cancelled");
    return CURL_READFUNC_ABORT;
  }
  auto r = t->request->body_source(reinterpret_cast<uint8_t*>(buf), size * n);
  if (!r) {
    t->error = r.error();
    return CURL_READFUNC_ABORT;
  }
  return *r;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->request->cancel != nullptr && t->request->cancel->cancelled() ? 1 : 0;
}

}  // namespace

HttpSession::HttpSession() {
  global_init();
  curl_ = curl_easy_init();
}

HttpSession::~HttpSession() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

namespace {

// Sets `curl` up for `req`; the headers list is returned for the caller to
// free once the transfer is over.
curl_slist* configure(CURL* curl, const HttpRequest& req, Transfer& t) {
  t.request = &req;
  struct curl_slist* headers = nullptr;
  for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  if (req.timeout.count() > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req.stall_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "ipfs-kit");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // Trailers (X-Stream-Error) arrive through the header callback.
  curl_easy_setopt(curl, CURLOPT_HTTP_TRANSFER_DECODING, 1L);
  if (req.cancel != nullptr) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  if (!req.aws_sigv4.empty()) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, req.aws_sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, req.userpwd.c_str());
  }
  const std::string& m = req.method;
  const bool has_memory_body = req.body != nullptr || !req.body_bytes.empty();
  if (m == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (m == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (!has_memory_body && !req.body_source && m != "POST") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());  // DELETE without a body
  } else {
    // POST, PUT, DELETE: a body in memory (SigV4 hashes POSTFIELDS), streamed, or empty.
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (req.body_source) {
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
    } else if (has_memory_body) {
      const char* data = req.body != nullptr ? req.body->data() : reinterpret_cast<const char*>(req.body_bytes.data());
      const size_t len = req.body != nullptr ? req.body->size() : req.body_bytes.size();
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(len));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data);
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    }
    if (m != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  return headers;
}

// The outcome of a finished transfer.
Result<HttpResponse> conclude(CURLcode rc, Transfer& t) {
  const HttpRequest& req = *t.request;
  if (t.error) return tl::unexpected(*t.error);
  if (rc != CURLE_OK) {
    std::string what = req.method + " " + req.url.substr(0, req.url.find('?')) + ": ";
    switch (rc) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        return make_error(Code::kUnavailable, what + "cannot connect (" + curl_easy_strerror(rc) + ")");
      case CURLE_OPERATION_TIMEDOUT:
        return make_error(Code::kTimeout, what + "timed out (" + curl_easy_strerror(rc) + ")");
      case CURLE_PARTIAL_FILE:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
        return make_error(Code::kIOError, what + "truncated response (" + std::string(curl_easy_strerror(rc)) + ")");
      case CURLE_ABORTED_BY_CALLBACK:
        return make_error(Code::kCancelled, what + "cancelled");
      default:
        return make_error(Code::kIOError, what + curl_easy_strerror(rc));
    }
  }
  return std::move(t.response);
}

}  // namespace

Result<HttpResponse> HttpSession::perform(const HttpRequest& req) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return internal_error("curl_easy_init failed");
  curl_easy_reset(curl);
  Transfer t;
  curl_slist* headers = configure(curl, req, t);
  CURLcode rc = curl_easy_perform(curl);
  // The handle keeps pointers to these: clear them before they go away.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  return conclude(rc, t);
}

HttpMulti::HttpMulti() {
  global_init();
  multi_ = curl_multi_init();
  if (multi_ != nullptr) curl_multi_setopt(static_cast<CURLM*>(multi_), CURLMOPT_MAXCONNECTS, 1024L);
}

HttpMulti::~HttpMulti() {
  for (void* e : idle_) curl_easy_cleanup(static_cast<CURL*>(e));
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

std::vector<HttpMulti::Outcome> HttpMulti::perform_all(const std::vector<HttpRequest>& requests) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(); };
  std::vector<Outcome> out(requests.size());
  CURLM* multi = static_cast<CURLM*>(multi_);
  if (multi == nullptr) {
    for (auto& o : out) o.result = internal_error("curl_multi_init failed");
    return out;
  }
  std::vector<Transfer> transfers(requests.size());
  std::vector<CURL*> handles(requests.size(), nullptr);
  std::vector<curl_slist*> headers(requests.size(), nullptr);
  for (size_t i = 0; i < requests.size(); ++i) {
    CURL* e = nullptr;
    if (!idle_.empty()) {
      e = static_cast<CURL*>(idle_.back());
      idle_.pop_back();
      curl_easy_reset(e);
    } else {
      e = curl_easy_init();
    }
    if (e == nullptr) {
      out[i].result = internal_error("curl_easy_init failed");
      continue;
    }
    handles[i] = e;
    headers[i] = configure(e, requests[i], transfers[i]);
    curl_easy_setopt(e, CURLOPT_PRIVATE, reinterpret_cast<char*>(i));
    curl_multi_add_handle(multi, e);
  }
  int running = 0;
  curl_multi_perform(multi, &running);
  while (running > 0) {
    int ready = 0;
    curl_multi_poll(multi, nullptr, 0, 100, &ready);
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      const size_t i = reinterpret_cast<size_t>(priv);
      out[i].result = conclude(msg->data.result, transfers[i]);
      out[i].ms = elapsed();
    }
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    char* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    const size_t i = reinterpret_cast<size_t>(priv);
    out[i].result = conclude(msg->data.result, transfers[i]);
    out[i].ms = elapsed();
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    if (handles[i] == nullptr) continue;
    curl_multi_remove_handle(multi, handles[i]);
    curl_easy_setopt(handles[i], CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers[i]);
    // Kept for the next round: their connections stay in the multi's cache.
    if (idle_.size() < 1024) idle_.push_back(handles[i]);
    else curl_easy_cleanup(handles[i]);
  }
  return out;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string excerpt(std::string_view body, size_t n) {
  std::string out;
  for (char c : body) {
    if (out.size() >= n) {
      out += "...";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Error http_error(std::string_view what, const HttpResponse& r) {
  Code code = Code::kIOError;
  if (r.status == 400) code = Code::kInvalidArgument;
  else if (r.status == 401 || r.status == 403) code = Code::kPermissionDenied;
  else if (r.status == 404 || r.status == 410) code = Code::kNotFound;
  else if (r.status == 429 || r.status == 502 || r.status == 503 || r.status == 504) code = Code::kUnavailable;
  else if (r.status == 501) code = Code::kUnsupported;
  std::string msg = std::string(what) + ": HTTP " + std::to_string(r.status);
  std::string body = excerpt(r.body);
  if (!body.empty()) msg += ": " + body;
  if (code == Code::kPermissionDenied) msg += " (check the backend's credentials)";
  return Error(code, msg);
}

SessionPool::Lease SessionPool::acquire() {
  std::unique_ptr<HttpSession> s;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      s = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!s) s = std::make_unique<HttpSession>();
  return Lease(this, std::move(s));
}

void SessionPool::give_back(std::unique_ptr<HttpSession> s) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 64) idle_.push_back(std::move(s));
}

std::string authorization(std::string_view token) {
  if (token.empty()) return "";
  if (token.rfind("Bearer ", 0) == 0 || token.rfind("Basic ", 0) == 0) return std::string(token);
  if (token.find(':') != std::string_view::npos)
    return "Basic " + multibase::encode_raw(multibase::Base::kBase64Pad, as_bytes(token));
  return "Bearer " + std::string(token);
}

std::string multipart_boundary() {
  uint8_t r[12];
  if (RAND_bytes(r, sizeof r) != 1)
    for (size_t i = 0; i < sizeof r; ++i) r[i] = static_cast<uint8_t>(std::rand());
  return "ipfskit" + to_hex(ByteView(r, sizeof r));
}

}  // namespace ipfskit::backends
