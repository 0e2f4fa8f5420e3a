#include "gateway/gateway.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "base/ascii.h"
#include "car/car.h"
#include "codec/dagpb.h"
#include "codec/unixfs_pb.h"
#include "dag/dag.h"
#include "dashboard/assets.h"
#include "multiformats/multicodec.h"
#include "unixfs/exporter.h"

namespace ipfskit::gateway {

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kImmutable = "public, max-age=29030400, immutable";
// Files up to this size are answered at once from the I/O thread; larger
// ones stream from a worker.
constexpr uint64_t kInlineLimit = 256 * 1024;

http::Response plain(int status, const std::string& message) {
  http::Response r = http::Response::text(status, message + "\n");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

// The HTTP status for an error met while serving content.
int status_for(const Error& e) {
  switch (e.code()) {
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kUnsupported: return 501;
    case Code::kCorruption: return 502;  // the stored block failed verification
    default: return 500;
  }
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Bytes as people read them: "812 B", "1.5 KiB", "23 MiB".
std::string human_size(uint64_t n) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (n < 1024) return std::to_string(n) + " B";
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  return buf;
}

// The listing page's style: the dashboard's theme (light or dark, from the
// system), and a little layout of its own. Inline: a listing is one request.
const std::string& listing_css() {
  static const std::string css = [] {
    std::string out;
    if (const auto* theme = dashboard::find_asset("theme.css")) out.assign(theme->raw);
    out += "main.listing{max-width:1100px;margin:0 auto;padding:1.25rem}td a{word-break:break-all}";
    return out;
  }();
  return css;
}

// Content-Type from a file name's extension; "" when unknown.
std::string type_by_extension(std::string_view name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"html", "text/html"}, {"htm", "text/html"}, {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
      {"json", "application/json"}, {"txt", "text/plain; charset=utf-8"}, {"md", "text/markdown; charset=utf-8"},
      {"xml", "text/xml; charset=utf-8"}, {"svg", "image/svg+xml"}, {"png", "image/png"}, {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"}, {"avif", "image/avif"},
      {"ico", "image/x-icon"}, {"pdf", "application/pdf"}, {"wasm", "application/wasm"}, {"mp4", "video/mp4"},
      {"webm", "video/webm"}, {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"wav", "audio/wav"},
      {"zip", "application/zip"}, {"gz", "application/gzip"}, {"tar", "application/x-tar"},
      {"car", "application/vnd.ipld.car"}, {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"csv", "text/csv; charset=utf-8"},
  };
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return "";
  std::string ext = ascii_lower(name.substr(dot + 1));
  for (const auto& [e, t] : kTypes)
    if (ext == e) return t;
  return "";
}

// A subset of the WHATWG sniffing Go's http.DetectContentType does.
std::string sniff(ByteView head) {
  auto starts = [&](std::string_view magic) {
    return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
  };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("%PDF-")) return "application/pdf";
  if (starts(std::string_view("\0asm", 4))) return "application/wasm";
  if (starts("PK\x03\x04")) return "application/zip";
  if (starts("\x1F\x8B\x08")) return "application/x-gzip";
  if (head.size() >= 12 && starts("RIFF") && std::memcmp(head.data() + 8, "WEBP", 4) == 0) return "image/webp";
  size_t i = 0;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r')) ++i;
  std::string rest = ascii_lower(std::string_view(reinterpret_cast<const char*>(head.data()) + i, head.size() - i));
  for (const char* tag : {"<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table",
                          "<a", "<style", "<title", "<b", "<body", "<br", "<p", "<!--"}) {
    size_t n = std::strlen(tag);
    if (rest.size() > n && rest.compare(0, n, tag) == 0 && (rest[n] == ' ' || rest[n] == '>'))
      return "text/html; charset=utf-8";
  }
  if (rest.rfind("<?xml", 0) == 0) return "text/xml; charset=utf-8";
  for (uint8_t b : head)
    if (b <= 0x08 || b == 0x0B || (b >= 0x0E && b <= 0x1A) || (b >= 0x1C && b <= 0x1F)) return "application/octet-stream";
  return "text/plain; charset=utf-8";
}

// A byte range of a file: [first, last] inclusive.
struct Range {
  uint64_t first, last;
};

// Parses a single-range "bytes=a-b" / "bytes=a-" / "bytes=-n" header for a
// file of `size` bytes. nullopt: serve the whole file (no header, several
// ranges, or a form we do not handle). An unsatisfiable range is an error.
Result<std::optional<Range>> parse_range(const std::string& header, uint64_t size) {
  std::string_view h = header;
  if (h.rfind("bytes=", 0) != 0) return std::optional<Range>();
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::optional<Range>();  // several ranges: the whole file
  auto dash = h.find('-');
  if (dash == std::string_view::npos) return std::optional<Range>();
  auto num = [](std::string_view s, uint64_t& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
  };
  std::string_view a = h.substr(0, dash), b = h.substr(dash + 1);
  uint64_t first, last;
  if (a.empty()) {
    uint64_t n;
    if (!num(b, n)) return std::optional<Range>();
    if (n == 0 || size == 0) return make_error(Code::kResourceExhausted, "unsatisfiable range");
    first = n >= size ? 0 : size - n;
    last = size - 1;
  } else {
    if (!num(a, first)) return std::optional<Range>();
    if (b.empty()) {
      last = size == 0 ? 0 : size - 1;
    } else if (!num(b, last) || last < first) {
      return std::optional<Range>();
    }
    if (first >= size) return make_error(Code::kResourceExhausted, "unsatisfiable range");
    last = std::min(last, size - 1);
  }
  return std::optional<Range>(Range{first, last});
}

// Records the CIDs a resolution reads (the path's blocks, for CARs).
class RecordingSource : public BlockSource {
 public:
  explicit RecordingSource(BlockSource& inner) : inner_(inner) {}
  Result<Bytes> get(const Cid& cid) override {
    Bytes b = TRY(inner_.get(cid));
    read.push_back(cid);
    return b;
  }
  Result<bool> has(const Cid& cid) override { return inner_.has(cid); }
  std::vector<Cid> read;

