// The MCP message layer: any bytes, as one stdio line or one HTTP body, end
// in a message or a JSON-RPC error, never a crash. Parsed messages then go
// through the whole protocol engine (both eras, every method, every tool with
// whatever arguments came) over the unit tests' in-memory api::Client, so
// dispatch, _meta checks, cursors, schema validation and the tools' own
// argument handling all see hostile input. No server-side paths are allowed
// (the default policy), so nothing touches the file system.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "../tests/unit/mcp_fake_client.h"
#include "mcp/json_schema.h"
#include "mcp/jsonrpc.h"
#include "mcp/server.h"
#include "mcp/tools.h"

namespace {

struct Engine {
  ipfskit::mcp::FakeClient client;
  std::unique_ptr<ipfskit::mcp::Server> server;
  Engine() {
    client.daemon = true;
    ipfskit::mcp::ServerOptions o;
    o.health_poll_ms = 3600 * 1000;  // no background polling while fuzzing
    server = std::make_unique<ipfskit::mcp::Server>(client, o);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipfskit::mcp;
  static Engine engine;
  // Each input starts from the same state (and memory stays bounded).
  engine.client.files.clear();
  engine.client.pins.clear();
  engine.client.psa_tokens_made.clear();
  engine.client.files[raw_cid("hello").to_string()] = "hello";
  engine.client.pins.push_back({1, raw_cid("hello"), ipfskit::repo::PinType::kRecursive, "greeting", 1, {{"k", "v"}}});

  // A fresh legacy session per input (subscriptions, log level), not
  // registered with the server, so nothing accumulates across inputs.
  auto session = std::make_shared<Session>();
  session->id = "fuzz";
  session->protocol_version = "2025-11-25";
  session->initialized = true;

  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = parse_message(text);
  if (!m) {
    (void)dump(make_error(m.error().id, m.error().error));
    return 0;
  }
  if (m->params.is_object()) {
    if (auto c = m->params.find("cursor"); c != m->params.end() && c->is_string()) {
      for (const char* what : {"tools", "resources", "pin_ls", "ls"}) (void)decode_any_cursor(what, c->get<std::string>());
    }
  }
  if (m->kind == Message::Kind::kNotification) {
    engine.server->handle_notification(*m, session);
    return 0;
  }
  if (m->kind != Message::Kind::kRequest) return 0;
  RequestContext ctx;
  ctx.modern = Server::has_modern_meta(m->params);
  if (!ctx.modern) ctx.session = session;
  size_t notes = 0;
  ctx.notify = [&notes](const nlohmann::json& n) { notes += dump(n).size(); };
  nlohmann::json response = engine.server->handle_request(*m, ctx);
  (void)dump(response);
  return 0;
}
