#include "mcp/tools_util.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/cancel.h"
#include "base/utf8.h"
#include "mcp/tools.h"
#include "multiformats/multibase.h"

namespace ipfskit::mcp::schema {

json string(std::string description) { return {{"type", "string"}, {"description", std::move(description)}}; }

json integer(std::string description, int64_t minimum, int64_t maximum) {
  return {{"type", "integer"}, {"description", std::move(description)}, {"minimum", minimum}, {"maximum", maximum}};
}

json boolean(std::string description, bool default_value) {
  return {{"type", "boolean"}, {"description", std::move(description)}, {"default", default_value}};
}

json enumeration(std::string description, std::vector<std::string> values, std::string default_value) {
  json j{{"type", "string"}, {"description", std::move(description)}, {"enum", values}};
  if (!default_value.empty()) j["default"] = default_value;
  return j;
}

json array(json items, std::string description, size_t min_items, size_t max_items) {
  json j{{"type", "array"}, {"items", std::move(items)}};
  if (!description.empty()) j["description"] = std::move(description);
  if (min_items > 0) j["minItems"] = min_items;
  if (max_items > 0) j["maxItems"] = max_items;
  return j;
}

json string_map(std::string description) {
  return {{"type", "object"}, {"description", std::move(description)}, {"additionalProperties", {{"type", "string"}}}};
}

json object(json properties, std::vector<std::string> required) {
  json j{{"type", "object"}, {"properties", properties.is_null() ? json::object() : std::move(properties)}};
  if (!required.empty()) j["required"] = required;
  j["additionalProperties"] = false;
  return j;
}

json open_object(std::string description) { return {{"type", "object"}, {"description", std::move(description)}}; }

json nullable(json schema) {
  if (schema.contains("type") && schema["type"].is_string()) schema["type"] = json::array({schema["type"], "null"});
  return schema;
}

}  // namespace ipfskit::mcp::schema