 private:
  BlockSource& inner_;
};

// What a request asked for.
enum class Format { kDeserialized, kRaw, kCar, kTar, kDagJson, kDagCbor };

Result<Format> requested_format(const http::Request& req) {
  if (auto f = req.param("format")) {
    if (*f == "raw") return Format::kRaw;
    if (*f == "car") return Format::kCar;
    if (*f == "tar") return Format::kTar;
    if (*f == "dag-json" || *f == "json") return Format::kDagJson;
    if (*f == "dag-cbor" || *f == "cbor") return Format::kDagCbor;
    if (f->empty()) return Format::kDeserialized;
    return invalid_argument("unsupported format \"" + *f + "\"");
  }
  if (auto accept = req.header("accept")) {
    // The first type we know, in the order given (q-values are not weighed).
    std::string_view a = *accept;
    size_t start = 0;
    while (start < a.size()) {
      size_t comma = a.find(',', start);
      std::string_view item = a.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      start = comma == std::string_view::npos ? a.size() : comma + 1;
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      std::string type = ascii_lower(item.substr(0, item.find(';')));
      while (!type.empty() && type.back() == ' ') type.pop_back();
      if (type == "application/vnd.ipld.raw") return Format::kRaw;
      if (type == "application/vnd.ipld.car") return Format::kCar;
      if (type == "application/x-tar") return Format::kTar;
      if (type == "application/vnd.ipld.dag-json") return Format::kDagJson;
      if (type == "application/vnd.ipld.dag-cbor") return Format::kDagCbor;
    }
  }
  return Format::kDeserialized;
}

enum class Scope { kAll, kEntity, kBlock };

// Small complete responses, kept in memory. Everything under /ipfs/ is
// content addressed, so a response for a target never changes; blocks were
// verified when first read. Bounded by total bytes, least recently used out.
class ResponseCache {
 public:
  struct Entry {
    int status = 200;
    Headers headers;  // including Etag
    std::string etag;
    bool ranges = false;  // a file: Range requests apply
    std::shared_ptr<const std::string> body;
  };

