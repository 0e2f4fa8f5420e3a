#include "mcp/resources.h"

#include "http/server.h"
#include "mcp/jsonrpc.h"
#include "mcp/tools_util.h"

namespace ipfskit::mcp {

using nlohmann::json;

namespace {

struct Fixed {
  const char* uri;
  const char* name;
  const char* title;
  const char* description;
};

const Fixed kFixed[] = {
    {"ipfs-kit://status", "status", "Daemon status", "Version, uptime, addresses, backends and replication (needs the daemon)"},
    {"ipfs-kit://backends", "backends", "Backends", "Every storage backend's state and last health check (needs the daemon)"},
    {"ipfs-kit://config", "config", "Configuration", "config.json with secrets redacted"},
    {"ipfs-kit://repo", "repo", "Repository statistics", "Blocks, bytes and pins in the repository"},
    {"ipfs-kit://pins", "pins", "Pins", "The first 1000 pins with names and metadata (the pin_ls tool pages further)"},
};

json text_contents(const std::string& uri, const json& doc) {
  return json::array({{{"uri", uri}, {"mimeType", "application/json"}, {"text", dump(doc)}}});
}

std::string mime_for(const std::string& name, bool text) {
  static const std::pair<const char*, const char*> types[] = {
      {".html", "text/html"}, {".htm", "text/html"}, {".css", "text/css"}, {".js", "text/javascript"},
      {".json", "application/json"}, {".txt", "text/plain"}, {".md", "text/markdown"}, {".csv", "text/csv"},
      {".xml", "application/xml"}, {".svg", "image/svg+xml"}, {".png", "image/png"}, {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"}, {".gif", "image/gif"}, {".webp", "image/webp"}, {".pdf", "application/pdf"},
      {".wasm", "application/wasm"}, {".car", "application/vnd.ipld.car"}};
  for (const auto& [ext, type] : types) {
    const size_t n = std::char_traits<char>::length(ext);
    if (name.size() >= n && name.compare(name.size() - n, n, ext) == 0) return type;
  }
  return text ? "text/plain" : "application/octet-stream";
}

Result<json> pins_doc(api::Client& client, std::optional<Cid> cid) {
  core::PinListOptions o;
  o.indirect = false;
  o.filter.with_meta = true;
  o.filter.limit = 1000;
  if (cid) o.filter.cid = *cid;
  json pins = json::array();
  TRY_STATUS(client.pin_ls(o, [&](const core::PinEntry& e) -> Status {
    json j{{"cid", e.cid.to_string()}, {"type", e.type}};
    if (e.info) {
      if (e.info->name) j["name"] = *e.info->name;
      j["created"] = e.info->created;
      j["metadata"] = e.info->meta;
    }
    pins.push_back(std::move(j));
    return {};
  }));
  return pins;
}

}  // namespace

bool is_health_resource(const std::string& uri) {
  return uri == "ipfs-kit://status" || uri == "ipfs-kit://backends" || uri.rfind("ipfs-kit://backends/", 0) == 0;
}

Result<ResourcePage> list_resources(api::Client& client, const Policy& policy, const std::optional<std::string>& cursor) {
  // The fixed resources ('f': an index among them), then every explicit pin
  // by row id ('k': after the last id shown), so a deep page costs what the
  // first does.
  Cursor at{'f', 0};
  if (cursor) {
    at = TRY(decode_any_cursor("resources", *cursor));
    if (at.phase != 'f' && at.phase != 'k') return invalid_argument("invalid cursor: pass the nextCursor of a previous page unchanged");
  }
  const uint64_t page = policy.default_page;
  const uint64_t fixed = std::size(kFixed);
  ResourcePage out;
  out.resources = json::array();
  if (at.phase == 'f') {
    uint64_t i = at.position;
    for (; i < fixed && out.resources.size() < page; ++i) {
      const Fixed& f = kFixed[i];
      out.resources.push_back({{"uri", f.uri}, {"name", f.name}, {"title", f.title}, {"description", f.description},
                               {"mimeType", "application/json"}});
    }
    if (i < fixed) {
      out.next_cursor = encode_cursor("resources", Cursor{'f', i});
      return out;
    }
    at = Cursor{'k', 0};
  }
  const uint64_t room = page - out.resources.size();
  core::PinListOptions o;
  o.indirect = false;
  o.filter.after = static_cast<int64_t>(at.position);
  o.filter.limit = room + 1;  // one more tells whether a next page exists
  int64_t last = 0;
  uint64_t taken = 0;
  bool more = false;
  TRY_STATUS(client.pin_ls(o, [&](const core::PinEntry& e) -> Status {
    if (taken >= room) {
      more = true;
      return {};
    }
    json r{{"uri", "ipfs://" + e.cid.to_string()}, {"name", e.info && e.info->name ? *e.info->name : e.cid.to_string()},
           {"description", "pinned content (" + e.type + ")"}};
    out.resources.push_back(std::move(r));
    if (e.info) last = e.info->id;
    ++taken;
    return {};
  }));
  if (more) out.next_cursor = encode_cursor("resources", Cursor{'k', static_cast<uint64_t>(last)});
  return out;
}

json resource_templates() {
  return json::array({
      {{"uriTemplate", "ipfs://{cid}{/path*}"},
       {"name", "ipfs"},
       {"title", "IPFS content"},
       {"description", "A file's bytes (text or base64 blob), or a directory's listing as JSON. Files over 1 MiB: use the "
                       "cat tool with offset and length."}},
      {{"uriTemplate", "ipfs-kit://pins/{cid}"},
       {"name", "pin"},
       {"title", "One pin"},
       {"description", "How a CID is pinned, with its name and metadata"},
       {"mimeType", "application/json"}},
      {{"uriTemplate", "ipfs-kit://backends/{name}"},
       {"name", "backend"},
       {"title", "One backend"},
       {"description", "A backend's state and last health check (needs the daemon)"},
       {"mimeType", "application/json"}},
  });
}

Result<json> read_resource(api::Client& client, const Policy& policy, const std::string& uri) {
  if (uri == "ipfs-kit://status") return text_contents(uri, TRY(client.status()));
  if (uri == "ipfs-kit://backends") return text_contents(uri, TRY(client.backends(false)));
  if (uri == "ipfs-kit://config") return text_contents(uri, TRY(client.config_show()));
  if (uri == "ipfs-kit://pins") return text_contents(uri, TRY(pins_doc(client, std::nullopt)));
  if (uri == "ipfs-kit://repo") {
    core::RepoStat r = TRY(client.repo_stat());
    return text_contents(uri, json{{"blocks", r.blocks}, {"block_bytes", r.block_bytes}, {"disk_bytes", r.disk_bytes},
                                   {"pins", r.pins}, {"path", r.path}});
  }
  if (uri.rfind("ipfs-kit://backends/", 0) == 0) {
    const std::string name = uri.substr(20);
    json all = TRY(client.backends(false));
    if (!all.is_object() || !all.contains(name)) return not_found("no backend named \"" + name + "\"");
    return text_contents(uri, all[name]);
  }
  if (uri.rfind("ipfs-kit://pins/", 0) == 0) {
    auto cid = Cid::parse(uri.substr(16));
    if (!cid) return not_found("\"" + uri.substr(16) + "\" is not a CID");
    auto pins = pins_doc(client, *cid);
    if (!pins) return tl::unexpected(pins.error());
    if (pins->empty()) return not_found(uri.substr(16) + " is not pinned");
    return text_contents(uri, (*pins)[0]);
  }
  if (uri.rfind("ipfs://", 0) == 0) {
    auto decoded = http::percent_decode(std::string_view(uri).substr(7), false);
    if (!decoded || decoded->empty()) return not_found("malformed ipfs:// URI");
    std::string path = *decoded;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    auto info = client.stat(path);
    if (!info) {
      if (info.error().code() == Code::kInvalidArgument) return not_found(info.error().message());
      return tl::unexpected(info.error());
    }
    if (info->kind == unixfs::NodeKind::kDirectory || info->kind == unixfs::NodeKind::kHAMTDirectory) {
      json entries = json::array();
      bool truncated = false;
      TRY_STATUS(client.ls(path, [&](const unixfs::DirEntry& e) -> Status {
        if (entries.size() >= 1000) {
          truncated = true;
          return {};
        }
        entries.push_back({{"name", e.name}, {"cid", e.cid.to_string()}, {"size", e.tsize}});
        return {};
      }));
      return text_contents(uri, json{{"cid", info->cid.to_string()}, {"type", unixfs::kind_name(info->kind)},
                                     {"entries", std::move(entries)}, {"truncated", truncated}});
    }
    if (info->size > policy.max_content_bytes)
      return make_error(Code::kResourceExhausted, uri + " is " + std::to_string(info->size) +
                                                      " bytes, over the 1 MiB resource limit: read it with the cat tool "
                                                      "(offset and length)");
    Bytes data;
    TRY_STATUS(client.cat(path, 0, std::nullopt, [&](ByteView piece) -> Status {
      data.insert(data.end(), piece.begin(), piece.end());
      return {};
    }));
    EncodedContent c = TRY(encode_content(data, "auto"));
    const std::string name = path.substr(path.rfind('/') == std::string::npos ? path.size() : path.rfind('/'));
    json item{{"uri", uri}, {"mimeType", mime_for(name, c.encoding == "text")}};
    item[c.encoding == "text" ? "text" : "blob"] = std::move(c.content);
    return json::array({std::move(item)});
  }
  return not_found("unknown resource " + uri + " (see resources/list and resources/templates/list)");
}

}  // namespace ipfskit::mcp
