#include "mcp/stdio.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <list>
#include <mutex>
#include <thread>

namespace ipfskit::mcp {

using nlohmann::json;

namespace {

// How long requests still running at the end of input may take to finish.
constexpr int kEndOfInputGraceMs = 1000;

class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {
    struct stat st;
    if (::fstat(fd, &st) == 0) {
      if (S_ISSOCK(st.st_mode)) unread_query_ = SIOCOUTQ;  // Node spawns children on socketpairs
      else if (S_ISFIFO(st.st_mode)) unread_query_ = FIONREAD;  // a pipe: bytes in it, from either end
    }
  }

  // Waits, up to `timeout_ms`, until the client has read everything written
  // so far. Why: the TypeScript SDK 1.x (Protocol in shared/protocol.ts)
  // handles a notification on a later microtask but a response at once, and
  // retires a request's progress handler when its response arrives; when a
  // progress notification and the response come in one read, the
  // notification finds no handler ("unknown token") and onprogress is never
  // called (modelcontextprotocol/typescript-sdk#2580). Once the client's read
  // has taken the notification, Node finishes that read's callback and its
  // microtasks before it reads again, so a response written after that is
  // handled after the progress. Output that is not a pipe or a socket (a
  // file, a terminal) is not waited for.
  void wait_until_read(int timeout_ms) {
    if (unread_query_ == 0) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      int unread = 0;
      if (::ioctl(fd_, unread_query_, &unread) != 0 || unread <= 0) return;
      if (std::chrono::steady_clock::now() >= deadline) return;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  void write(const json& message) {
    std::string line = dump(message) + "\n";
    std::lock_guard lock(mu_);
    size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the client went away; nothing to tell it
      off += static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
  unsigned long unread_query_ = 0;  // the ioctl that counts bytes the client has not read; 0: none
  std::mutex mu_;
};

class StdioServer {
 public:
  StdioServer(Server& server, int out_fd) : server_(server), out_(out_fd) {}

  ~StdioServer() {
    // stdin ended. A client that pipes a few requests and closes its input
    // still reads the answers: what is running gets a moment to finish. What
    // runs longer is for a client that has left, and is cancelled (nothing
    // of a cancelled add is kept).
    const auto grace_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kEndOfInputGraceMs);
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (in_flight_.empty() || std::chrono::steady_clock::now() >= grace_end) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    {
      std::lock_guard lock(mu_);
      for (auto& [id, token] : in_flight_) token->cancel();
      for (auto& [id, sub] : listens_) server_.unlisten(sub);
    }
    if (session_) {
      std::lock_guard sl(session_->mu);
      for (auto& [id, token] : session_->in_flight) token->cancel();
      if (session_->standalone) session_->standalone->close();
    }
    for (auto& t : threads_) t.join();
  }

  void write(const json& message) { out_.write(message); }

  void on_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty()) return;
    auto parsed = parse_message(line);
    if (!parsed) return out_.write(make_error(parsed.error().id, parsed.error().error));
    Message m = std::move(*parsed);
    if (m.kind == Message::Kind::kResponse) return;  // we send no requests
    if (m.kind == Message::Kind::kNotification) return on_notification(m);
    const bool modern = Server::has_modern_meta(m.params);
    if (!modern && m.method == "initialize" && !session_) start_session();
    if (modern && m.method == "subscriptions/listen") return on_listen(m);
    if (!modern && m.method == "initialize") {
      // Inline, so requests pipelined after it see the negotiated session.
      RequestContext ctx;
      ctx.session = session_;
      return out_.write(server_.handle_request(m, ctx));
    }
    auto token = std::make_shared<CancelToken>();
    const std::string key = m.id.dump();
    {
      std::lock_guard lock(mu_);
      if (in_flight_.count(key))
        return out_.write(make_error(m.id, RpcError{rpc::kInvalidRequest, "a request with this id is already running", nullptr}));
      in_flight_[key] = token;
    }
    if (!modern && session_) {
      std::lock_guard sl(session_->mu);
      session_->in_flight[key] = token;
    }
    reap();
    threads_.emplace_back([this, m = std::move(m), token, modern, key] {
      RequestContext ctx;
      ctx.modern = modern;
      ctx.session = modern ? nullptr : session_;
      ctx.cancel = token;
      auto notified = std::make_shared<std::atomic<bool>>(false);
      ctx.notify = [this, token, notified](const json& note) {
        if (token->cancelled()) return;
        out_.write(note);
        *notified = true;
      };
      json response;
      if (!modern && !session_ && m.method != "ping") {
        response = make_error(m.id, RpcError{rpc::kInvalidRequest,
                                             "send initialize first (or use protocol version 2026-07-28 with its _meta)", nullptr});
      } else {
        response = server_.handle_request(m, ctx);
      }
      if (!token->cancelled()) {
        // Progress first, then the result (see LineWriter::wait_until_read).
        if (*notified) out_.wait_until_read(250);
        out_.write(response);
      }
      {
        std::lock_guard lock(mu_);
        in_flight_.erase(key);
        finished_.push_back(std::this_thread::get_id());
      }
      if (!modern && session_) {
        std::lock_guard sl(session_->mu);
        session_->in_flight.erase(key);
      }
    });
  }