  explicit ResponseCache(size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<const Entry> get(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  void put(const std::string& key, std::shared_ptr<const Entry> e) {
    const size_t cost = key.size() + e->body->size() + 512;
    if (cost > capacity_ / 8) return;
    std::lock_guard lock(mu_);
    if (map_.count(key) != 0) return;
    lru_.emplace_front(key, std::move(e));
    map_[key] = lru_.begin();
    used_ += cost;
    while (used_ > capacity_ && !lru_.empty()) {
      auto& last = lru_.back();
      used_ -= last.first.size() + last.second->body->size() + 512;
      map_.erase(last.first);
      lru_.pop_back();
    }
  }

 private:
  using Item = std::pair<std::string, std::shared_ptr<const Entry>>;
  std::mutex mu_;
  std::list<Item> lru_;
  std::unordered_map<std::string, std::list<Item>::iterator> map_;
  size_t capacity_, used_ = 0;
};

class Gateway {
 public:
  explicit Gateway(const GatewayContext& ctx) : ctx_(ctx), cache_(8 << 20) {}

  http::Response serve(const http::Request& req) {
    // Range and conditional requests are answered from a cached full response.
    std::string key = req.target;
    key += '\n';
    key += req.header("accept").value_or("");
    if (auto hit = cache_.get(key)) return from_cache(req, *hit);
    auto r = serve_or_error(req);
    if (!r) {
      // only-if-cached asks for what is here: 412 when it is not (Kubo's answer).
      if (r.error().code() == Code::kNotFound && only_if_cached(req)) return plain(412, r.error().message());
      return plain(status_for(r.error()), r.error().message());
    }
    if (r->status == 200 && !r->stream && req.method == "GET" && !req.header("range")) {
      auto e = std::make_shared<Entry>();
      e->headers = r->headers;
      for (const auto& [k, v] : r->headers) {
        if (k == "Etag") e->etag = v;
        if (k == "Accept-Ranges") e->ranges = true;
      }
      if (!e->etag.empty()) {
        e->body = std::make_shared<const std::string>(r->body);
        cache_.put(key, std::move(e));
      }
    }
    return std::move(*r);
  }

 private:
  using Entry = ResponseCache::Entry;

  static http::Response from_cache(const http::Request& req, const Entry& e) {
    http::Response r;
    r.headers = e.headers;
    if (etag_matches(req, e.etag)) {
      r.status = 304;
      return r;
    }
    const std::string& body = *e.body;
    std::optional<Range> range;
    if (auto rh = req.header("range"); rh && e.ranges) {
      auto parsed = parse_range(*rh, body.size());
      if (!parsed) {
        http::Response bad = plain(416, "requested range not satisfiable");
        bad.headers.emplace_back("Content-Range", "bytes */" + std::to_string(body.size()));
        return bad;
      }
      range = *parsed;
    }
    if (range) {
      r.status = 206;
      r.headers.emplace_back("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                                  std::to_string(range->last) + "/" + std::to_string(body.size()));
    }
    const uint64_t first = range ? range->first : 0;
    const uint64_t length = range ? range->last - range->first + 1 : body.size();
    if (req.method == "HEAD") r.head_length = length;
    else r.body = body.substr(first, length);
    return r;
  }

  core::Node& node() { return *ctx_.node; }

  static bool only_if_cached(const http::Request& req) {
    auto cc = req.header("cache-control");
    return cc && cc->find("only-if-cached") != std::string::npos;
  }

  // A request that is another node's fallback (backends/backend.h,
  // kFallbackHeader) or asks only-if-cached is answered from the repository
  // alone, so that fallbacks never loop between nodes. Applies to the
  // trustless responses (raw blocks, CARs), which is what backends read.
  static bool local_only(const http::Request& req) { return req.header("x-ipfs-kit-fallback") || only_if_cached(req); }
  BlockSource& blocks_for(bool local) {
    return local ? static_cast<BlockSource&>(node().repo().blocks()) : node().reader();
  }

  // The request target's path split into raw segments after /ipfs/,
  // each percent-decoded on its own (so %2F stays inside a name).
  static Result<std::vector<std::string>> segments(const http::Request& req, bool& trailing_slash) {
    std::string_view t = req.target;
    t = t.substr(0, t.find('?'));
    t.remove_prefix(std::string_view("/ipfs/").size());
    trailing_slash = !t.empty() && t.back() == '/';
    std::vector<std::string> out;
    size_t start = 0;
    while (start < t.size()) {
      size_t slash = t.find('/', start);
      std::string_view seg = t.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
      start = slash == std::string_view::npos ? t.size() : slash + 1;
      if (seg.empty()) continue;
      auto d = http::percent_decode(seg, false);
      if (!d) return invalid_argument("invalid path: bad percent-encoding");
      if (*d == "." || *d == "..") return invalid_argument("invalid path: \".\" and \"..\" are not allowed");
      out.push_back(std::move(*d));
    }
    return out;
  }

  Result<http::Response> serve_or_error(const http::Request& req) {
    bool trailing_slash = false;
    std::vector<std::string> segs = TRY(segments(req, trailing_slash));
    if (segs.empty()) return invalid_argument("invalid path \"" + req.path + "\": no CID");
    auto root = Cid::parse(segs[0]);
    if (!root) return invalid_argument("invalid path \"" + req.path + "\": invalid CID: " + root.error().message());
    Format format = TRY(requested_format(req));

    // Resolve the path through UnixFS directories, recording the blocks read.
    const bool local = local_only(req);
    RecordingSource rec(blocks_for(local));
    unixfs::Exporter walker(rec);
    Cid cid = *root;
    std::vector<Cid> roots{cid};
    std::string content_path = "/ipfs/" + segs[0];
    for (size_t i = 1; i < segs.size(); ++i) {
      auto entry = walker.lookup(cid, segs[i]);
      if (!entry) return tl::unexpected(entry.error());
      if (!*entry) return not_found("no link named \"" + segs[i] + "\" under " + cid.to_string());
      cid = (*entry)->cid;
      roots.push_back(cid);
      content_path += "/" + segs[i];
    }

    Headers h;
    h.emplace_back("X-Ipfs-Path", http::percent_encode_path(req.path));
    std::string roots_header;
    for (const Cid& c : roots) roots_header += (roots_header.empty() ? "" : ",") + c.to_string();
    h.emplace_back("X-Ipfs-Roots", roots_header);
    h.emplace_back("Cache-Control", kImmutable);
    h.emplace_back("Access-Control-Allow-Origin", "*");
    h.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");

    switch (format) {
      case Format::kRaw: return raw_block(req, cid, local, std::move(h));
      case Format::kCar: return car(req, *root, cid, rec.read, local, std::move(h));
      case Format::kTar: return tar(req, cid, segs.back(), std::move(h));
      case Format::kDagJson:
      case Format::kDagCbor: return codec_block(req, cid, format, local, std::move(h));
      case Format::kDeserialized: break;
    }
    return deserialized(req, cid, segs, trailing_slash, std::move(h));
  }

  static bool etag_matches(const http::Request& req, const std::string& etag) {
    auto inm = req.header("if-none-match");
    if (!inm) return false;
    if (*inm == "*") return true;
    std::string_view v = *inm;
    size_t start = 0;
    while (start < v.size()) {
      size_t comma = v.find(',', start);
      std::string_view item = v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      start = comma == std::string_view::npos ? v.size() : comma + 1;
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.rfind("W/", 0) == 0) item.remove_prefix(2);
      if (item == etag) return true;
    }
    return false;
  }

  static http::Response not_modified(Headers h, const std::string& etag) {
    http::Response r;
    r.status = 304;
    r.headers = std::move(h);
    r.headers.emplace_back("Etag", etag);
    return r;
  }

  Result<http::Response> raw_block(const http::Request& req, const Cid& cid, bool local, Headers h) {
    const std::string etag = "\"" + cid.to_string() + ".raw\"";
    if (etag_matches(req, etag)) return not_modified(std::move(h), etag);
    Bytes data = TRY(node().block_get(cid, local));
    http::Response r;
    r.status = 200;
    r.headers = std::move(h);
    r.headers.emplace_back("Content-Type", "application/vnd.ipld.raw");
    r.headers.emplace_back("Etag", etag);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + cid.to_string() + ".bin\"");
    r.headers.emplace_back("Vary", "Accept");
    r.body.assign(reinterpret_cast<const char*>(data.data()), data.size());
    return r;
  }

  Result<http::Response> codec_block(const http::Request& req, const Cid& cid, Format f, bool local, Headers h) {
    const uint64_t want = f == Format::kDagJson ? multicodec::kDagJson : multicodec::kDagCbor;
    if (cid.codec() != want)
      return make_error(Code::kUnsupported, "converting " + multicodec::codec_name(cid.codec()) + " to " +
                                                multicodec::codec_name(want) + " is not supported");
    const std::string etag = "\"" + cid.to_string() + "." + multicodec::codec_name(want) + "\"";
    if (etag_matches(req, etag)) return not_modified(std::move(h), etag);
    Bytes data = TRY(node().block_get(cid, local));
    http::Response r;
    r.status = 200;
    r.headers = std::move(h);
    r.headers.emplace_back("Content-Type", "application/vnd.ipld." + multicodec::codec_name(want));
    r.headers.emplace_back("Etag", etag);
    r.headers.emplace_back("Vary", "Accept");
    r.body.assign(reinterpret_cast<const char*>(data.data()), data.size());
    return r;
  }

  // entity-bytes=from:to, resolved against a file of `size` bytes; nullopt
  // for the whole entity.
  static Result<std::optional<Range>> entity_bytes(const http::Request& req, uint64_t size, bool& empty) {
    empty = false;
    auto eb = req.param("entity-bytes");
    if (!eb) return std::optional<Range>();
    auto colon = eb->find(':');
    if (colon == std::string::npos) return invalid_argument("invalid entity-bytes \"" + *eb + "\"");
    auto num = [](std::string_view s, int64_t& out) {
      auto r = std::from_chars(s.data(), s.data() + s.size(), out);
      return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
    };
    int64_t from, to;
    std::string_view a = std::string_view(*eb).substr(0, colon), b = std::string_view(*eb).substr(colon + 1);
    if (!num(a, from)) return invalid_argument("invalid entity-bytes \"" + *eb + "\"");
    const int64_t isize = static_cast<int64_t>(size);
    if (b == "*") to = isize - 1;
    else if (!num(b, to)) return invalid_argument("invalid entity-bytes \"" + *eb + "\"");
    if (from < 0) from = std::max<int64_t>(0, isize + from);
    if (to < 0) to = isize + to;
    if (to >= 0 && from > to && b != "*" && std::string_view(b).front() != '-')
      return invalid_argument("invalid entity-bytes \"" + *eb + "\": from is past to");
    to = std::min(to, isize - 1);
    if (from > to || from >= isize) {
      empty = true;
      return std::optional<Range>();
    }
    return std::optional<Range>(Range{static_cast<uint64_t>(from), static_cast<uint64_t>(to)});
  }

  Result<http::Response> car(const http::Request& req, const Cid& root, const Cid& terminal,
                             const std::vector<Cid>& path_blocks, bool local, Headers h) {
    Scope scope = Scope::kAll;
    if (auto s = req.param("dag-scope")) {
      if (*s == "all") scope = Scope::kAll;
      else if (*s == "entity") scope = Scope::kEntity;
      else if (*s == "block") scope = Scope::kBlock;
      else return invalid_argument("invalid dag-scope \"" + *s + "\"");
    }
    if (auto a = req.header("accept"); a && a->find("application/vnd.ipld.car") != std::string::npos) {
      if (a->find("version=2") != std::string::npos) return make_error(Code::kUnsupported, "only CARv1 responses are supported");
    }
    // The terminal's kind decides what "entity" means; it must exist.
    unixfs::Exporter ex(blocks_for(local));
    unixfs::NodeInfo info = TRY(ex.stat(terminal));
    bool empty_range = false;
    std::optional<Range> bytes;
    if (info.kind == unixfs::NodeKind::kFile) bytes = TRY(entity_bytes(req, info.size, empty_range));
    else if (req.param("entity-bytes")) TRY(entity_bytes(req, 0, empty_range));
    std::string etag_scope = req.param("dag-scope").value_or("all") + req.param("entity-bytes").value_or("");
    const std::string etag = "\"" + terminal.to_string() + ".car." + std::to_string(std::hash<std::string>()(etag_scope) & 0xffffffff) + "\"";
    if (etag_matches(req, etag)) return not_modified(std::move(h), etag);
    h.emplace_back("Content-Type", "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    h.emplace_back("Etag", etag);
    h.emplace_back("X-Content-Type-Options", "nosniff");
    h.emplace_back("Content-Disposition", "attachment; filename=\"" + terminal.to_string() + ".car\"");
    h.emplace_back("Vary", "Accept");
    unixfs::NodeKind kind = info.kind;
    http::Response r;
    r.stream = [this, h = std::move(h), root, terminal, path_blocks, scope, bytes, empty_range, kind, local](http::Exchange& x) {
      if (!x.begin(200, h, std::nullopt)) return;
      Status st = write_car(x, blocks_for(local), root, terminal, path_blocks, scope, bytes, empty_range, kind);
      if (!st) return x.abort();
      (void)x.end();
    };
    return r;
  }

  Status write_car(http::Exchange& x, BlockSource& source, const Cid& root, const Cid& terminal,
                   const std::vector<Cid>& path_blocks, Scope scope, std::optional<Range> bytes, bool empty_range,
                   unixfs::NodeKind kind) {
    car::V1Writer w([&](ByteView b) { return x.write(b); });
    TRY_STATUS(w.write_header({root}));
    std::unordered_set<std::string> sent;
    auto send = [&](const Cid& c, ByteView data) -> Status {
      std::string key(as_chars(c.multihash().bytes()));
      if (!sent.insert(key).second) return {};
      return w.write_block(c, data);
    };
    auto send_cid = [&](const Cid& c) -> Status {
      Bytes data = TRY(fetch_block(source, c));
      return send(c, data);
    };
    for (const Cid& c : path_blocks) TRY_STATUS(send_cid(c));
    if (scope == Scope::kBlock || empty_range) return send_cid(terminal);
    if (scope == Scope::kAll && !bytes) return dag::walk(source, terminal, send);
    switch (kind) {
      case unixfs::NodeKind::kFile: return send_file_range(source, terminal, bytes, send);
      case unixfs::NodeKind::kHAMTDirectory: return send_hamt(source, terminal, send);
      default: return send_cid(terminal);
    }
  }

  // The blocks of a file needed for bytes [range] (all of them without one),
  // depth first.
  static Status send_file_range(BlockSource& source, const Cid& file, std::optional<Range> range,
                                const std::function<Status(const Cid&, ByteView)>& send) {
    struct Item {
      Cid cid;
      uint64_t offset;
    };
    std::vector<Item> stack{{file, 0}};
    while (!stack.empty()) {
      Item it = std::move(stack.back());
      stack.pop_back();
      Bytes data = TRY(fetch_block(source, it.cid));
      TRY_STATUS(send(it.cid, data));
      if (it.cid.codec() != multicodec::kDagPb) continue;
      auto pb = dagpb::decode(data);
      if (!pb || !pb->data) return corruption("file block " + it.cid.to_string() + " is not UnixFS");
      auto fs = unixfs::decode(*pb->data);
      if (!fs) return corruption("file block " + it.cid.to_string() + " has invalid UnixFS data");
      if (fs->blocksizes.size() != pb->links.size()) return corruption("file block " + it.cid.to_string() + " has mismatched blocksizes");
      uint64_t pos = it.offset + (fs->data ? fs->data->size() : 0);
      std::vector<Item> children;
      for (size_t i = 0; i < pb->links.size(); ++i) {
        const uint64_t len = fs->blocksizes[i];
        const bool wanted = !range || (pos <= range->last && pos + len > range->first);
        if (wanted) children.push_back({pb->links[i].hash, pos});
        pos += len;
      }
      for (auto c = children.rbegin(); c != children.rend(); ++c) stack.push_back(std::move(*c));
    }
    return {};
  }

  // A HAMT directory's shard blocks, without the entries they point to.
  static Status send_hamt(BlockSource& source, const Cid& dir, const std::function<Status(const Cid&, ByteView)>& send) {
    std::vector<Cid> stack{dir};
    while (!stack.empty()) {
      Cid c = std::move(stack.back());
      stack.pop_back();
      Bytes data = TRY(fetch_block(source, c));
      TRY_STATUS(send(c, data));
      auto pb = dagpb::decode(data);
      if (!pb || !pb->data) return corruption("HAMT block " + c.to_string() + " is not UnixFS");
      auto fs = unixfs::decode(*pb->data);
      if (!fs || fs->type != unixfs::DataType::kHAMTShard || !fs->fanout) return corruption("bad HAMT block " + c.to_string());
      size_t width = 0;
      for (uint64_t f = *fs->fanout - 1; f > 0; f >>= 4) ++width;
      std::vector<Cid> shards;
      for (const auto& l : pb->links)
        if (l.name && l.name->size() == width) shards.push_back(l.hash);
      for (auto s = shards.rbegin(); s != shards.rend(); ++s) stack.push_back(std::move(*s));
    }
    return {};
  }

  Result<http::Response> tar(const http::Request& req, const Cid& cid, const std::string& last_segment, Headers h) {
    const std::string etag = "\"" + cid.to_string() + ".x-tar\"";
    if (etag_matches(req, etag)) return not_modified(std::move(h), etag);
    TRY(node().stat(cid));
    std::string name = last_segment;
    h.emplace_back("Content-Type", "application/x-tar");
    h.emplace_back("Etag", etag);
    h.emplace_back("X-Content-Type-Options", "nosniff");
    h.emplace_back("Content-Disposition", "attachment; filename=\"" + name + ".tar\"");
    http::Response r;
    r.stream = [this, h = std::move(h), cid, name](http::Exchange& x) {
      if (!x.begin(200, h, std::nullopt)) return;
      Status st = node().get_tar(cid.to_string(), name, [&](ByteView b) { return x.write(b); });
      if (!st) return x.abort();
      (void)x.end();
    };
    return r;
  }

  Result<http::Response> deserialized(const http::Request& req, const Cid& cid, const std::vector<std::string>& segs,
                                      bool trailing_slash, Headers h) {
    unixfs::NodeInfo info = TRY(node().stat(cid));
    switch (info.kind) {
      case unixfs::NodeKind::kDirectory:
      case unixfs::NodeKind::kHAMTDirectory: {
        if (!trailing_slash) {
          // A directory is addressed with a trailing slash, so relative links work.
          std::string target = req.target;
          auto q = target.find('?');
          std::string location = target.substr(0, q) + "/" + (q == std::string::npos ? "" : target.substr(q));
          http::Response r = plain(301, "<a href=\"" + html_escape(location) + "\">Moved Permanently</a>.");
          r.headers.emplace_back("Location", location);
          return r;
        }
        auto index = node().lookup(cid, "index.html");
        if (index && *index) {
          unixfs::NodeInfo idx = TRY(node().stat((*index)->cid));
          if (idx.kind == unixfs::NodeKind::kFile) return file(req, (*index)->cid, idx, "index.html", std::move(h));
        }
        return listing(req, cid, segs, std::move(h));
      }
      case unixfs::NodeKind::kFile:
      case unixfs::NodeKind::kSymlink:
        return file(req, cid, info, segs.size() > 1 ? segs.back() : "", std::move(h));
      case unixfs::NodeKind::kOther: {
        // Not UnixFS (dag-cbor, dag-json, ...): the block as it is.
        Bytes data = TRY(node().block_get(cid));
        const std::string etag = "\"" + cid.to_string() + "\"";
        if (etag_matches(req, etag)) return not_modified(std::move(h), etag);
        http::Response r;
        r.headers = std::move(h);
        r.headers.emplace_back("Etag", etag);
        r.headers.emplace_back("Content-Type", cid.codec() == multicodec::kDagJson ? "application/vnd.ipld.dag-json"
                                               : cid.codec() == multicodec::kDagCbor ? "application/vnd.ipld.dag-cbor"
                                                                                     : "application/octet-stream");
        r.body.assign(reinterpret_cast<const char*>(data.data()), data.size());
        return r;
      }
    }
    return internal_error("unreachable");
  }

  Result<http::Response> file(const http::Request& req, const Cid& cid, const unixfs::NodeInfo& info,
                              const std::string& name, Headers h) {
    const std::string etag = "\"" + cid.to_string() + "\"";
    h.emplace_back("Etag", etag);
    h.emplace_back("Accept-Ranges", "bytes");
    if (etag_matches(req, etag)) return not_modified(std::move(h), etag);
    if (info.kind == unixfs::NodeKind::kSymlink) {
      // A symlink is shown as its target, as text.
      std::string target = TRY(node().read_symlink(cid));
      http::Response r;
      r.headers = std::move(h);
      r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      r.body = target;
      return r;
    }
    const uint64_t size = info.size;
    std::string type = type_by_extension(name);
    std::string head;
    if (type.empty() || size <= kInlineLimit) {
      // Small files are read whole now; large ones have their first bytes sniffed.
      const uint64_t want = size <= kInlineLimit ? size : 512;
      head.reserve(want);
      TRY_STATUS(node().cat(cid.to_string(), 0, want, [&](ByteView b) -> Status {
        head.append(reinterpret_cast<const char*>(b.data()), b.size());
        return {};
      }));
      if (type.empty()) type = sniff(as_bytes(std::string_view(head).substr(0, 512)));
    }
    h.emplace_back("Content-Type", type);
    if (auto fn = req.param("filename")) {
      const bool download = req.param("download").value_or("") == "true";
      std::string safe;
      for (char c : *fn) safe += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
      h.emplace_back("Content-Disposition", std::string(download ? "attachment" : "inline") + "; filename=\"" + safe + "\"");
    }

    std::optional<Range> range;
    if (auto rh = req.header("range")) {
      auto parsed = parse_range(*rh, size);
      if (!parsed) {
        http::Response r = plain(416, "requested range not satisfiable");
        r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
        return r;
      }
      range = *parsed;
    }
    const uint64_t first = range ? range->first : 0;
    const uint64_t length = range ? range->last - range->first + 1 : size;
    const int status = range ? 206 : 200;
    if (range)
      h.emplace_back("Content-Range", "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" +
                                          std::to_string(size));
    if (size <= kInlineLimit || req.method == "HEAD") {
      http::Response r;
      r.status = status;
      r.headers = std::move(h);
      if (req.method == "HEAD") r.head_length = length;
      else r.body = head.substr(first, length);
      return r;
    }
    http::Response r;
    r.stream = [this, h = std::move(h), cid, first, length, status](http::Exchange& x) {
      if (!x.begin(status, h, length)) return;
      // Every piece was hash-checked as it was read; where its bytes lie in
      // a pack, they go out from there (the same bytes: see PackStore).
      Status st = node().cat_pieces(cid, first, length, [&](const unixfs::ContentPiece& p) {
        return p.file != nullptr ? x.write_from_file(p.bytes, p.file->get(), p.file_offset) : x.write(p.bytes);
      });
      if (!st) return x.abort();
      (void)x.end();
    };
    return r;
  }

  // A directory as an HTML page in the dashboard's theme: breadcrumbs, a
  // parent link, names, human-readable sizes and CIDs. Names come from the
  // DAG and are untrusted: every one is HTML-escaped, and percent-encoded
  // (a '/' included) where it becomes part of a link.
  Result<http::Response> listing(const http::Request& req, const Cid& cid, const std::vector<std::string>& segs,
                                 Headers h) {
    const std::string etag = "\"DirIndex-ipfskit2_CID-" + cid.to_string() + "\"";
    if (etag_matches(req, etag)) return not_modified(std::move(h), etag);
    auto segment_href = [](const std::string& seg) {
      std::string href = http::percent_encode_path(seg);
      std::string::size_type at;
      while ((at = href.find('/')) != std::string::npos) href.replace(at, 1, "%2F");
      return href;
    };
    std::string shown = "/ipfs";
    for (const auto& seg : segs) shown += "/" + seg;
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<link rel=\"icon\" href=\"data:,\"><title>" + html_escape(shown) +
        "/</title>\n<style>" + listing_css() + "</style></head>\n<body><main class=\"listing\">\n"
        "<nav aria-label=\"Breadcrumb\"><ol class=\"crumbs\"><li>ipfs</li>";
    std::string href = "/ipfs";
    for (size_t i = 0; i < segs.size(); ++i) {
      href += "/" + segment_href(segs[i]);
      const std::string label = i == 0 && segs[i].size() > 20 ? segs[i].substr(0, 10) + "\xe2\x80\xa6" + segs[i].substr(segs[i].size() - 8) : segs[i];
      if (i + 1 == segs.size()) html += "<li aria-current=\"page\" title=\"" + html_escape(segs[i]) + "\">" + html_escape(label) + "</li>";
      else html += "<li><a href=\"" + html_escape(href) + "/\" title=\"" + html_escape(segs[i]) + "\">" + html_escape(label) + "</a></li>";
    }
    html += "</ol></nav>\n<h1>Index of " + html_escape(segs.size() > 1 ? segs.back() : std::string("/")) + "</h1>\n"
            "<p class=\"muted\">Directory <a class=\"cid\" href=\"/ipfs/" + cid.to_string() + "/\">" + cid.to_string() +
            "</a></p>\n<table>\n<thead><tr><th scope=\"col\">Name</th><th scope=\"col\" class=\"num\">Size</th>"
            "<th scope=\"col\">CID</th></tr></thead>\n<tbody>\n";
    if (segs.size() > 1) html += "<tr><td><a href=\"../\" rel=\"up\">..</a> <span class=\"muted\">(parent)</span></td><td></td><td></td></tr>\n";
    size_t entries = 0;
    uint64_t total = 0;
    TRY_STATUS(node().ls(cid, [&](const unixfs::DirEntry& e) -> Status {
      ++entries;
      total += e.tsize;
      html += "<tr><td><a href=\"./" + html_escape(segment_href(e.name)) + "\">" + html_escape(e.name) +
              "</a></td><td class=\"num\" title=\"" + std::to_string(e.tsize) + " bytes\">" + human_size(e.tsize) +
              "</td><td><a class=\"cid\" href=\"/ipfs/" + e.cid.to_string() + "\">" + e.cid.to_string() + "</a></td></tr>\n";
      return {};
    }));
    html += "</tbody>\n</table>\n<p class=\"muted\">" + std::to_string(entries) + (entries == 1 ? " entry, " : " entries, ") +
            human_size(total) + " in all (sizes include the DAG's own blocks)</p>\n</main></body></html>\n";
    http::Response r;
    r.headers = std::move(h);
    // Generated HTML may change with the template: revalidate rather than immutable.
    for (auto& [k, v] : r.headers)
      if (k == "Cache-Control") v = "public, max-age=604800";
    r.headers.emplace_back("Etag", etag);
    r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.body = std::move(html);
    return r;
  }

  const GatewayContext& ctx_;
  ResponseCache cache_;
};

}  // namespace

void register_routes(http::Server& server, const GatewayContext& ctx) {
  auto gw = std::make_shared<Gateway>(ctx);
  for (const char* method : {"GET", "HEAD"}) {
    http::Route r;
    r.method = method;
    r.path = "/ipfs/";
    r.prefix = true;
    r.max_body_bytes = 0;
    r.inline_handler = [gw](const http::Request& req) { return gw->serve(req); };
    server.add_route(std::move(r));
  }
  http::Route options;
  options.method = "OPTIONS";
  options.path = "/ipfs/";
  options.prefix = true;
  options.inline_handler = [](const http::Request&) {
    http::Response r;
    r.status = 204;
    r.headers = {{"Access-Control-Allow-Origin", "*"},
                 {"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, Range, User-Agent, X-Requested-With"},
                 {"Access-Control-Max-Age", "86400"}};
    return r;
  };
  server.add_route(std::move(options));
  http::Route ipns;
  ipns.path = "/ipns/";
  ipns.prefix = true;
  ipns.inline_handler = [](const http::Request&) { return plain(501, "IPNS is not supported by ipfs-kit"); };
  server.add_route(std::move(ipns));
}

}  // namespace ipfskit::gateway
