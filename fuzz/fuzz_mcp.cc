// The MCP message layer: any bytes, as one stdio line or one HTTP body, end
// in a message or a JSON-RPC error, never a crash. Parsed requests then go
// through the protocol engine's checks that need no repository (era
// detection, _meta validation, cursors, tool argument validation against
// every tool's inputSchema).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mcp/json_schema.h"
#include "mcp/jsonrpc.h"
#include "mcp/server.h"
#include "mcp/tools.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipfskit::mcp;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = parse_message(text);
  if (!m) {
    (void)dump(make_error(m.error().id, m.error().error));
    return 0;
  }
  (void)Server::has_modern_meta(m->params);
  if (!m->params.is_object()) return 0;
  if (auto c = m->params.find("cursor"); c != m->params.end() && c->is_string()) {
    (void)decode_cursor("tools", c->get<std::string>());
    (void)decode_cursor("resources", c->get<std::string>());
  }
  auto args = m->params.find("arguments");
  const nlohmann::json arguments = args != m->params.end() ? *args : nlohmann::json::object();
  auto name = m->params.find("name");
  if (name != m->params.end() && name->is_string()) {
    if (const Tool* t = find_tool(name->get<std::string>())) (void)validate_schema(t->input_schema, arguments);
  } else {
    for (const Tool& t : tool_table()) (void)validate_schema(t.input_schema, arguments);
  }
  return 0;
}