 private:
  void start_session() {
    session_ = std::make_shared<Session>();
    session_->id = "stdio";
    auto outbox = std::make_shared<Outbox>();
    session_->standalone = outbox;
    threads_.emplace_back([this, outbox] {
      for (;;) {
        auto batch = outbox->wait(1000);
        for (auto& msg : batch) out_.write(msg);
        if (batch.empty() && outbox->closed()) return;
      }
    });
  }

  void on_notification(const Message& m) {
    if (m.method == "notifications/cancelled" && m.params.is_object() && m.params.contains("requestId")) {
      const std::string key = m.params["requestId"].dump();
      std::lock_guard lock(mu_);
      if (auto it = in_flight_.find(key); it != in_flight_.end()) it->second->cancel();
      if (auto it = listens_.find(key); it != listens_.end()) {
        server_.unlisten(it->second);
        listens_.erase(it);
      }
      return;
    }
    server_.handle_notification(m, session_);
  }

  void on_listen(const Message& m) {
    if (auto e = server_.check_modern_meta(m.params)) return out_.write(make_error(m.id, *e));
    auto sub = server_.listen(m);
    if (!sub) return out_.write(make_error(m.id, to_rpc_error(sub.error())));
    {
      std::lock_guard lock(mu_);
      listens_[m.id.dump()] = *sub;
    }
    auto box = (*sub)->outbox;
    threads_.emplace_back([this, box] {
      for (;;) {
        auto batch = box->wait(1000);
        for (auto& msg : batch) out_.write(msg);
        if (batch.empty() && box->closed()) return;
      }
    });
  }

  // Joins request threads that have finished (they said so before exiting).
  void reap() {
    std::vector<std::thread::id> done;
    {
      std::lock_guard lock(mu_);
      done.swap(finished_);
    }
    for (auto id : done) {
      for (auto it = threads_.begin(); it != threads_.end(); ++it) {
        if (it->get_id() == id) {
          it->join();
          threads_.erase(it);
          break;
        }
      }
    }
  }

  Server& server_;
  LineWriter out_;
  std::shared_ptr<Session> session_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<CancelToken>> in_flight_;
  std::map<std::string, std::shared_ptr<Server::Subscription>> listens_;
  std::vector<std::thread::id> finished_;
  std::list<std::thread> threads_;
};

}  // namespace

int serve_stdio(Server& server, int in_fd, int out_fd) {
  {
    StdioServer s(server, out_fd);
    std::string buffer;
    bool discarding = false;  // inside an oversized line
    char chunk[65536];
    for (;;) {
      ssize_t n = ::read(in_fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      size_t start = 0;
      for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
        if (chunk[i] != '\n') continue;
        if (!discarding) {
          buffer.append(chunk + start, i - start);
          s.on_line(buffer);
        }
        buffer.clear();
        discarding = false;
        start = i + 1;
      }
      if (!discarding) buffer.append(chunk + start, static_cast<size_t>(n) - start);
      if (buffer.size() > kMaxMessageBytes) {
        // Answer once, then skip to the end of the line.
        s.write(make_error(nullptr, RpcError{rpc::kInvalidRequest,
                                                              "message too large (limit " + std::to_string(kMaxMessageBytes) + " bytes)",
                                                              nullptr}));
        buffer.clear();
        discarding = true;
      }
    }
    if (!discarding && !buffer.empty()) s.on_line(buffer);
  }
  server.shutdown();
  return 0;
}

}  // namespace ipfskit::mcp
