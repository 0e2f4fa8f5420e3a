// The MCP protocol engine, independent of transports: both protocol eras on
// one server.
//
//  - Legacy era (2025-11-25, negotiating down to 2025-06-18, 2025-03-26,
//    2024-11-05): `initialize` opens a Session (on HTTP: the MCP-Session-Id;
//    on stdio: the process), then tools, resources (with subscribe), prompts
//    (none), logging/setLevel, completion/complete, ping; server-to-client
//    notifications go to the session's standalone stream.
//  - Modern era (2026-07-28): stateless. Every request carries
//    io.modelcontextprotocol/protocolVersion and clientCapabilities in its
//    _meta; `server/discover`; results carry resultType (and ttlMs/cacheScope
//    where the schema makes them cacheable) and serverInfo in _meta;
//    `subscriptions/listen` opens a notification stream.
//
// Requests run on the caller's thread. Work that takes time (tools) checks a
// CancelToken the transport cancels on notifications/cancelled (or a closed
// stream) and reports progress through the request's Outbox.
//
// Thread safety: every method may be called from several threads at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "base/cancel.h"
#include "mcp/jsonrpc.h"
#include "mcp/tools.h"

namespace ipfskit::mcp {

inline constexpr const char* kModernVersion = "2026-07-28";
// Legacy revisions we speak, newest first (what initialize negotiates).
const std::vector<std::string>& legacy_versions();
// Every revision, newest first (UnsupportedProtocolVersionError's list).
const std::vector<std::string>& supported_versions();
bool is_legacy_version(const std::string& v);

// A queue of messages for one long-lived stream (a legacy session's GET
// stream, a modern subscriptions/listen stream, stdio's output). The
// transport drains it.
class Outbox {
 public:
  // Queues a message; false once closed (the message is dropped).
  bool push(nlohmann::json message);
  // Waits up to `timeout_ms` for messages; returns what is queued (empty on
  // timeout or once closed and drained).
  std::deque<nlohmann::json> wait(int timeout_ms);
  void close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<nlohmann::json> queue_;
  bool closed_ = false;
  size_t dropped_ = 0;
};

// A legacy-era session (HTTP: one per MCP-Session-Id; stdio: one).
struct Session {
  std::string id;
  std::string protocol_version;
  nlohmann::json client_info;
  nlohmann::json client_capabilities;
  std::atomic<bool> initialized{false};
  std::atomic<int64_t> last_used_ms{0};

  std::mutex mu;
  std::string log_level;                       // "" until logging/setLevel
  std::set<std::string> subscriptions;         // resources/subscribe URIs
  std::shared_ptr<Outbox> standalone;          // the GET stream (or stdio), when open
  std::map<std::string, std::shared_ptr<CancelToken>> in_flight;  // request id (dumped) -> token
};

// One request being served.
struct RequestContext {
  bool modern = false;
  std::string protocol_version;
  std::shared_ptr<Session> session;  // legacy era
  // Sends a notification that belongs to this request (progress, log);
  // empty when the transport cannot (a plain JSON response).
  std::function<void(const nlohmann::json&)> notify;
  std::shared_ptr<CancelToken> cancel;  // never null while handling
};

struct ServerOptions {
  std::string name = "ipfs-kit";
  std::string title = "ipfs-kit";
  Policy policy;
  int health_poll_ms = 1000;  // how often backend health is looked at for notifications
};

class Server {
 public:
  // `client` must outlive the server.
  Server(api::Client& client, ServerOptions options);
  ~Server();

  api::Client& client() { return client_; }
  const ServerOptions& options() const { return options_; }

  // ---- era detection ----
  // True when a request's params carry the modern _meta
  // (io.modelcontextprotocol/protocolVersion).
  static bool has_modern_meta(const nlohmann::json& params);

  // ---- requests ----
  // Handles a request and returns its response (a result or an error).
  nlohmann::json handle_request(const Message& request, RequestContext& ctx);
  // Handles a client notification (initialized, cancelled, roots changed).
  void handle_notification(const Message& note, const std::shared_ptr<Session>& session);

  // Modern era: validates a request's _meta (version, capabilities). Returns
  // the error response to send, or nullopt.
  std::optional<RpcError> check_modern_meta(const nlohmann::json& params) const;

  // ---- legacy sessions ----
  std::shared_ptr<Session> create_session();
  std::shared_ptr<Session> find_session(const std::string& id);
  bool remove_session(const std::string& id);
  size_t session_count();

  // ---- modern subscriptions (subscriptions/listen) ----
  struct Subscription {
    nlohmann::json id;              // the listen request's id
    bool tools_list = false, resources_list = false;
    std::set<std::string> resources;
    std::shared_ptr<Outbox> outbox;
  };
  // Registers a listen request (already validated) and queues its
  // acknowledgement; returns the subscription to drain, or an error.
  Result<std::shared_ptr<Subscription>> listen(const Message& request);
  void unlisten(const std::shared_ptr<Subscription>& sub);

  // Ends every stream (subscriptions get their graceful result) and stops
  // the health watcher.
  void shutdown();

  // For tests: runs one health look now (notifications for changes).
  void poll_health_now();

 private:
  nlohmann::json dispatch(const Message& m, RequestContext& ctx);
  Result<nlohmann::json> do_initialize(const nlohmann::json& params, RequestContext& ctx);
  Result<nlohmann::json> do_tools_call(const nlohmann::json& params, RequestContext& ctx);
  nlohmann::json server_info() const;
  nlohmann::json capabilities(bool modern) const;
  void decorate_result(nlohmann::json& result, const std::string& method, bool modern) const;
  void watch_health();
  void notify_resource_updated(const std::string& uri);
  void notify_resources_list_changed();

  api::Client& client_;
  ServerOptions options_;

  std::mutex sessions_mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;

  std::mutex subs_mu_;
  std::vector<std::shared_ptr<Subscription>> subs_;

  std::mutex health_mu_;
  std::condition_variable health_cv_;
  std::atomic<bool> stopping_{false};
  std::thread health_thread_;
  nlohmann::json last_health_;  // backend name -> health string
  std::optional<uint64_t> last_pin_count_;
};

}  // namespace ipfskit::mcp
