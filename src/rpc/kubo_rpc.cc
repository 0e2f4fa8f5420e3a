#include <algorithm>
#include "rpc/kubo_rpc.h"

#include "rpc/call.h"
#include "rpc/files_rpc.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <mutex>

#include "base/version.h"
#include "core/add_options.h"
#include "http/multipart.h"
#include "ipld/ipld.h"
#include "multiformats/cid_format.h"
#include "multiformats/multicodec.h"
#include "unixfs/chunker.h"

namespace ipfskit::rpc {

namespace {

using json = nlohmann::json;

// "/ipfs/CID/a", "CID/a" or "CID" to the CID it names.
Result<Cid> resolve_arg(Call& c, const std::string& path) {
  auto cid = c.node().resolve(path);
  if (!cid && cid.error().code() == Code::kInvalidArgument)
    return invalid_argument("invalid path \"" + path + "\": " + cid.error().message());
  return cid;
}

// A whole multipart part's content, up to `limit` bytes.
Result<Bytes> read_part(ByteReader& in, uint64_t limit, const std::string& what) {
  Bytes out;
  uint8_t buf[65536];
  for (;;) {
    size_t n = TRY(in.read(buf, sizeof buf));
    if (n == 0) break;
    if (out.size() + n > limit)
      return make_error(Code::kResourceExhausted, what + " exceeds " + std::to_string(limit) + " bytes");
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

Result<std::unique_ptr<http::MultipartReader>> multipart(Call& c) {
  auto type = c.request().header("content-type");
  if (!type) return invalid_argument("file argument is required (send a multipart/form-data body)");
  std::string boundary = TRY(http::multipart_boundary(*type));
  return std::make_unique<http::MultipartReader>(c.body(), boundary);
}

// A pin's metadata from a JSON object of strings (absent: none).
Result<std::map<std::string, std::string>> parse_metadata(const std::optional<std::string>& text);

// ---------------- add ----------------

// The parts of a multipart add as upload entries (kubo-rpc-client and Kubo's
// CLI name files by URL-escaped path in the part's filename).
class MultipartUpload : public unixfs::UploadSource {
 public:
  explicit MultipartUpload(http::MultipartReader& r) : r_(r) {}
  Result<std::optional<unixfs::UploadEntry>> next() override {
    std::optional<http::Part> part = TRY(r_.next());
    if (!part) return std::optional<unixfs::UploadEntry>();
    unixfs::UploadEntry e;
    auto path = http::percent_decode(part->filename, false);
    if (!path) return invalid_argument("malformed file name in upload: " + part->filename);
    std::string p = std::move(*path);
    while (!p.empty() && p.front() == '/') p.erase(0, 1);
    while (!p.empty() && p.back() == '/') p.pop_back();
    e.path = std::move(p);
    if (part->content_type == "application/x-directory") e.kind = unixfs::UploadEntry::Kind::kDirectory;
    else if (part->content_type == "application/symlink") e.kind = unixfs::UploadEntry::Kind::kSymlink;
    else e.kind = unixfs::UploadEntry::Kind::kFile;
    e.content = &r_.content();
    current = e.path;
    return std::optional<unixfs::UploadEntry>(std::move(e));
  }
  std::string current;

 private:
  http::MultipartReader& r_;
};

Status cmd_add(Call& c) {
  for (const char* unsupported_opt : {"nocopy", "to-files", "fscache"}) {
    if (TRY(c.flag(unsupported_opt, false)) && std::string_view(unsupported_opt) != "fscache")
      return unsupported(std::string("add --") + unsupported_opt + " is not supported by ipfs-kit");
  }
  core::AddParams p;
  p.profile = c.str("profile");
  p.chunker = c.str("chunker");
  p.hash = c.str("hash");
  if (auto v = TRY(c.integer("cid-version"))) p.cid_version = static_cast<int>(*v);
  p.raw_leaves = TRY(c.opt_flag("raw-leaves"));
  p.trickle = TRY(c.opt_flag("trickle"));
  if (auto v = TRY(c.integer("max-file-links"))) {
    if (*v < 1) return invalid_argument("max-file-links must be at least 1");
    p.max_links = static_cast<uint64_t>(*v);
  }
  p.inline_cids = TRY(c.flag("inline", false));
  if (auto v = TRY(c.integer("inline-limit"))) {
    if (*v < 0) return invalid_argument("inline-limit must not be negative");
    p.inline_limit = static_cast<uint64_t>(*v);
  }
  p.wrap = TRY(c.flag("wrap-with-directory", false));
  core::AddOptions add;
  add.import = TRY(core::resolve_import_options(p, *c.config(), c.node().workers()));
  add.only_hash = TRY(c.flag("only-hash", false));
  add.pin = TRY(c.flag("pin", true)) && !add.only_hash;
  if (auto name = c.str("pin-name")) {
    if (!add.pin) return invalid_argument("pin-name option requires pin to be set");
    add.pin_name = *name;
  }
  // Ours: metadata for the root's pin, a JSON object of strings.
  add.pin_meta = TRY(parse_metadata(c.str("pin-metadata")));
  const bool progress = TRY(c.flag("progress", false));
  const bool quieter = TRY(c.flag("quieter", false));
  const bool silent = TRY(c.flag("silent", false));

  auto reader = TRY(multipart(c));
  MultipartUpload upload(*reader);
  Status write_error;  // the first failed write; the add then stops at its next read
  std::string last_name;
  uint64_t file_bytes = 0, reported = 0;
  auto emit = [&](const json& j) {
    if (!write_error) return;
    write_error = c.reply.emit(j, true);
  };
  std::optional<unixfs::AddedEntry> final_entry;
  auto on_added = [&](const unixfs::AddedEntry& e) {
    final_entry = e;
    if (silent || quieter) return;
    emit({{"Name", e.name}, {"Hash", e.cid.to_string()}, {"Size", std::to_string(e.size)}});
  };
  unixfs::ProgressFn on_progress;
  if (progress && !silent) {
    on_progress = [&](uint64_t n) {
      if (upload.current != last_name) {
        last_name = upload.current;
        file_bytes = reported = 0;
      }
      file_bytes += n;
      if (file_bytes - reported >= (1 << 20)) {
        reported = file_bytes;
        emit({{"Name", last_name}, {"Bytes", file_bytes}});
      }
    };
  }
  TRY_STATUS(c.node().add_entries(upload, add, on_added, on_progress));
  TRY_STATUS(write_error);
  if (quieter && !silent && final_entry)
    TRY_STATUS(c.reply.emit({{"Name", final_entry->name},
                             {"Hash", final_entry->cid.to_string()},
                             {"Size", std::to_string(final_entry->size)}}));
  return {};
}

// ---------------- content ----------------

Status cmd_cat(Call& c) {
  auto paths = c.args();
  if (paths.empty()) return invalid_argument("argument \"ipfs-path\" is required");
  const int64_t offset = TRY(c.integer("offset")).value_or(0);
  const auto length = TRY(c.integer("length"));
  if (offset < 0) return invalid_argument("cannot specify negative offset");
  if (length && *length < 0) return invalid_argument("cannot specify negative length");
  struct Item {
    Cid cid;
    uint64_t size;
  };
  std::vector<Item> items;
  uint64_t total = 0;
  for (const auto& p : paths) {
    Cid cid = TRY(resolve_arg(c, p));
    unixfs::NodeInfo info = TRY(c.node().stat(cid));
    if (info.kind != unixfs::NodeKind::kFile) return invalid_argument("this dag node is a directory");
    items.push_back({cid, info.size});
    total += info.size;
  }
  uint64_t skip = static_cast<uint64_t>(offset);
  uint64_t left = total > skip ? total - skip : 0;
  if (length) left = std::min<uint64_t>(left, static_cast<uint64_t>(*length));
  TRY_STATUS(c.reply.begin_bytes("text/plain", left));
  for (const Item& it : items) {
    if (left == 0) break;
    if (skip >= it.size) {
      skip -= it.size;
      continue;
    }
    uint64_t n = std::min(left, it.size - skip);
    TRY_STATUS(c.node().cat(it.cid.to_string(), skip, n, [&](ByteView b) { return c.reply.bytes(b); }));
    left -= n;
    skip = 0;
  }
  return {};
}

// The name the top entry of `get`'s archive takes: the path's last segment.
std::string archive_name(const std::string& path) {
  std::string p = path;
  if (p.rfind("/ipfs/", 0) == 0) p = p.substr(6);
  while (!p.empty() && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

Status cmd_get(Call& c) {
  std::string path = TRY(c.arg(0, "ipfs-path"));
  if (TRY(c.flag("compress", false))) return unsupported("get --compress is not supported by ipfs-kit");
  Cid cid = TRY(resolve_arg(c, path));
  TRY_STATUS(c.node().stat(cid));  // fail before the output starts when missing
  std::string name = archive_name(path);
  if (name.empty() || name == "." || name == "..") name = cid.to_string();
  TRY_STATUS(c.reply.begin_bytes("application/x-tar", std::nullopt));
  return c.node().get_tar(cid.to_string(), name, [&](ByteView b) { return c.reply.bytes(b); });
}

int unixfs_type_number(unixfs::NodeKind k) {
  switch (k) {
    case unixfs::NodeKind::kDirectory:
    case unixfs::NodeKind::kHAMTDirectory: return 1;
    case unixfs::NodeKind::kFile: return 2;
    case unixfs::NodeKind::kSymlink: return 4;
    case unixfs::NodeKind::kOther: return 0;
  }
  return 0;
}

Status cmd_ls(Call& c) {
  auto paths = c.args();
  if (paths.empty()) return invalid_argument("argument \"ipfs-path\" is required");
  const bool stream = TRY(c.flag("stream", false));
  const bool resolve_type = TRY(c.flag("resolve-type", true));
  const bool size = TRY(c.flag("size", true));
  for (const auto& p : paths) {
    Cid cid = TRY(resolve_arg(c, p));
    unixfs::NodeInfo info = TRY(c.node().stat(cid));
    // Kubo echoes the argument; a path is shown as the CID it resolves to.
    const std::string shown = p.find('/') == std::string::npos ? p : cid.to_string();
    json links = json::array();
    if (info.kind == unixfs::NodeKind::kDirectory || info.kind == unixfs::NodeKind::kHAMTDirectory) {
      TRY_STATUS(c.node().ls(cid, [&](const unixfs::DirEntry& e) -> Status {
        json link = {{"Name", e.name}, {"Hash", e.cid.to_string()}, {"Size", 0}, {"Type", 0}, {"Target", ""}};
        if (resolve_type || size) {
          unixfs::NodeInfo child = TRY(c.node().stat(e.cid));
          link["Type"] = unixfs_type_number(child.kind);
          if (child.kind == unixfs::NodeKind::kFile) link["Size"] = child.size;
          if (child.kind == unixfs::NodeKind::kSymlink) {
            auto target = c.node().cat(e.cid.to_string(), 0, std::nullopt, [](ByteView) -> Status { return {}; });
            (void)target;
          }
        }
        if (stream) return c.reply.emit({{"Objects", json::array({{{"Hash", shown}, {"Links", json::array({link})}}})}});
        links.push_back(std::move(link));
        return {};
      }));
      if (stream) continue;
    }
    TRY_STATUS(c.reply.emit({{"Objects", json::array({{{"Hash", shown}, {"Links", links}}})}}));
  }
  return {};
}

Status cmd_refs(Call& c) {
  auto paths = c.args();
  if (paths.empty()) return invalid_argument("argument \"ipfs-path\" is required");
  const bool recursive = TRY(c.flag("recursive", false));
  const bool unique = TRY(c.flag("unique", false));
  const bool edges = TRY(c.flag("edges", false));
  auto format = c.str("format").value_or("<dst>");
  if (edges && format != "<dst>") return invalid_argument("using format argument with edges is not allowed");
  if (edges) format = "<src> -> <dst>";
  if (TRY(c.integer("max-depth")).value_or(-1) != -1) return unsupported("refs --max-depth is not supported by ipfs-kit");
  for (const auto& p : paths) {
    Cid root = TRY(resolve_arg(c, p));
    TRY_STATUS(c.node().refs(root, recursive, unique, [&](const Cid& l) -> Status {
      std::string ref = format;
      auto replace = [&](const std::string& key, const std::string& value) {
        for (size_t at = ref.find(key); at != std::string::npos; at = ref.find(key, at + value.size()))
          ref.replace(at, key.size(), value);
      };
      replace("<src>", root.to_string());
      replace("<dst>", l.to_string());
      replace("<linkname>", "");
      return c.reply.emit({{"Ref", ref}, {"Err", ""}});
    }));
  }
  return {};
}

Status cmd_refs_local(Call& c) {
  return c.node().refs_local([&](const Cid& cid) { return c.reply.emit({{"Ref", cid.to_string()}, {"Err", ""}}); });
}

// ---------------- blocks ----------------

Result<Cid> parse_cid_arg(const std::string& text) {
  auto cid = Cid::parse(text);
  if (!cid) return invalid_argument("invalid CID \"" + text + "\": " + cid.error().message());
  return cid;
}

Status cmd_block_get(Call& c) {
  Cid cid = TRY(resolve_arg(c, TRY(c.arg(0, "cid"))));
  // --offline (what backends reading a copy send): the repository alone,
  // never the node's fallback.
  Bytes data = TRY(c.node().block_get(cid, TRY(c.flag("offline", false))));
  TRY_STATUS(c.reply.begin_bytes("text/plain", data.size()));
  return c.reply.bytes(data);
}

Status cmd_block_stat(Call& c) {
  Cid cid = TRY(resolve_arg(c, TRY(c.arg(0, "cid"))));
  core::BlockStat st = TRY(c.node().block_stat(cid));
  return c.reply.json_value({{"Key", st.cid.to_string()}, {"Size", st.size}});
}

Status cmd_block_put(Call& c) {
  std::string codec_name = c.str("cid-codec").value_or("");
  std::string format = c.str("format").value_or("");
  const std::string mhtype = c.str("mhtype").value_or("sha2-256");
  const int64_t mhlen = TRY(c.integer("mhlen")).value_or(-1);
  const bool pin = TRY(c.flag("pin", false));
  const bool allow_big = TRY(c.flag("allow-big-block", false));
  if (!codec_name.empty() && !format.empty()) return invalid_argument("unable to use \"format\" (deprecated) and a custom \"cid-codec\" at the same time");
  int version = 1;
  uint64_t codec = multicodec::kRaw;
  if (!format.empty()) {
    // The deprecated --format: v0/protobuf is CIDv0 dag-pb, cbor is dag-cbor.
    if (format == "v0" || format == "protobuf") {
      codec = multicodec::kDagPb;
      version = format == "v0" ? 0 : 1;
      if (format == "protobuf" && mhtype == "sha2-256") version = 0;
    } else if (format == "cbor") {
      codec = multicodec::kDagCbor;
    } else {
      auto cc = multicodec::codec_by_name(format);
      if (!cc) return invalid_argument("unrecognized format: " + format);
      codec = *cc;
    }
  } else if (!codec_name.empty()) {
    auto cc = multicodec::codec_by_name(codec_name);
    if (!cc) return invalid_argument("unknown cid-codec \"" + codec_name + "\"");
    codec = *cc;
  }
  auto hash = multihash::by_name(mhtype);
  if (!hash || !hash->implemented) return invalid_argument("unrecognized multihash function: " + mhtype);
  if (mhlen != -1 && hash->code != multihash::kIdentity && static_cast<uint64_t>(mhlen) != hash->default_length)
    return invalid_argument("custom hash lengths are not supported");
  if (hash->code != multihash::kSha2_256) version = 1;
  // Ours: an explicit CID version (the CLI's --cid-version).
  if (auto v = TRY(c.integer("cid-version"))) {
    if (*v != 0 && *v != 1) return invalid_argument("invalid CID version " + std::to_string(*v));
    version = static_cast<int>(*v);
  }
  auto reader = TRY(multipart(c));
  const uint64_t limit = allow_big ? (64ULL << 20) : unixfs::kBlockSizeLimit;
  bool any = false;
  for (;;) {
    auto part = TRY(reader->next());
    if (!part) break;
    any = true;
    Bytes data = TRY(read_part(reader->content(), limit, "produced block"));
    Cid cid = TRY(c.node().block_put(data, codec, hash->code, version, pin));
    TRY_STATUS(c.reply.emit({{"Key", cid.to_string()}, {"Size", data.size()}}, true));
  }
  if (!any) return invalid_argument("file argument \"data\" is required");
  return {};
}

Status cmd_block_rm(Call& c) {
  auto cids = c.args();
  if (cids.empty()) return invalid_argument("argument \"cid\" is required");
  const bool force = TRY(c.flag("force", false));
  const bool quiet = TRY(c.flag("quiet", false));
  bool failed = false;
  for (const auto& text : cids) {
    Cid cid = TRY(parse_cid_arg(text));
    Status st = c.node().block_rm(cid);
    if (!st && force && st.error().code() == Code::kNotFound) continue;  // Kubo: -f skips missing blocks quietly
    if (!st) failed = true;
    if (!st || !quiet) {
      json j = {{"Hash", cid.to_string()}};
      if (!st) {
        j["Error"] = st.error().message();
        j["Kind"] = code_name(st.error().code());  // ours: the code, so clients need not parse messages
      }
      TRY_STATUS(c.reply.emit(j));
    }
  }
  if (failed && !c.request().param("stream-channels")) return {};
  return {};
}

// ---------------- DAGs ----------------

Status cmd_dag_export(Call& c) {
  Cid root = TRY(resolve_arg(c, TRY(c.arg(0, "root"))));
  const bool offline = TRY(c.flag("offline", false));
  // Fail before the output starts when the root is missing (with --offline:
  // missing here; otherwise also from the node's fallback).
  if (offline) TRY_STATUS(c.node().block_stat(root));
  else TRY_STATUS(c.node().block_get(root));
  TRY_STATUS(c.reply.begin_bytes("application/vnd.ipld.car", std::nullopt));
  return c.node().dag_export(root, [&](ByteView b) { return c.reply.bytes(b); }, offline);
}

Status cmd_dag_import(Call& c) {
  const bool pin_roots = TRY(c.flag("pin-roots", true));
  const bool stats = TRY(c.flag("stats", false));
  const bool silent = TRY(c.flag("silent", false));
  auto reader = TRY(multipart(c));
  std::vector<Cid> roots;
  uint64_t blocks = 0, bytes = 0;
  bool any = false;
  for (;;) {
    auto part = TRY(reader->next());
    if (!part) break;
    any = true;
    auto imported = c.node().dag_import(reader->content(), false);
    if (!imported) {
      auto name = http::percent_decode(part->filename, false);
      return tl::unexpected(name && !name->empty() ? imported.error().wrap(*name) : imported.error());
    }
    core::ImportReport r = std::move(*imported);
    blocks += r.blocks;
    bytes += r.bytes;
    for (const Cid& root : r.roots)
      if (std::find(roots.begin(), roots.end(), root) == roots.end()) roots.push_back(root);
  }
  if (!any) return invalid_argument("file argument \"path\" is required");
  // Roots are pinned once every CAR is in, so a DAG may span several CARs.
  for (const Cid& root : roots) {
    std::string pin_error;
    if (pin_roots) {
      repo::PinRequest p;
      p.cid = root;
      Status st = c.node().pin_add({p});
      if (!st) pin_error = st.error().message();
    }
    if (pin_roots && !silent)
      TRY_STATUS(c.reply.emit({{"Root", {{"Cid", {{"/", root.to_string()}}}, {"PinErrorMsg", pin_error}}}}));
  }
  if (stats && !silent) TRY_STATUS(c.reply.emit({{"Stats", {{"BlockCount", blocks}, {"BlockBytesCount", bytes}}}}));
  return {};
}

// Walks an IPLD path from a CID through blocks and links. Returns the value
// reached, the CID of the block it is in, and the path left inside that
// block (empty when the path ended on a block root).
struct Resolved {
  Cid block;
  ipld::Value value;
  std::string remainder;
};

Result<Resolved> resolve_ipld(Call& c, const std::string& path_text, bool follow_final_link) {
  std::string p = path_text;
  if (p.rfind("/ipfs/", 0) == 0) p = p.substr(6);
  else if (p.rfind("/ipld/", 0) == 0) p = p.substr(6);
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    std::string seg = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!seg.empty()) segments.push_back(seg);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (segments.empty()) return invalid_argument("invalid path \"" + path_text + "\"");
  Cid cid = TRY(parse_cid_arg(segments[0]));
  Bytes data = TRY(c.node().block_get(cid));
  ipld::Value current = TRY(ipld::decode(cid.codec(), data));
  Cid block = cid;
  std::string remainder;
  for (size_t i = 1; i < segments.size(); ++i) {
    if (current.kind() == ipld::Value::Kind::kLink) {
      block = current.as_link();
      data = TRY(c.node().block_get(block));
      current = TRY(ipld::decode(block.codec(), data));
      remainder.clear();
    }
    const ipld::Value* next = ipld::step(current, segments[i], block.codec() == multicodec::kDagPb);
    if (next == nullptr) return not_found("no link named \"" + segments[i] + "\" under " + block.to_string());
    ipld::Value copy = *next;
    current = std::move(copy);
    remainder += (remainder.empty() ? "" : "/") + segments[i];
  }
  if (follow_final_link && current.kind() == ipld::Value::Kind::kLink) {
    block = current.as_link();
    data = TRY(c.node().block_get(block));
    current = TRY(ipld::decode(block.codec(), data));
    remainder.clear();
  }
  return Resolved{block, std::move(current), remainder};
}

Result<uint64_t> codec_option(Call& c, const char* name, const char* def) {
  std::string text = c.str(name).value_or(def);
  if (text == "json") return multicodec::kDagJson;  // plain JSON: the dag-json subset
  if (text == "cbor") return multicodec::kDagCbor;
  auto code = multicodec::codec_by_name(text);
  if (!code || (*code != multicodec::kDagJson && *code != multicodec::kDagCbor && *code != multicodec::kDagPb &&
                *code != multicodec::kRaw))
    return invalid_argument(std::string(name) + ": unsupported codec \"" + text + "\"");
  return *code;
}

Status cmd_dag_get(Call& c) {
  std::string path = TRY(c.arg(0, "ref"));
  uint64_t out_codec = TRY(codec_option(c, "output-codec", "dag-json"));
  Resolved r = TRY(resolve_ipld(c, path, true));
  Bytes out = TRY(ipld::encode(out_codec, r.value));
  TRY_STATUS(c.reply.begin_bytes(out_codec == multicodec::kDagJson ? "application/json" : "application/octet-stream",
                                 out.size()));
  return c.reply.bytes(out);
}

Status cmd_dag_resolve(Call& c) {
  std::string path = TRY(c.arg(0, "ref"));
  Resolved r = TRY(resolve_ipld(c, path, true));
  return c.reply.json_value({{"Cid", {{"/", r.block.to_string()}}}, {"RemPath", r.remainder}});
}

Status cmd_dag_put(Call& c) {
  uint64_t store = TRY(codec_option(c, "store-codec", "dag-cbor"));
  uint64_t input = TRY(codec_option(c, "input-codec", "dag-json"));
  const bool pin = TRY(c.flag("pin", false));
  const bool allow_big = TRY(c.flag("allow-big-block", false));
  const std::string hash_name = c.str("hash").value_or("sha2-256");
  auto hash = multihash::by_name(hash_name);
  if (!hash || !hash->implemented) return invalid_argument("unrecognized hash function: " + hash_name);
  auto reader = TRY(multipart(c));
  bool any = false;
  for (;;) {
    auto part = TRY(reader->next());
    if (!part) break;
    any = true;
    Bytes data = TRY(read_part(reader->content(), 16ULL << 20, "dag put input"));
    ipld::Value v = TRY(ipld::decode(input, data));
    Bytes encoded = TRY(ipld::encode(store, v));
    if (!allow_big && encoded.size() > unixfs::kBlockSizeLimit)
      return make_error(Code::kResourceExhausted, "produced block is over 2MiB: pass allow-big-block to store it");
    Cid cid = TRY(c.node().block_put(encoded, store, hash->code, 1, pin));
    TRY_STATUS(c.reply.emit({{"Cid", {{"/", cid.to_string()}}}}, true));
  }
  if (!any) return invalid_argument("file argument \"object data\" is required");
  return {};
}

Status cmd_dag_stat(Call& c) {
  auto paths = c.args();
  if (paths.empty()) return invalid_argument("argument \"root\" is required");
  json stats = json::array();
  uint64_t total = 0, redundant = 0, unique_blocks = 0;
  for (const auto& p : paths) {
    Cid root = TRY(resolve_arg(c, p));
    core::DagStat s = TRY(c.node().dag_stat(root));
    stats.push_back({{"Cid", root.to_string()}, {"Size", s.size}, {"NumBlocks", s.blocks}});
    total += s.size;  // (the same DAG twice counts twice: Kubo dedups across roots; see below)
    redundant += s.size;
    unique_blocks += s.blocks;
  }
  json out = {{"UniqueBlocks", unique_blocks}, {"TotalSize", total}, {"DagStats", stats}};
  if (total > 0) out["Ratio"] = static_cast<double>(redundant) / static_cast<double>(total);
  return c.reply.emit(out);
}

// ---------------- pins ----------------

Result<std::map<std::string, std::string>> parse_metadata(const std::optional<std::string>& text) {
  std::map<std::string, std::string> out;
  if (!text || text->empty()) return out;
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("metadata must be a JSON object of strings");
  for (auto& [k, v] : j.items()) {
    if (!v.is_string()) return invalid_argument("metadata value for \"" + k + "\" must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

// One item's failure as a stream line (ours, with `partial`): the item, the
// message and the error's code, so that clients need not parse messages.
json item_error(const std::string& item, const Error& e) {
  return {{"Cid", item}, {"Error", e.message()}, {"Kind", code_name(e.code())}};
}

Status cmd_pin_add(Call& c) {
  auto paths = c.args();
  if (paths.empty()) return invalid_argument("argument \"ipfs-path\" is required");
  const bool recursive = TRY(c.flag("recursive", true));
  const bool progress = TRY(c.flag("progress", false));
  // Ours: `partial` pins what can be pinned and reports each failure as a
  // line; without it a failure pins nothing (one request, one outcome).
  const bool partial = TRY(c.flag("partial", false));
  auto meta = TRY(parse_metadata(c.str("metadata")));
  // Ours: the replication policy, with IPFS Cluster's option names.
  repo::ReplicationPolicy policy;
  if (auto v = TRY(c.integer("replication-min"))) policy.min = static_cast<int>(std::clamp<int64_t>(*v, -1, 1000));
  if (auto v = TRY(c.integer("replication-max"))) policy.max = static_cast<int>(std::clamp<int64_t>(*v, -1, 1000));
  if (auto a = c.str("allocations")) {
    size_t start = 0;
    while (start <= a->size()) {
      size_t comma = a->find(',', start);
      if (comma == std::string::npos) comma = a->size();
      if (comma > start) policy.allocations.push_back(a->substr(start, comma - start));
      start = comma + 1;
    }
  }
  std::vector<repo::PinRequest> pins;
  json out = json::array();
  Status write_error;
  auto emit = [&](const json& j) {
    if (write_error) write_error = c.reply.emit(j, true);
  };
  for (const auto& p : paths) {
    repo::PinRequest r;
    auto cid = resolve_arg(c, p);
    if (!cid) {
      if (!partial) return tl::unexpected(cid.error());
      emit(item_error(p, cid.error()));
      continue;
    }
    r.cid = *cid;
    r.type = recursive ? repo::PinType::kRecursive : repo::PinType::kDirect;
    r.name = c.str("name");
    r.meta = meta;
    r.replication = policy;
    TRY_STATUS(repo::validate_pin(r));
    out.push_back(r.cid.to_string());
    pins.push_back(std::move(r));
  }
  if (partial) {
    TRY_STATUS(c.node().pin_add(
        pins,
        [&](const Cid& cid, const Status& st) {
          emit(st ? json{{"Pins", json::array({cid.to_string()})}} : item_error(cid.to_string(), st.error()));
        },
        /*all_or_nothing=*/false));
    return write_error;
  }
  uint64_t done = 0;
  TRY_STATUS(c.node().pin_add(pins, [&](const Cid&, const Status&) {
    ++done;
    if (progress) emit({{"Progress", done}});
  }));
  TRY_STATUS(write_error);
  return c.reply.emit({{"Pins", out}});
}

Status cmd_pin_rm(Call& c) {
  auto paths = c.args();
  if (paths.empty()) return invalid_argument("argument \"ipfs-path\" is required");
  const bool partial = TRY(c.flag("partial", false));  // ours, as for pin/add
  std::vector<Cid> cids;
  Status write_error;
  auto emit = [&](const json& j) {
    if (write_error) write_error = c.reply.emit(j, true);
  };
  for (const auto& p : paths) {
    auto cid = resolve_arg(c, p);
    if (!cid) {
      if (!partial) return tl::unexpected(cid.error());
      emit(item_error(p, cid.error()));
      continue;
    }
    cids.push_back(*cid);
  }
  if (partial) {
    TRY_STATUS(c.node().pin_rm_each(cids, [&](const Cid& cid, const Status& st) {
      emit(st ? json{{"Pins", json::array({cid.to_string()})}} : item_error(cid.to_string(), st.error()));
    }));
    return write_error;
  }
  std::vector<Cid> removed = TRY(c.node().pin_rm(cids));
  json out = json::array();
  for (const Cid& r : removed) out.push_back(r.to_string());
  return c.reply.emit({{"Pins", out}});
}

Status cmd_pin_ls(Call& c) {
  const std::string type = c.str("type").value_or("all");
  const bool stream = TRY(c.flag("stream", false));
  const bool quiet = TRY(c.flag("quiet", false));
  const auto name = c.str("name");
  const bool names = TRY(c.flag("names", false)) || name.has_value();
  core::PinListOptions o;
  if (type == "recursive") {
    o.filter.type = repo::PinType::kRecursive;
    o.indirect = false;
  } else if (type == "direct") {
    o.filter.type = repo::PinType::kDirect;
    o.indirect = false;
  } else if (type == "indirect") {
    o.explicit_pins = false;
  } else if (type != "all") {
    return invalid_argument("invalid type '" + type + "', must be one of {direct, indirect, recursive, all}");
  }
  if (name) o.filter.name = *name;
  if (auto limit = TRY(c.integer("limit"))) o.filter.limit = static_cast<uint64_t>(std::max<int64_t>(0, *limit));
  // Ours: keyset paging (`after` = the last entry's Cursor) and a metadata filter (`meta=key=value`).
  if (auto after = TRY(c.integer("after"))) o.filter.after = std::max<int64_t>(0, *after);
  if (auto m = c.str("meta")) {
    auto eq = m->find('=');
    if (eq == std::string::npos || eq == 0) return invalid_argument("meta must be key=value");
    o.filter.meta = std::make_pair(m->substr(0, eq), m->substr(eq + 1));
  }
  o.filter.with_meta = true;
  json keys = json::object();
  auto on_pin = [&](const core::PinEntry& e) -> Status {
    json entry = {{"Type", e.type}};
    if (names) entry["Name"] = e.info && e.info->name ? *e.info->name : "";
    if (e.info && !e.info->meta.empty()) entry["Metadata"] = e.info->meta;
    if (e.info) {
      entry["Created"] = e.info->created;  // ours: unix seconds
      entry["Cursor"] = e.info->id;        // ours: for `after`
    }
    if (quiet) entry = json::object({{"Type", e.type}});
    if (stream) {
      entry["Cid"] = e.cid.to_string();
      return c.reply.emit(entry);
    }
    keys[e.cid.to_string()] = std::move(entry);
    return {};
  };
  auto paths = c.args();
  if (paths.empty()) {
    TRY_STATUS(c.node().pin_ls(o, on_pin));
  } else {
    for (const auto& p : paths) {
      core::PinListOptions one = o;
      one.filter.cid = TRY(resolve_arg(c, p));
      TRY_STATUS(c.node().pin_ls(one, on_pin));
    }
  }
  if (!stream) return c.reply.emit({{"Keys", keys}});
  return {};
}

Status cmd_pin_update(Call& c) {
  Cid from = TRY(resolve_arg(c, TRY(c.arg(0, "from-path"))));
  Cid to = TRY(resolve_arg(c, TRY(c.arg(1, "to-path"))));
  const bool unpin = TRY(c.flag("unpin", true));
  TRY_STATUS(c.node().pin_update(from, to, unpin));
  return c.reply.json_value({{"Pins", {from.to_string(), to.to_string()}}});
}

Status cmd_pin_verify(Call& c) {
  const bool verbose = TRY(c.flag("verbose", false));
  const bool quiet = TRY(c.flag("quiet", false));
  return c.node().pin_verify(
      [&](const core::PinVerifyResult& r) -> Status {
        if (r.ok && !verbose) return {};
        json j = {{"Cid", r.cid.to_string()}};
        if (r.ok) j["Ok"] = true;
        if (!r.ok && !quiet) {
          json bad = json::array();
          for (const auto& problem : r.problems) bad.push_back({{"Cid", r.cid.to_string()}, {"Err", problem}});
          j["BadNodes"] = bad;
        }
        return c.reply.emit(j);
      },
      !verbose);
}

// ---------------- repository ----------------

Status cmd_repo_gc(Call& c) {
  const bool quiet = TRY(c.flag("quiet", false));
  const bool silent = TRY(c.flag("silent", false));
  const bool stats = TRY(c.flag("stats", false));  // ours: a last line with the totals
  Status write_error;
  core::GcReport report = TRY(c.node().gc([&](const Cid& cid) {
    if (quiet || silent || !write_error) return;
    write_error = c.reply.emit({{"Key", {{"/", cid.to_string()}}}});
  }));
  TRY_STATUS(write_error);
  if (stats)
    return c.reply.emit({{"Stats",
                          {{"RemovedBlocks", report.removed_blocks},
                           {"RemovedBytes", report.removed_bytes},
                           {"ReclaimedBytes", report.reclaimed_bytes}}}});
  return {};
}

Status cmd_repo_stat(Call& c) {
  core::RepoStat s = TRY(c.node().repo_stat());
  const bool size_only = TRY(c.flag("size-only", false));
  json j = {{"RepoSize", s.disk_bytes}, {"StorageMax", 0}};
  if (!size_only) {
    j["NumObjects"] = s.blocks;
    j["RepoPath"] = s.path;
    j["Version"] = "fs-repo@ipfs-kit-1";
    j["BlockBytes"] = s.block_bytes;  // ours
    j["Pins"] = s.pins;               // ours
  }
  return c.reply.json_value(j);
}

Status cmd_repo_verify(Call& c) {
  Status write_error;
  core::VerifyReport r = TRY(c.node().repo_verify([&](const Cid& cid, const Error& e) {
    if (!write_error) return;
    // "Cid" and "Error" are ours: the bad block without parsing the message.
    write_error = c.reply.emit(
        {{"Msg", "block " + cid.to_string() + " was corrupt (" + e.message() + ")"}, {"Cid", cid.to_string()}, {"Error", e.message()}},
        true);
  }));
  TRY_STATUS(write_error);
  if (r.bad > 0) {
    TRY_STATUS(c.reply.emit({{"Checked", r.checked}, {"Bad", r.bad}}));  // ours: the totals, before the error
    return corruption("verify complete, some blocks were corrupt");
  }
  return c.reply.emit({{"Msg", "verify complete, all blocks validated."}, {"Progress", r.checked}, {"Checked", r.checked}});
}

Status cmd_repo_version(Call& c) { return c.reply.json_value({{"Version", "ipfs-kit-1"}}); }

// ---------------- node ----------------

Status cmd_id(Call& c) {
  const auto& ident = c.node().repo().identity();
  auto args = c.args();
  if (!args.empty() && args[0] != ident.peer_id)
    return unsupported("ipfs-kit has no peer routing: only its own identity can be shown");
  return c.reply.json_value({{"ID", ident.peer_id},
                             {"PublicKey", ident.public_key_b64},
                             {"Addresses", json::array()},
                             {"AgentVersion", kAgentVersion},
                             {"Protocols", json::array()}});
}

Status cmd_version(Call& c) {
  return c.reply.json_value(
      {{"Version", kVersion}, {"Commit", ""}, {"Repo", "ipfs-kit-1"}, {"System", "amd64/linux"}, {"Golang", "none (C++)"}});
}

// ---------------- cid ----------------

Status emit_formatted(Call& c, const CidFormatter& f) {
  auto cids = c.args();
  if (cids.empty()) return invalid_argument("argument \"cid\" is required");
  for (const auto& text : cids) {
    auto out = f.format(text);
    TRY_STATUS(c.reply.emit({{"CidStr", text}, {"Formatted", out ? *out : ""}, {"ErrorMsg", out ? "" : out.error().message()}}));
  }
  return {};
}

Status cmd_cid_format(Call& c) {
  CidFormatOptions o;
  o.format = c.str("f").value_or("%s");
  o.version = c.str("v").value_or("");
  o.codec = c.str("mc").value_or(c.str("codec").value_or(""));
  o.base = c.str("b").value_or("");
  return emit_formatted(c, TRY(CidFormatter::make(o)));
}

Status cmd_cid_base32(Call& c) { return emit_formatted(c, CidFormatter::base32()); }

Status cmd_cid_bases(Call& c) {
  json list = json::array();
  for (const auto& b : multibase::all_bases())
    list.push_back({{"Code", static_cast<int>(static_cast<unsigned char>(static_cast<char>(b.base)))}, {"Name", b.name}});
  return c.reply.json_value(list);
}

Status cmd_cid_codecs(Call& c) {
  json list = json::array();
  for (const auto& cc : multicodec::ipld_codecs()) list.push_back({{"Code", cc.code}, {"Name", cc.name}});
  return c.reply.json_value(list);
}

Status cmd_cid_hashes(Call& c) {
  json list = json::array();
  for (const auto& h : multihash::all_hashes())
    if (h.allowed) list.push_back({{"Code", h.code}, {"Name", h.name}});
  return c.reply.json_value(list);
}

struct Command {
  const char* name;
  Handler handler;
  bool upload = false;  // takes a large multipart body
};

}  // namespace

void register_routes(http::Server& server, const RpcContext& ctx) {
  static const Command commands[] = {
      {"add", cmd_add, true},
      {"cat", cmd_cat},
      {"get", cmd_get},
      {"ls", cmd_ls},
      {"refs", cmd_refs},
      {"refs/local", cmd_refs_local},
      {"block/get", cmd_block_get},
      {"block/put", cmd_block_put, true},
      {"block/stat", cmd_block_stat},
      {"block/rm", cmd_block_rm},
      {"dag/export", cmd_dag_export},
      {"dag/import", cmd_dag_import, true},
      {"dag/get", cmd_dag_get},
      {"dag/put", cmd_dag_put, true},
      {"dag/stat", cmd_dag_stat},
      {"dag/resolve", cmd_dag_resolve},
      {"pin/add", cmd_pin_add},
      {"pin/rm", cmd_pin_rm},
      {"pin/ls", cmd_pin_ls},
      {"pin/update", cmd_pin_update},
      {"pin/verify", cmd_pin_verify},
      {"repo/gc", cmd_repo_gc},
      {"repo/stat", cmd_repo_stat},
      {"repo/verify", cmd_repo_verify},
      {"repo/version", cmd_repo_version},
      {"id", cmd_id},
      {"version", cmd_version},
      {"cid/format", cmd_cid_format},
      {"cid/base32", cmd_cid_base32},
      {"cid/bases", cmd_cid_bases},
      {"cid/codecs", cmd_cid_codecs},
      {"cid/hashes", cmd_cid_hashes},
  };
  // The files/* commands (files_rpc.cc); files/write takes an upload.
  static const std::vector<Command> files_commands = [] {
    std::vector<std::pair<const char*, Handler>> routes;
    add_files_routes(routes);
    std::vector<Command> out;
    for (auto& [name, handler] : routes) out.push_back({name, handler, std::string_view(name) == "files/write"});
    return out;
  }();
  std::vector<const Command*> all;
  for (const Command& cmd : commands) all.push_back(&cmd);
  for (const Command& cmd : files_commands) all.push_back(&cmd);
  for (const Command* cmd_ptr : all) {
    const Command& cmd = *cmd_ptr;
    http::Route r;
    r.method = "POST";
    r.path = std::string("/api/v0/") + cmd.name;
    r.max_body_bytes = cmd.upload ? UINT64_MAX : (1 << 20);
    const Handler* h = &cmd.handler;
    r.stream_handler = [h, &ctx](http::Exchange& ex) {
      Call call(ex, ctx);
      Status st;
      try {
        st = (*h)(call);
      } catch (const std::exception& e) {
        st = internal_error(std::string("unexpected exception: ") + e.what());
      }
      if (!st) return call.reply.fail(st.error());
      call.reply.finish();
    };
    server.add_route(std::move(r));
  }
  // Kubo answers other methods with 405, and unknown commands with 404.
  http::Route any;
  any.path = "/api/v0/";
  any.prefix = true;
  any.inline_handler = [](const http::Request& req) {
    if (req.method != "POST") {
      http::Response r = http::Response::text(405, "405 - Method Not Allowed\n");
      r.headers.emplace_back("Allow", "POST");
      return r;
    }
    return http::Response::text(404, "404 page not found\n");
  };
  server.add_route(std::move(any));
}

}  // namespace ipfskit::rpc
