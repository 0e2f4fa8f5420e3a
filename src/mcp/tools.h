// The MCP tool table: one entry per operation of the command line, each a
// few lines over api::Client, with its JSON Schema 2020-12 inputSchema and
// outputSchema, its behaviour hints, and the function that runs it. Commands
// without a tool, and why: `init` (the repository is made on first use),
// `daemon start|stop|restart` (the process an agent talks to, or its host's
// job; `status` reports it), `mcp`, `diag healthy` (a container probe:
// `health` answers the same), `completion`, `log tail -f` (log_tail reads
// the last lines; live changes are resource notifications), and `vfs
// mount|list|unmount` (FUSE mounts are processes of the host, run by an
// operator or the daemon's vfs.mounts, not operations of the client API).
//
// The table is the single source of tools/list (sorted by name, so the order
// is deterministic) and of tools/call: arguments are validated against the
// inputSchema before the tool runs; a tool's failure becomes an isError
// result whose text says what to do about it; its success carries
// structuredContent that matches its outputSchema and the same JSON as text.
//
// Content goes in and out as text or base64, bounded by Policy; paths on the
// server's file system are accepted only under Policy::allowed_roots (none by
// default), with symlinks resolved and ".." refused.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "base/cancel.h"
#include "base/error.h"

namespace ipfskit::mcp {

using nlohmann::json;

struct Policy {
  // Directories under which tools may read or write server-side files
  // (add/dag_import from a path, get/dag_export to a path). Empty: none.
  std::vector<std::string> allowed_roots;
  size_t max_content_bytes = 1 << 20;  // content returned by one call (cat, block_get, dag_export)
  size_t max_input_bytes = 3 << 20;    // content accepted by one call (decoded), under the message limit
  size_t default_page = 100;           // list tools without a limit
  size_t max_page = 1000;
};

// Reports progress of a long tool (bytes, items, so far: it must increase);
// `total` when known. Safe to call from several threads.
using ProgressFn = std::function<void(double progress, std::optional<double> total, const std::string& message)>;

struct ToolEnv {
  api::Client* client = nullptr;
  const Policy* policy = nullptr;
  const CancelToken* cancel = nullptr;  // set when the call can be cancelled
  ProgressFn progress;                  // empty when the client asked for none
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  json input_schema;
  json output_schema;
  bool read_only = true;
  bool destructive = false;  // meaningful when !read_only
  bool idempotent = true;    // meaningful when !read_only
  std::function<Result<json>(const json& args, ToolEnv& env)> run;
};

// Every tool, sorted by name.
const std::vector<Tool>& tool_table();
const Tool* find_tool(std::string_view name);

// The tools/list entry of a tool.
json describe_tool(const Tool& tool);

// Validates `arguments` and runs the tool; returns the CallToolResult body
// (content, structuredContent, isError). Never fails: errors are results.
json call_tool(const Tool& tool, const json& arguments, ToolEnv& env);

// Resolves a server-side path for reading (it must exist) or writing (it must
// not exist; its parent must) under one of the allowed roots. Symlinks are
// resolved before the check; "..", relative paths and NUL are refused.
enum class PathUse { kRead, kCreate };
Result<std::string> allowed_path(const Policy& policy, const std::string& path, PathUse use);

// Opaque list cursors, encoded so clients do not build them; `what` names
// the list so a cursor of one is refused by another. A cursor holds a phase
// (a letter) and a position: 'o' an offset into a list that is walked anyway
// (a directory, a DAG's refs), 'k' the last row id of a keyset page (pins:
// the next page starts after it, as fast at page 10,000 as at page 1), other
// letters for lists made of parts (the pins then their indirect blocks).
struct Cursor {
  char phase = 'o';
  uint64_t position = 0;
};
std::string encode_cursor(std::string_view what, Cursor cursor);
Result<Cursor> decode_any_cursor(std::string_view what, std::string_view text);
// Offset cursors (phase 'o').
std::string encode_cursor(std::string_view what, uint64_t offset);
Result<uint64_t> decode_cursor(std::string_view what, std::string_view text);

// Base64 (RFC 4648, padded) for content.
std::string base64_encode(ByteView data);
Result<Bytes> base64_decode(std::string_view text);

}  // namespace ipfskit::mcp
