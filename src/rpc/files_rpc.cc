// Kubo's /api/v0/files/* (core/commands/files.go) over mfs::Mfs: Kubo's
// argument order, option names and JSON shapes. Kubo's option aliases are
// accepted ("l" for "long", "p" for "parents", ...) and so are the camelCase
// names kubo-rpc-client sends as given ("cidVersion", "rawLeaves"; Kubo
// ignores those, we honour them).
#include "rpc/files_rpc.h"

#include <ctime>

#include "http/multipart.h"
#include "mfs/mfs.h"
#include "rpc/call.h"

namespace ipfskit::rpc {

namespace {

using json = nlohmann::json;

// The first of several option names that is present.
std::optional<std::string> str_any(Call& c, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (auto v = c.str(n)) return v;
  return std::nullopt;
}

Result<bool> flag_any(Call& c, std::initializer_list<std::string_view> names, bool def) {
  for (auto n : names)
    if (c.str(n)) return c.flag(n, def);
  return def;
}

Result<std::optional<int64_t>> int_any(Call& c, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (c.str(n)) return c.integer(n);
  return std::optional<int64_t>();
}

Result<mfs::CidPrefix> prefix_of(Call& c) {
  mfs::CidPrefix p;
  auto v = TRY(int_any(c, {"cid-version", "cid-ver", "cidVersion"}));
  if (v) p.cid_version = static_cast<int>(*v);
  p.hash = str_any(c, {"hash", "hashAlg"});
  return p;
}

// Kubo's statOutput; Mode as "%04o", Mtime fields only when set.
json stat_json(const mfs::Stat& s) {
  json j = {{"Hash", s.cid.to_string()},
            {"Size", s.size},
            {"CumulativeSize", s.cumulative_size},
            {"Blocks", s.blocks},
            {"Type", s.type}};
  uint32_t mode = s.mode.value_or(0);
  if (!s.mode && s.kind == unixfs::NodeKind::kSymlink) mode = 0777;
  if (mode != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode);
    j["Mode"] = buf;
  }
  if (s.mtime && s.mtime->seconds > 0) {
    j["Mtime"] = s.mtime->seconds;
    if (s.mtime->nanos && *s.mtime->nanos > 0) j["MtimeNsecs"] = *s.mtime->nanos;
  }
  return j;
}

Status cmd_files_stat(Call& c) {
  std::string path = TRY(c.arg(0, "path"));
  bool hash = TRY(c.flag("hash", false)), size = TRY(c.flag("size", false));
  bool format = c.str("format").has_value();
  if ((hash && size) || (hash && format) || (size && format))
    return invalid_argument("invalid parameters: format was set by multiple options. Only one format option is allowed");
  mfs::Mfs m(c.node());
  mfs::Stat s = TRY(m.stat(path));
  json j = stat_json(s);
  if (TRY(c.flag("with-local", false))) {
    // Everything reachable is checked for presence (Kubo's walkBlock).
    auto local = c.node().dag_stat(s.cid);
    j["WithLocality"] = true;
    j["Local"] = local.has_value();
    j["SizeLocal"] = local ? local->size : 0;
  }
  return c.reply.json_value(j);
}

Status cmd_files_ls(Call& c) {
  auto args = c.args();
  std::string path = args.empty() ? "/" : args[0];
  bool long_ = TRY(flag_any(c, {"long", "l"}, false));
  mfs::Mfs m(c.node());
  json entries = json::array();
  TRY_STATUS(m.ls(path, long_, [&](const mfs::Listing& l) -> Status {
    entries.push_back({{"Name", l.name}, {"Type", l.type}, {"Size", l.size}, {"Hash", long_ ? l.cid.to_string() : ""}});
    return {};
  }));
  return c.reply.json_value({{"Entries", entries.empty() ? json(nullptr) : entries}});
}

Status cmd_files_read(Call& c) {
  std::string path = TRY(c.arg(0, "path"));
  auto offset = TRY(int_any(c, {"offset", "o"}));
  auto count = TRY(int_any(c, {"count", "n", "length"}));
  if (offset && *offset < 0) return invalid_argument("cannot specify negative offset");
  if (count && *count < 0) return invalid_argument("cannot specify negative 'count'");
  mfs::Mfs m(c.node());
  mfs::Stat s = TRY(m.stat(path));
  if (s.kind != unixfs::NodeKind::kFile) return invalid_argument(path + " was not a file");
  uint64_t off = offset ? static_cast<uint64_t>(*offset) : 0;
  if (off > s.size)
    return invalid_argument("offset was past end of file (" + std::to_string(off) + " > " + std::to_string(s.size) + ")");
  uint64_t n = s.size - off;
  if (count) n = std::min<uint64_t>(n, static_cast<uint64_t>(*count));
  TRY_STATUS(c.reply.begin_bytes("text/plain", n));
  if (n == 0) return {};
  return m.read("/ipfs/" + s.cid.to_string(), off, n, [&](ByteView b) { return c.reply.bytes(b); });
}

Status cmd_files_write(Call& c) {
  std::string path = TRY(c.arg(0, "path"));
  mfs::WriteOptions o;
  auto offset = TRY(int_any(c, {"offset", "o"}));
  auto count = TRY(int_any(c, {"count", "n", "length"}));
  if (offset && *offset < 0) return invalid_argument("cannot have negative write offset");
  if (count && *count < 0) return invalid_argument("cannot have negative byte count");
  o.offset = offset ? static_cast<uint64_t>(*offset) : 0;
  if (count) o.count = static_cast<uint64_t>(*count);
  o.create = TRY(flag_any(c, {"create", "e"}, false));
  o.parents = TRY(flag_any(c, {"parents", "p"}, false));
  o.truncate = TRY(flag_any(c, {"truncate", "t"}, false));
  for (auto n : {"raw-leaves", "rawLeaves"})
    if (c.str(n)) o.raw_leaves = TRY(c.flag(n, false));
  o.prefix = TRY(prefix_of(c));
  auto type = c.request().header("content-type");
  if (!type) return invalid_argument("file argument 'data' is required");
  std::string boundary = TRY(http::multipart_boundary(*type));
  http::MultipartReader reader(c.body(), boundary);
  auto part = TRY(reader.next());
  if (!part) return invalid_argument("file argument 'data' is required");
  mfs::Mfs m(c.node());
  return m.write(path, reader.content(), o);
}

Status cmd_files_mkdir(Call& c) {
  std::string path = TRY(c.arg(0, "path"));
  mfs::MkdirOptions o;
  o.parents = TRY(flag_any(c, {"parents", "p"}, false));
  o.prefix = TRY(prefix_of(c));
  mfs::Mfs m(c.node());
  return m.mkdir(path, o);
}

Status cmd_files_cp(Call& c) {
  auto args = c.args();
  if (args.size() < 2) return invalid_argument("argument \"dest\" is required");
  if (args.size() > 2) return invalid_argument("expected 2 arguments (source, dest), got " + std::to_string(args.size()));
  bool force = TRY(c.flag("force", false));
  bool parents = TRY(flag_any(c, {"parents", "p"}, false));
  mfs::Mfs m(c.node());
  return m.cp(args[0], args[1], force, parents);
}

Status cmd_files_mv(Call& c) {
  auto args = c.args();
  if (args.size() < 2) return invalid_argument("argument \"dest\" is required");
  mfs::Mfs m(c.node());
  // kubo-rpc-client sends several sources then the destination.
  for (size_t i = 0; i + 1 < args.size(); ++i) TRY_STATUS(m.mv(args[i], args.back()));
  return {};
}

Status cmd_files_rm(Call& c) {
  auto args = c.args();
  if (args.empty()) return invalid_argument("argument \"path\" is required");
  bool recursive = TRY(flag_any(c, {"recursive", "r"}, false));
  bool force = TRY(c.flag("force", false));
  mfs::Mfs m(c.node());
  for (const auto& p : args) TRY_STATUS(m.rm(p, recursive, force));
  return {};
}

Status cmd_files_flush(Call& c) {
  auto args = c.args();
  mfs::Mfs m(c.node());
  Cid cid = TRY(m.flush(args.empty() ? "/" : args[0]));
  return c.reply.json_value({{"Cid", cid.to_string()}});
}

Status cmd_files_chcid(Call& c) {
  auto args = c.args();
  mfs::Mfs m(c.node());
  return m.chcid(args.empty() ? "/" : args[0], TRY(prefix_of(c)));
}

Status cmd_files_touch(Call& c) {
  std::string path = TRY(c.arg(0, "path"));
  auto secs = TRY(c.integer("mtime"));
  auto nsecs = TRY(int_any(c, {"mtime-nsecs", "mtimeNsecs"}));
  if (nsecs && (*nsecs < 0 || *nsecs > 999999999)) return invalid_argument("mtime-nsecs must be in [0, 999999999]");
  mfs::Mfs m(c.node());
  int64_t s = secs ? *secs : static_cast<int64_t>(std::time(nullptr));
  return m.touch(path, s, nsecs ? std::optional<uint32_t>(static_cast<uint32_t>(*nsecs)) : std::nullopt);
}

Status cmd_files_chmod(Call& c) {
  std::string mode_text = TRY(c.arg(0, "mode"));
  std::string path = TRY(c.arg(1, "path"));
  uint32_t mode = TRY(mfs::parse_mode(mode_text));
  mfs::Mfs m(c.node());
  return m.chmod(path, mode);
}

}  // namespace

void add_files_routes(std::vector<std::pair<const char*, std::function<Status(Call&)>>>& out) {
  out.emplace_back("files/stat", cmd_files_stat);
  out.emplace_back("files/ls", cmd_files_ls);
  out.emplace_back("files/read", cmd_files_read);
  out.emplace_back("files/write", cmd_files_write);
  out.emplace_back("files/mkdir", cmd_files_mkdir);
  out.emplace_back("files/cp", cmd_files_cp);
  out.emplace_back("files/mv", cmd_files_mv);
  out.emplace_back("files/rm", cmd_files_rm);
  out.emplace_back("files/flush", cmd_files_flush);
  out.emplace_back("files/chcid", cmd_files_chcid);
  out.emplace_back("files/touch", cmd_files_touch);
  out.emplace_back("files/chmod", cmd_files_chmod);
}

}  // namespace ipfskit::rpc
