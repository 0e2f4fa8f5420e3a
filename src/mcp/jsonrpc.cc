#include "mcp/jsonrpc.h"

namespace ipfskit::mcp {

int rpc_code(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kPermissionDenied:
    case Code::kResourceExhausted:
      return rpc::kInvalidParams;
    default:
      return rpc::kServerError;
  }
}

RpcError to_rpc_error(const Error& e) {
  return RpcError{rpc_code(e.code()), e.message(), json{{"code", std::string(code_name(e.code()))}}};
}

namespace {

ParseFailure invalid(std::string message, json id = nullptr) {
  return ParseFailure{RpcError{rpc::kInvalidRequest, std::move(message), nullptr}, std::move(id)};
}

bool valid_id(const json& id) { return id.is_string() || id.is_number_integer(); }

}  // namespace

tl::expected<Message, ParseFailure> to_message(json doc) {
  if (!doc.is_object()) {
    if (doc.is_array())
      return tl::unexpected(invalid("batches are not supported: send one JSON-RPC message per request"));
    return tl::unexpected(invalid("a JSON-RPC message must be a JSON object"));
  }
  json id = nullptr;
  if (auto it = doc.find("id"); it != doc.end() && valid_id(*it)) id = *it;
  auto version = doc.find("jsonrpc");
  if (version == doc.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0")
    return tl::unexpected(invalid("\"jsonrpc\" must be \"2.0\"", id));

  Message m;
  auto method = doc.find("method");
  auto id_it = doc.find("id");
  if (method != doc.end()) {
    if (!method->is_string() || method->get_ref<const std::string&>().empty())
      return tl::unexpected(invalid("\"method\" must be a non-empty string", id));
    m.method = method->get<std::string>();
    if (doc.contains("result") || doc.contains("error"))
      return tl::unexpected(invalid("a request may not carry \"result\" or \"error\"", id));
    if (auto p = doc.find("params"); p != doc.end()) {
      if (!p->is_object()) return tl::unexpected(invalid("\"params\" must be an object", id));
      m.params = std::move(*p);
    }
    if (id_it == doc.end()) {
      m.kind = Message::Kind::kNotification;
    } else {
      if (!valid_id(*id_it)) return tl::unexpected(invalid("\"id\" must be a string or an integer"));
      m.kind = Message::Kind::kRequest;
      m.id = *id_it;
    }
    return m;
  }
  // A response (a client answering a server request, or sent by mistake).
  const bool has_result = doc.contains("result"), has_error = doc.contains("error");
  if (has_result == has_error)
    return tl::unexpected(invalid("a message needs \"method\" (a request) or exactly one of \"result\"/\"error\"", id));
  if (id_it == doc.end() || !(valid_id(*id_it) || (has_error && id_it->is_null())))
    return tl::unexpected(invalid("a response needs a string or integer \"id\""));
  m.kind = Message::Kind::kResponse;
  m.id = *id_it;
  if (has_result) m.result = std::move(doc["result"]);
  else m.error = std::move(doc["error"]);
  return m;
}

tl::expected<Message, ParseFailure> parse_message(std::string_view text) {
  if (text.size() > kMaxMessageBytes)
    return tl::unexpected(ParseFailure{RpcError{rpc::kInvalidRequest, "message too large (limit " +
                                                    std::to_string(kMaxMessageBytes) + " bytes)", nullptr}, nullptr});
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return tl::unexpected(ParseFailure{RpcError{rpc::kParseError, "parse error: the message is not valid JSON", nullptr}, nullptr});
  return to_message(std::move(doc));
}

json make_result(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json make_error(const json& id, const RpcError& error) {
  json e{{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) e["data"] = error.data;
  json m{{"jsonrpc", "2.0"}, {"error", std::move(e)}};
  // Errors about an unreadable request carry no id (JSON-RPC says null;
  // MCP's schema makes it optional).
  if (!id.is_null()) m["id"] = id;
  return m;
}

json make_notification(std::string method, json params) {
  json m{{"jsonrpc", "2.0"}, {"method", std::move(method)}};
  if (!params.is_null()) m["params"] = std::move(params);
  return m;
}

std::string dump(const json& message) { return message.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace ipfskit::mcp
