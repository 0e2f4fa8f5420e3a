// The JSON-RPC 2.0 message layer under MCP: parsing one message from
// untrusted text, building responses and error objects, and the error codes
// both protocol revisions use.
//
// Parsing never throws and never trusts its input: a message is a JSON
// object with "jsonrpc": "2.0" and exactly one of the shapes below, ids are
// strings or integers, params an object when present. Anything else is a
// ParseError (-32700, not JSON) or an InvalidRequest (-32600, JSON of the
// wrong shape), with a message naming what was wrong.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace ipfskit::mcp {

using nlohmann::json;

// JSON-RPC and MCP error codes (2026-07-28 schema.ts; -32002 is 2025-11-25's
// resource-not-found, replaced by -32602 in 2026-07-28).
namespace rpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kResourceNotFoundLegacy = -32002;
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
// Implementation-defined range (-32000..-32019): our own failures that are
// not about the request's shape.
inline constexpr int kServerError = -32000;       // the operation failed (I/O, unavailable)
inline constexpr int kSessionNotFound = -32001;   // legacy HTTP: an unknown MCP-Session-Id
}  // namespace rpc

struct RpcError {
  int code = rpc::kInternalError;
  std::string message;
  json data;  // null when absent
};

// The JSON-RPC code that reports an ipfs-kit error Code at the protocol
// level: bad input is InvalidParams, everything else a server error.
int rpc_code(Code code);
RpcError to_rpc_error(const Error& e);

struct Message {
  enum class Kind { kRequest, kNotification, kResponse };
  Kind kind = Kind::kRequest;
  json id;             // string or integer for requests and responses; null otherwise
  std::string method;  // requests and notifications
  json params;         // an object, or null when absent
  json result;         // responses: the result, or null
  json error;          // responses: the error object, or null
};

// The largest message either transport accepts (bytes of JSON text).
inline constexpr size_t kMaxMessageBytes = 4 << 20;

// Parses one message. On failure, the error and (when it could be read) the
// request's id, so the reply can name it.
struct ParseFailure {
  RpcError error;
  json id;  // null when unknown
};
tl::expected<Message, ParseFailure> parse_message(std::string_view text);
// The same for an already parsed document (a transport that parsed it to
// look at headers first).
tl::expected<Message, ParseFailure> to_message(json doc);

json make_result(const json& id, json result);
json make_error(const json& id, const RpcError& error);
json make_notification(std::string method, json params);

// Serializes a message for the wire: compact, invalid UTF-8 replaced (our
// strings come from validated input, but a DAG's names may not be UTF-8).
std::string dump(const json& message);

}  // namespace ipfskit::mcp