namespace ipfskit::mcp {

Result<EncodedContent> encode_content(ByteView data, const std::string& encoding) {
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  if (encoding == "base64") return EncodedContent{"base64", base64_encode(data)};
  if (valid_utf8(text)) return EncodedContent{"text", std::string(text)};
  if (encoding == "text")
    return invalid_argument("the content is not valid UTF-8 text: ask for encoding \"base64\" (or \"auto\")");
  return EncodedContent{"base64", base64_encode(data)};
}

json node_info_json(const unixfs::NodeInfo& info) {
  json j{{"cid", info.cid.to_string()},
         {"type", unixfs::kind_name(info.kind)},
         {"size", info.size},
         {"block_size", info.block_size},
         {"cumulative_size", info.tsize},
         {"links", info.links}};
  if (info.mode) j["mode"] = *info.mode;
  if (info.mtime) j["mtime"] = info.mtime->seconds;
  return j;
}

// ---- argument access ----

std::string arg_string(const json& a, const char* k, std::string def) {
  auto it = a.find(k);
  return it != a.end() && it->is_string() ? it->get<std::string>() : def;
}

std::optional<std::string> opt_string(const json& a, const char* k) {
  auto it = a.find(k);
  if (it == a.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool arg_bool(const json& a, const char* k, bool def) {
  auto it = a.find(k);
  return it != a.end() && it->is_boolean() ? it->get<bool>() : def;
}

std::optional<int64_t> opt_int(const json& a, const char* k) {
  auto it = a.find(k);
  if (it == a.end() || !it->is_number()) return std::nullopt;
  return it->get<int64_t>();
}

Result<Cid> parse_cid(const std::string& text, const char* what) {
  auto c = Cid::parse(text);
  if (!c) return invalid_argument(std::string(what) + " \"" + text + "\" is not a valid CID: " + c.error().message());
  return c;
}

Result<std::vector<Cid>> parse_cids(const json& a, const char* k) {
  std::vector<Cid> out;
  for (const auto& v : a.at(k)) out.push_back(TRY(parse_cid(v.get<std::string>())));
  return out;
}

// ---- paging ----

Result<Page> page_of(const json& a, const char* what, const Policy& p) {
  Page page;
  page.limit = static_cast<uint64_t>(opt_int(a, "limit").value_or(static_cast<int64_t>(p.default_page)));
  if (auto c = opt_string(a, "cursor")) page.offset = TRY(decode_cursor(what, *c));
  return page;
}

Status Pager::finish(Status st) const {
  if (!st && !(more_ && st.error().code() == Code::kCancelled && st.error().message() == "page full")) return st;
  return {};
}

void Pager::annotate(json& out, const char* what) const {
  if (more_) out["nextCursor"] = encode_cursor(what, page_.offset + page_.limit);
}

json page_props() {
  return {{"cursor", schema::string("the nextCursor of the previous page; omit for the first page")},
          {"limit", schema::integer("items per page (default 100)", 1, 1000)}};
}

json with(json props, const json& more) {
  for (auto it = more.begin(); it != more.end(); ++it) props[it.key()] = it.value();
  return props;
}

json next_cursor_prop() { return schema::string("present when there are more items: pass it as cursor"); }

json encoding_out() {
  return schema::enumeration("auto: text when the bytes are UTF-8, else base64", {"auto", "text", "base64"}, "auto");
}

json ranged_read_input(const json& path_schema) {
  return schema::object({{"path", path_schema},
                         {"offset", schema::integer("first byte to read (default 0)", 0, INT64_MAX)},
                         {"length", schema::integer("bytes to read (default and maximum: the content limit, 1 MiB)", 0, INT64_MAX)},
                         {"encoding", encoding_out()}},
                        {"path"});
}

json ranged_read_output() {
  return schema::object({{"cid", schema::string("the file's CID")},
                         {"offset", schema::integer("first byte returned", 0, INT64_MAX)},
                         {"length", schema::integer("bytes returned", 0, INT64_MAX)},
                         {"size", schema::integer("the file's size", 0, INT64_MAX)},
                         {"eof", schema::boolean("true when the returned bytes reach the end of the file", true)},
                         {"encoding", schema::enumeration("how `content` is encoded", {"text", "base64"})},
                         {"content", schema::string("the bytes")}},
                        {"cid", "offset", "length", "size", "eof", "encoding", "content"});
}

Result<json> read_range(const json& a, ToolEnv& env, const Cid& cid, uint64_t size, const char* what,
                        const RangeReader& read) {
  const uint64_t offset = static_cast<uint64_t>(opt_int(a, "offset").value_or(0));
  const uint64_t limit = env.policy->max_content_bytes;
  uint64_t length = std::min<uint64_t>(static_cast<uint64_t>(opt_int(a, "length").value_or(static_cast<int64_t>(limit))), limit);
  if (offset > size)
    return invalid_argument("offset " + std::to_string(offset) + " is past the end of the file (" + std::to_string(size) +
                            " bytes)");
  length = std::min(length, size - offset);
  Bytes out;
  if (length > 0) {
    TRY_STATUS(read(offset, length, [&](ByteView piece) -> Status {
      TRY_STATUS(check_cancel(env.cancel, what));
      out.insert(out.end(), piece.begin(), piece.end());
      return {};
    }));
  }
  EncodedContent c = TRY(encode_content(out, arg_string(a, "encoding", "auto")));
  return json{{"cid", cid.to_string()}, {"offset", offset}, {"length", out.size()}, {"size", size},
              {"eof", offset + out.size() >= size}, {"encoding", c.encoding}, {"content", std::move(c.content)}};
}

Result<Bytes> content_arg(const json& a, const char* key, const Policy& p) {
  const std::string& text = a.at(key).get_ref<const std::string&>();
  const std::string enc = arg_string(a, "encoding", "text");
  Bytes data;
  if (enc == "base64") {
    data = TRY(base64_decode(text));
  } else {
    data.assign(text.begin(), text.end());
  }
  if (data.size() > p.max_input_bytes)
    return make_error(Code::kResourceExhausted, "the content is " + std::to_string(data.size()) +
                                                    " bytes; one call takes at most " + std::to_string(p.max_input_bytes) +
                                                    ": put the file under an allowed root and pass its path");
  return data;
}

std::string base64_encode(ByteView data) { return multibase::encode_raw(multibase::Base::kBase64Pad, data); }

Result<Bytes> base64_decode(std::string_view text) {
  // Accept unpadded input too (some clients strip '='), and nothing else.
  std::string padded(text);
  for (char c : padded)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return invalid_argument("the content is not valid base64 (RFC 4648, standard alphabet)");
  if (padded.size() % 4 == 1) return invalid_argument("the content is not valid base64 (truncated)");
  while (padded.size() % 4 != 0) padded += '=';
  auto decoded = multibase::decode_raw(multibase::Base::kBase64Pad, padded);
  if (!decoded) return invalid_argument("the content is not valid base64: " + decoded.error().message());
  return decoded;
}

std::string encode_cursor(std::string_view what, Cursor cursor) {
  std::string raw = std::string(what) + ":" + cursor.phase + std::to_string(cursor.position);
  return multibase::encode_raw(multibase::Base::kBase64Url, as_bytes(raw));
}

Result<Cursor> decode_any_cursor(std::string_view what, std::string_view text) {
  auto bad = [&] { return invalid_argument("invalid cursor: pass the nextCursor of a previous page unchanged"); };
  if (text.size() > 128) return bad();
  auto raw = multibase::decode_raw(multibase::Base::kBase64Url, text);
  if (!raw) return bad();
  std::string s(raw->begin(), raw->end());
  const std::string prefix = std::string(what) + ":";
  // "<what>:<phase letter><1 to 19 digits>"
  if (s.rfind(prefix, 0) != 0 || s.size() < prefix.size() + 2 || s.size() > prefix.size() + 20) return bad();
  Cursor c;
  c.phase = s[prefix.size()];
  if (c.phase < 'a' || c.phase > 'z') return bad();
  uint64_t v = 0;
  for (char ch : s.substr(prefix.size() + 1)) {
    if (ch < '0' || ch > '9') return bad();
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  c.position = v;
  return c;
}

std::string encode_cursor(std::string_view what, uint64_t offset) { return encode_cursor(what, Cursor{'o', offset}); }

Result<uint64_t> decode_cursor(std::string_view what, std::string_view text) {
  Cursor c = TRY(decode_any_cursor(what, text));
  if (c.phase != 'o') return invalid_argument("invalid cursor: pass the nextCursor of a previous page unchanged");
  return c.position;
}

namespace {

Result<std::string> real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return tl::unexpected(errno_error("resolve " + p));
  return std::string(buf);
}

bool is_under(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/');
}

}  // namespace

Result<std::string> allowed_path(const Policy& policy, const std::string& path, PathUse use) {
  if (policy.allowed_roots.empty())
    return make_error(Code::kPermissionDenied,
                      "server-side paths are disabled: set mcp.allowed_roots in the configuration to the directories "
                      "tools may use, or send the content itself");
  if (path.empty() || path[0] != '/') return invalid_argument("\"" + path + "\" is not an absolute path");
  if (path.find('\0') != std::string::npos) return invalid_argument("the path contains a NUL byte");
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (path.compare(start, slash - start, "..") == 0 && slash - start == 2)
      return make_error(Code::kPermissionDenied, "\"..\" is not allowed in paths: give the path within an allowed root");
    start = slash + 1;
  }
  std::string resolved;
  if (use == PathUse::kRead) {
    resolved = TRY(real_path(path));
  } else {
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    auto slash = trimmed.rfind('/');
    std::string parent = slash == 0 ? "/" : trimmed.substr(0, slash);
    std::string leaf = trimmed.substr(slash + 1);
    if (leaf.empty() || leaf == ".") return invalid_argument("\"" + path + "\" does not name a new file");
    std::string real_parent = TRY(real_path(parent));
    resolved = (real_parent == "/" ? "" : real_parent) + "/" + leaf;
    struct stat st;
    if (::lstat(resolved.c_str(), &st) == 0)
      return make_error(Code::kAlreadyExists, path + " already exists: choose a new output path");
  }
  for (const std::string& root : policy.allowed_roots) {
    auto real_root = real_path(root);
    if (real_root && is_under(resolved, *real_root)) return resolved;
  }
  std::string roots;
  for (const auto& r : policy.allowed_roots) roots += (roots.empty() ? "" : ", ") + r;
  return make_error(Code::kPermissionDenied, path + " is outside the allowed roots (" + roots + ")");
}

}  // namespace ipfskit::mcp
