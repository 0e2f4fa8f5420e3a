#include "mcp/tools.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

#include "base/io.h"
#include "mcp/json_schema.h"
#include "mcp/jsonrpc.h"
#include "mcp/tools_util.h"
#include "multiformats/cid_format.h"
#include "multiformats/multibase.h"
#include "multiformats/multicodec.h"
#include "multiformats/multihash.h"

namespace ipfskit::mcp {

namespace s = schema;

namespace {

// ---- results ----

json item_results_schema(const char* verb) {
  json item = s::object({{"cid", s::string("the CID as given")},
                         {"ok", s::boolean(std::string("whether it was ") + verb, true)},
                         {"error", s::string("why it was not (when ok is false)")}},
                        {"cid", "ok"});
  return s::object({{"results", s::array(item, "one per CID, in order")},
                    {"succeeded", s::integer("how many succeeded", 0, INT64_MAX)},
                    {"failed", s::integer("how many failed", 0, INT64_MAX)}},
                   {"results", "succeeded", "failed"});
}

// Runs a batch call whose items report through ItemFn; one failing item does
// not stop the others.
template <typename Call>
Result<json> item_batch(const std::vector<Cid>& cids, ToolEnv& env, Call&& call) {
  json results = json::array();
  uint64_t ok = 0, failed = 0;
  const double total = static_cast<double>(cids.size());
  TRY_STATUS(call([&](const Cid& cid, const Status& st) {
    json r{{"cid", cid.to_string()}, {"ok", static_cast<bool>(st)}};
    if (st) ++ok;
    else {
      ++failed;
      r["error"] = st.error().message();
    }
    results.push_back(std::move(r));
    if (env.progress) env.progress(static_cast<double>(ok + failed), total, cid.to_string());
  }));
  return json{{"results", std::move(results)}, {"succeeded", ok}, {"failed", failed}};
}

json pin_entry_json(const core::PinEntry& e, bool meta) {
  json j{{"cid", e.cid.to_string()}, {"type", e.type}};
  if (e.info) {
    if (e.info->name) j["name"] = *e.info->name;
    j["created"] = e.info->created;
    if (meta) j["metadata"] = e.info->meta;
  }
  return j;
}

// Counts bytes read (for progress) and checks for cancellation.
class ObservedReader : public ByteReader {
 public:
  ObservedReader(ByteReader& in, ToolEnv& env, std::optional<double> total) : in_(in), env_(env), total_(total) {}
  Result<size_t> read(uint8_t* buf, size_t n) override {
    TRY_STATUS(check_cancel(env_.cancel, "import"));
    size_t got = TRY(in_.read(buf, n));
    read_ += got;
    if (env_.progress && (read_ - reported_ >= (1u << 20) || got == 0)) {
      reported_ = read_;
      env_.progress(static_cast<double>(read_), total_, "bytes read");
    }
    return got;
  }

 private:
  ByteReader& in_;
  ToolEnv& env_;
  std::optional<double> total_;
  uint64_t read_ = 0, reported_ = 0;
};

// cid_format and cid_base32: each CID formatted or failed on its own.
json format_cids(const CidFormatter& f, const json& cids) {
  json results = json::array();
  for (const auto& c : cids) {
    auto r = f.format(c.get<std::string>());
    json j{{"cid", c}};
    if (r) j["formatted"] = *r;
    else j["error"] = r.error().message();
    results.push_back(std::move(j));
  }
  return json{{"results", std::move(results)}};
}

// ---- the table ----

std::vector<Tool> build_table() {
  std::vector<Tool> t;
  auto add = [&](Tool tool) { t.push_back(std::move(tool)); };
  const json path_in = s::string("a CID, CID/path or /ipfs/CID/path");
  const json cid_in = s::string("a CID");
  const json cids_in = s::array(s::string("a CID"), "the CIDs", 1, 1000);
  const json empty_in = s::object(json::object());

  // ---- content ----
  add({"add", "Add content",
       "Import content into the repository (Kubo's `ipfs add`: the same CIDs for the same bytes and options) and pin "
       "its root. Give either `content` (text or base64) or `path` (a file or directory on the server under "
       "mcp.allowed_roots). Reports progress in bytes read.",
       [] {
         json in = s::object(
             {{"content", s::string("the bytes to add, encoded as `encoding` says")},
              {"encoding", s::enumeration("how `content` is encoded", {"text", "base64"}, "text")},
              {"name", s::string("a file name for `content`; with wrap the result is a directory holding it")},
              {"path", s::string("an absolute server-side path under mcp.allowed_roots (file or directory)")},
              {"cid_version", s::integer("CID version (default: the import profile's)", 0, 1)},
              {"raw_leaves", s::boolean("raw leaf blocks (default: the profile's)", false)},
              {"chunker", s::string("size-N, rabin-MIN-AVG-MAX or buzhash (default size-262144)")},
              {"hash", s::string("hash function, e.g. sha2-256, blake2b-256")},
              {"trickle", s::boolean("trickle layout instead of balanced", false)},
              {"profile", s::enumeration("IPIP-499 import profile", {"unixfs-v0-2015", "unixfs-v1-2025", "legacy-cid-v0"})},
              {"wrap", s::boolean("wrap the input in a directory", false)},
              {"only_hash", s::boolean("compute the CIDs only; store nothing", false)},
              {"pin", s::boolean("pin the root recursively", true)},
              {"pin_name", s::string("a name for the pin")},
              {"pin_meta", s::string_map("metadata for the pin")}});
         in["oneOf"] = json::array({{{"required", {"content"}}}, {{"required", {"path"}}}});
         return in;
       }(),
       s::object({{"cid", s::string("the root CID")},
                  {"entries", s::array(s::object({{"name", s::string("path within the input (\"\" for a lone input)")},
                                                   {"cid", s::string("its CID")},
                                                   {"size", s::integer("cumulative DAG size", 0, INT64_MAX)}},
                                                  {"name", "cid", "size"}),
                                       "every imported entry, in Kubo's order (at most 1000)")},
                  {"pinned", s::boolean("whether the root was pinned", true)}},
                 {"cid", "entries", "pinned"}),
       false, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         api::AddRequest req;
         core::AddParams& p = req.params;
         if (auto v = opt_int(a, "cid_version")) p.cid_version = static_cast<int>(*v);
         if (a.contains("raw_leaves")) p.raw_leaves = a["raw_leaves"].get<bool>();
         if (auto v = opt_string(a, "chunker")) p.chunker = *v;
         if (auto v = opt_string(a, "hash")) p.hash = *v;
         if (a.contains("trickle")) p.trickle = a["trickle"].get<bool>();
         if (auto v = opt_string(a, "profile")) p.profile = *v;
         p.wrap = arg_bool(a, "wrap", false);
         req.only_hash = arg_bool(a, "only_hash", false);
         req.pin = arg_bool(a, "pin", true) && !req.only_hash;
         req.pin_name = opt_string(a, "pin_name");
         if (a.contains("pin_meta")) req.pin_meta = a["pin_meta"].get<std::map<std::string, std::string>>();
         req.cancel = env.cancel;
         json entries = json::array();
         req.on_added = [&](const unixfs::AddedEntry& e) {
           if (entries.size() < 1000) entries.push_back({{"name", e.name}, {"cid", e.cid.to_string()}, {"size", e.size}});
         };
         Bytes data;
         std::optional<MemoryReader> mem;
         std::optional<double> total;
         if (a.contains("content")) {
           data = TRY(content_arg(a, "content", *env.policy));
           mem.emplace(ByteView(data));
           req.stream = &*mem;
           req.stream_name = arg_string(a, "name");
           total = static_cast<double>(data.size());
         } else {
           std::string path = TRY(allowed_path(*env.policy, a["path"].get<std::string>(), PathUse::kRead));
           struct stat st;
           if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) p.recursive = true;
           else if (::stat(path.c_str(), &st) == 0) total = static_cast<double>(st.st_size);
           req.paths = {path};
         }
         // The importer reports the bytes each read returned, from its workers.
         std::atomic<uint64_t> bytes_read{0};
         req.progress = [&env, &bytes_read, total](uint64_t bytes) {
           const uint64_t so_far = bytes_read += bytes;
           if (env.progress) env.progress(static_cast<double>(so_far), total, "bytes read");
         };
         Cid root = TRY(env.client->add(req));
         return json{{"cid", root.to_string()}, {"entries", std::move(entries)}, {"pinned", req.pin}};
       }});

  add({"cat", "Read a file",
       "Read a file's bytes (Kubo's `ipfs cat`), as text when they are UTF-8 or as base64. At most "
       "mcp's content limit per call: read large files in pieces with offset and length (eof says when done).",
       ranged_read_input(path_in), ranged_read_output(),
       true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = a["path"].get<std::string>();
         unixfs::NodeInfo info = TRY(env.client->stat(path));
         if (info.kind == unixfs::NodeKind::kDirectory || info.kind == unixfs::NodeKind::kHAMTDirectory)
           return invalid_argument(path + " is a directory: list it with the ls tool");
         return read_range(a, env, info.cid, info.size, "cat", [&](uint64_t off, uint64_t len, const auto& sink) {
           return env.client->cat(path, off, len, sink);
         });
       }});

  add({"ls", "List a directory", "List a directory's entries (Kubo's `ipfs ls`), a page at a time.",
       s::object(with({{"path", path_in}}, page_props()), {"path"}),
       s::object({{"entries", s::array(s::object({{"name", s::string("entry name")},
                                                   {"cid", s::string("entry CID")},
                                                   {"size", s::integer("cumulative DAG size", 0, INT64_MAX)}},
                                                  {"name", "cid", "size"}),
                                       "this page's entries")},
                  {"nextCursor", next_cursor_prop()}},
                 {"entries"}),
       true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         Pager pager(TRY(page_of(a, "ls", *env.policy)));
         json entries = json::array();
         TRY_STATUS(pager.finish(env.client->ls(a["path"].get<std::string>(), [&](const unixfs::DirEntry& e) -> Status {
           TRY_STATUS(check_cancel(env.cancel, "ls"));
           return pager.take([&] { entries.push_back({{"name", e.name}, {"cid", e.cid.to_string()}, {"size", e.tsize}}); });
         })));
         json out{{"entries", std::move(entries)}};
         pager.annotate(out, "ls");
         return out;
       }});

  const json node_info_schema =
      s::object({{"cid", s::string("the CID")},
                 {"type", s::enumeration("node kind", {"file", "directory", "hamt-sharded-directory", "symlink", "other"})},
                 {"size", s::integer("file bytes (or symlink target length)", 0, INT64_MAX)},
                 {"block_size", s::integer("bytes of the root block", 0, INT64_MAX)},
                 {"cumulative_size", s::integer("the block plus its links' sizes", 0, INT64_MAX)},
                 {"links", s::integer("number of links", 0, INT64_MAX)},
                 {"mode", s::integer("UnixFS mode bits", 0, 4294967295)},
                 {"mtime", s::integer("UnixFS modification time (unix seconds)", INT64_MIN, INT64_MAX)}},
                {"cid", "type", "size", "block_size", "cumulative_size", "links"});
  add({"stat", "Describe a file or directory", "Kind, size and links of the node a path names (`ipfs files stat`).",
       s::object({{"path", path_in}}, {"path"}), node_info_schema, true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         return node_info_json(TRY(env.client->stat(a["path"].get<std::string>())));
       }});

  add({"resolve", "Resolve a path", "The CID a path names (`ipfs resolve`).", s::object({{"path", path_in}}, {"path"}),
       s::object({{"cid", s::string("the CID the path names")}}, {"cid"}), true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         Cid cid = TRY(env.client->resolve(a["path"].get<std::string>()));
         return json{{"cid", cid.to_string()}};
       }});

  add({"get", "Write content to the server's disk",
       "Write the file, directory or symlink a path names to a new server-side path under mcp.allowed_roots "
       "(`ipfs get -o`). Untrusted names in the DAG are refused; nothing is written outside the output.",
       s::object({{"path", path_in}, {"output", s::string("a new absolute path under mcp.allowed_roots")}},
                 {"path", "output"}),
       s::object({{"cid", s::string("what was written")}, {"output", s::string("where")}}, {"cid", "output"}), false, false,
       false, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string out = TRY(allowed_path(*env.policy, a["output"].get<std::string>(), PathUse::kCreate));
         Cid cid = TRY(env.client->resolve(a["path"].get<std::string>()));
         std::atomic<uint64_t> written{0};
         TRY_STATUS(env.client->get(a["path"].get<std::string>(), out, [&env, &written](uint64_t bytes) {
           const uint64_t so_far = written += bytes;
           if (env.progress) env.progress(static_cast<double>(so_far), std::nullopt, "bytes written");
         }));
         return json{{"cid", cid.to_string()}, {"output", out}};
       }});

  const json refs_out =
      s::object({{"refs", s::array(s::string("a CID"), "this page's CIDs")}, {"nextCursor", next_cursor_prop()}}, {"refs"});
  add({"refs", "List links", "The CIDs a node links to (`ipfs refs`), a page at a time.",
       s::object(with({{"path", path_in},
                       {"recursive", s::boolean("all descendants, not only direct links", false)},
                       {"unique", s::boolean("each CID once", false)}},
                      page_props()),
                 {"path"}),
       refs_out, true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         Pager pager(TRY(page_of(a, "refs", *env.policy)));
         json refs = json::array();
         TRY_STATUS(pager.finish(env.client->refs(a["path"].get<std::string>(), arg_bool(a, "recursive", false),
                                                  arg_bool(a, "unique", false), [&](const Cid& c) -> Status {
                                                    TRY_STATUS(check_cancel(env.cancel, "refs"));
                                                    return pager.take([&] { refs.push_back(c.to_string()); });
                                                  })));
         json out{{"refs", std::move(refs)}};
         pager.annotate(out, "refs");
         return out;
       }});

  add({"refs_local", "List local blocks", "Every block in the repository (`ipfs refs local`), a page at a time.",
       s::object(page_props()), refs_out, true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         Pager pager(TRY(page_of(a, "refs_local", *env.policy)));
         json refs = json::array();
         TRY_STATUS(pager.finish(env.client->refs_local([&](const Cid& c) -> Status {
           TRY_STATUS(check_cancel(env.cancel, "refs local"));
           return pager.take([&] { refs.push_back(c.to_string()); });
         })));
         json out{{"refs", std::move(refs)}};
         pager.annotate(out, "refs_local");
         return out;
       }});

  // ---- blocks and DAGs ----
  add({"block_get", "Read a block", "A raw block's bytes (`ipfs block get`), base64 unless asked otherwise.",
       s::object({{"cid", cid_in},
                  {"encoding", s::enumeration("how to return the bytes", {"auto", "text", "base64"}, "base64")}},
                 {"cid"}),
       s::object({{"cid", s::string("the block's CID")},
                  {"size", s::integer("bytes", 0, INT64_MAX)},
                  {"encoding", s::enumeration("how `data` is encoded", {"text", "base64"})},
                  {"data", s::string("the bytes")}},
                 {"cid", "size", "encoding", "data"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         Cid cid = TRY(parse_cid(a["cid"].get<std::string>()));
         Bytes b = TRY(env.client->block_get(cid));
         if (b.size() > env.policy->max_content_bytes)
           return make_error(Code::kResourceExhausted, "the block is larger than the content limit");
         EncodedContent c = TRY(encode_content(b, arg_string(a, "encoding", "base64")));
         return json{{"cid", cid.to_string()}, {"size", b.size()}, {"encoding", c.encoding}, {"data", std::move(c.content)}};
       }});

  const json block_stat_out =
      s::object({{"cid", s::string("the block's CID")}, {"size", s::integer("bytes", 0, INT64_MAX)}}, {"cid", "size"});
  add({"block_put", "Store a block",
       "Store one raw block (`ipfs block put`); returns its CID. dag-pb and dag-cbor blocks must decode.",
       s::object({{"data", s::string("the block's bytes, encoded as `encoding` says")},
                  {"encoding", s::enumeration("how `data` is encoded", {"text", "base64"}, "base64")},
                  {"codec", s::string("multicodec of the block, e.g. raw, dag-pb, dag-cbor, dag-json (default raw)")},
                  {"mhtype", s::string("hash function (default sha2-256)")},
                  {"cid_version", s::integer("CID version (default 1)", 0, 1)},
                  {"pin", s::boolean("pin the block directly", false)}},
                 {"data"}),
       block_stat_out, false, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         json args = a;
         if (!args.contains("encoding")) args["encoding"] = "base64";
         Bytes data = TRY(content_arg(args, "data", *env.policy));
         api::BlockPutRequest req;
         const std::string codec = arg_string(a, "codec", "raw");
         auto code = multicodec::codec_by_name(codec);
         if (!code) return invalid_argument("unknown codec \"" + codec + "\" (see the cid_codecs tool)");
         req.codec = *code;
         const std::string mh = arg_string(a, "mhtype", "sha2-256");
         auto h = multihash::by_name(mh);
         if (!h || !h->implemented) return invalid_argument("unsupported hash function \"" + mh + "\" (see cid_hashes)");
         req.hash = h->code;
         req.cid_version = static_cast<int>(opt_int(a, "cid_version").value_or(1));
         req.pin = arg_bool(a, "pin", false);
         core::BlockStat st = TRY(env.client->block_put(data, req));
         return json{{"cid", st.cid.to_string()}, {"size", st.size}};
       }});

  add({"block_stat", "Describe a block", "A block's CID and size (`ipfs block stat`).", s::object({{"cid", cid_in}}, {"cid"}),
       block_stat_out, true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         core::BlockStat st = TRY(env.client->block_stat(TRY(parse_cid(a["cid"].get<std::string>()))));
         return json{{"cid", st.cid.to_string()}, {"size", st.size}};
       }});

  add({"block_rm", "Remove blocks",
       "Delete blocks from the repository (`ipfs block rm`). Pinned blocks are refused; each CID succeeds or fails on "
       "its own.",
       s::object({{"cids", cids_in}}, {"cids"}), item_results_schema("removed"), false, true, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         auto cids = TRY(parse_cids(a, "cids"));
         return item_batch(cids, env, [&](const api::ItemFn& fn) { return env.client->block_rm(cids, fn); });
       }});

  add({"dag_export", "Export a DAG as CAR",
       "A DAG as a CARv1 (`ipfs dag export`): returned as base64 when it fits the content limit, or written to a new "
       "server-side `output` path under mcp.allowed_roots.",
       s::object({{"cid", s::string("the DAG's root CID")}, {"output", s::string("a new absolute path under mcp.allowed_roots")}},
                 {"cid"}),
       s::object({{"cid", s::string("the root")},
                  {"bytes", s::integer("CAR size", 0, INT64_MAX)},
                  {"output", s::string("where it was written (with output)")},
                  {"encoding", s::enumeration("how `data` is encoded", {"base64"})},
                  {"data", s::string("the CAR (without output)")}},
                 {"cid", "bytes"}),
       false, false, false, [](const json& a, ToolEnv& env) -> Result<json> {
         Cid root = TRY(parse_cid(a["cid"].get<std::string>()));
         if (auto out = opt_string(a, "output")) {
           const std::string path = TRY(allowed_path(*env.policy, *out, PathUse::kCreate));
           auto fd = TRY(open_file(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
           uint64_t bytes = 0;
           Status st = env.client->dag_export(root, [&](ByteView piece) -> Status {
             TRY_STATUS(check_cancel(env.cancel, "export"));
             bytes += piece.size();
             return write_all(fd.get(), piece, path);
           });
           if (!st) {
             ::unlink(path.c_str());
             return tl::unexpected(st.error());
           }
           return json{{"cid", root.to_string()}, {"bytes", bytes}, {"output", path}};
         }
         Bytes car;
         TRY_STATUS(env.client->dag_export(root, [&](ByteView piece) -> Status {
           TRY_STATUS(check_cancel(env.cancel, "export"));
           if (car.size() + piece.size() > env.policy->max_content_bytes)
             return make_error(Code::kResourceExhausted,
                               "the CAR is larger than the content limit: pass `output` (a path under mcp.allowed_roots)");
           car.insert(car.end(), piece.begin(), piece.end());
           return {};
         }));
         return json{{"cid", root.to_string()}, {"bytes", car.size()}, {"encoding", "base64"}, {"data", base64_encode(car)}};
       }});

  add({"dag_import", "Import CAR data",
       "Import a CAR (`ipfs dag import`): every block's hash is checked before it is stored; roots are pinned unless "
       "pin_roots is false. Give `data` (base64) or `path` (a server-side CAR under mcp.allowed_roots). Reports "
       "progress in bytes read.",
       [] {
         json in = s::object({{"data", s::string("the CAR, base64")},
                              {"path", s::string("an absolute server-side path under mcp.allowed_roots")},
                              {"pin_roots", s::boolean("pin each root recursively", true)}});
         in["oneOf"] = json::array({{{"required", {"data"}}}, {{"required", {"path"}}}});
         return in;
       }(),
       s::object({{"blocks", s::integer("blocks imported", 0, INT64_MAX)},
                  {"bytes", s::integer("bytes of block data", 0, INT64_MAX)},
                  {"roots", s::array(s::object({{"cid", s::string("root CID")},
                                                 {"pinned", s::boolean("whether it was pinned", true)},
                                                 {"error", s::string("why not")}},
                                                {"cid", "pinned"}),
                                     "the CAR's roots")}},
                 {"blocks", "bytes", "roots"}),
       false, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         Bytes data;
         std::optional<MemoryReader> mem;
         std::optional<FdReader> file;
         UniqueFd fd;
         ByteReader* in = nullptr;
         std::optional<double> total;
         if (a.contains("data")) {
           json args = a;
           args["encoding"] = "base64";
           data = TRY(content_arg(args, "data", *env.policy));
           mem.emplace(ByteView(data));
           in = &*mem;
           total = static_cast<double>(data.size());
         } else {
           const std::string path = TRY(allowed_path(*env.policy, a["path"].get<std::string>(), PathUse::kRead));
           fd = TRY(open_file(path, O_RDONLY | O_CLOEXEC));
           struct stat st;
           if (::fstat(fd.get(), &st) == 0) total = static_cast<double>(st.st_size);
           file.emplace(fd.get(), path);
           in = &*file;
         }
         ObservedReader observed(*in, env, total);
         json roots = json::array();
         core::ImportReport r = TRY(env.client->dag_import(observed, arg_bool(a, "pin_roots", true),
                                                           [&](const Cid& root, const Status& st) {
                                                             json j{{"cid", root.to_string()}, {"pinned", static_cast<bool>(st)}};
                                                             if (!st) j["error"] = st.error().message();
                                                             roots.push_back(std::move(j));
                                                           },
                                                           env.cancel));
         if (roots.empty())
           for (const Cid& c : r.roots) roots.push_back({{"cid", c.to_string()}, {"pinned", false}});
         return json{{"blocks", r.blocks}, {"bytes", r.bytes}, {"roots", std::move(roots)}};
       }});

  add({"dag_stat", "Measure a DAG", "Unique blocks under a root and their total size (`ipfs dag stat`).",
       s::object({{"cid", s::string("the DAG's root CID")}}, {"cid"}),
       s::object({{"cid", s::string("the root")},
                  {"blocks", s::integer("unique blocks", 0, INT64_MAX)},
                  {"size", s::integer("their total bytes", 0, INT64_MAX)}},
                 {"cid", "blocks", "size"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         core::DagStat st = TRY(env.client->dag_stat(TRY(parse_cid(a["cid"].get<std::string>()))));
         return json{{"cid", st.root.to_string()}, {"blocks", st.blocks}, {"size", st.size}};
       }});

  // ---- pins ----
  add({"pin_add", "Pin CIDs",
       "Pin content so garbage collection keeps it (`ipfs pin add`), recursively unless direct. Each CID succeeds or "
       "fails on its own (a recursive pin needs the whole DAG present). Reports progress per CID.",
       s::object({{"cids", cids_in},
                  {"name", s::string("a name for the pins")},
                  {"meta", s::string_map("metadata for the pins")},
                  {"direct", s::boolean("pin only the block itself, not its DAG", false)},
                  {"replication_min", s::integer("fewest verified copies across backends", 1, repo::kMaxReplicas)},
                  {"replication_max", s::integer("most copies across backends", 1, repo::kMaxReplicas)},
                  {"allocations", s::array(s::string("a backend name"), "backends to place the copies on first", 0,
                                           repo::kMaxAllocations)}},
                 {"cids"}),
       item_results_schema("pinned"), false, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         auto cids = TRY(parse_cids(a, "cids"));
         std::vector<repo::PinRequest> pins;
         for (const Cid& c : cids) {
           repo::PinRequest p;
           p.cid = c;
           p.type = arg_bool(a, "direct", false) ? repo::PinType::kDirect : repo::PinType::kRecursive;
           p.name = opt_string(a, "name");
           if (a.contains("meta")) p.meta = a["meta"].get<std::map<std::string, std::string>>();
           if (a.contains("replication_min")) p.replication.min = a["replication_min"].get<int>();
           if (a.contains("replication_max")) p.replication.max = a["replication_max"].get<int>();
           if (a.contains("allocations")) p.replication.allocations = a["allocations"].get<std::vector<std::string>>();
           TRY_STATUS(repo::validate_pin(p));
           pins.push_back(std::move(p));
         }
         return item_batch(cids, env, [&](const api::ItemFn& fn) { return env.client->pin_add(pins, fn, env.cancel); });
       }});

  add({"pin_rm", "Unpin CIDs",
       "Remove pins (`ipfs pin rm`); the blocks stay until garbage collection (repo_gc). Each CID succeeds or fails "
       "on its own.",
       s::object({{"cids", cids_in}}, {"cids"}), item_results_schema("unpinned"), false, true, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         auto cids = TRY(parse_cids(a, "cids"));
         return item_batch(cids, env, [&](const api::ItemFn& fn) { return env.client->pin_rm(cids, fn); });
       }});

  add({"pin_ls", "List pins",
       "List pins (`ipfs pin ls`) with names and metadata, oldest first, a page at a time (pages stay fast at any "
       "depth). Filter by type, name (substring), a metadata key and value, or CID. Type all lists the explicit pins, "
       "then the blocks they hold (indirect).",
       s::object(with({{"type", s::enumeration("which pins", {"all", "recursive", "direct", "indirect"}, "all")},
                       {"name", s::string("only pins whose name contains this")},
                       {"meta", s::object({{"key", s::string("a metadata key")}, {"value", s::string("its value")}},
                                          {"key", "value"})},
                       {"cid", s::string("only how this CID is pinned")},
                       {"metadata", s::boolean("include each pin's metadata", false)}},
                      page_props())),
       s::object({{"pins", s::array(s::object({{"cid", s::string("the pinned CID")},
                                                {"type", s::string("recursive, direct, or \"indirect through <CID>\"")},
                                                {"name", s::string("the pin's name")},
                                                {"created", s::integer("when it was pinned (unix seconds)", 0, INT64_MAX)},
                                                {"metadata", s::string_map("the pin's metadata")}},
                                               {"cid", "type"}),
                                    "this page's pins")},
                  {"nextCursor", next_cursor_prop()}},
                 {"pins"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const uint64_t limit = static_cast<uint64_t>(opt_int(a, "limit").value_or(static_cast<int64_t>(env.policy->default_page)));
         // Explicit pins page by row id ('k': after the last id shown); the
         // indirect blocks that follow them (type all or indirect) by offset
         // into the walk ('i'), which is a walk however it is paged.
         Cursor at{'k', 0};
         if (auto c = opt_string(a, "cursor")) {
           at = TRY(decode_any_cursor("pin_ls", *c));
           if (at.phase != 'k' && at.phase != 'i') return invalid_argument("invalid cursor: pass the nextCursor of a previous page unchanged");
         }
         const std::string type = arg_string(a, "type", "all");
         const bool meta = arg_bool(a, "metadata", false);
         core::PinListOptions o;
         if (type == "recursive") o.filter.type = repo::PinType::kRecursive;
         if (type == "direct") o.filter.type = repo::PinType::kDirect;
         o.filter.name = opt_string(a, "name");
         if (a.contains("meta")) o.filter.meta = std::make_pair(a["meta"]["key"].get<std::string>(), a["meta"]["value"].get<std::string>());
         o.filter.with_meta = meta;
         const bool want_explicit = type != "indirect";
         // Indirect blocks carry no name or metadata: a filter on those lists explicit pins only.
         const bool want_indirect = (type == "all" || type == "indirect") && !o.filter.name && !o.filter.meta;
         json pins = json::array();
         std::optional<Cursor> next;
         if (auto c = opt_string(a, "cid")) {
           // How one CID is pinned: one entry at most.
           o.filter.cid = TRY(parse_cid(*c));
           o.explicit_pins = want_explicit;
           o.indirect = want_indirect;
           TRY_STATUS(env.client->pin_ls(o, [&](const core::PinEntry& e) -> Status {
             pins.push_back(pin_entry_json(e, meta));
             return {};
           }));
           return json{{"pins", std::move(pins)}};
         }
         if (at.phase == 'k' && want_explicit) {
           o.explicit_pins = true;
           o.indirect = false;
           o.filter.after = static_cast<int64_t>(at.position);
           o.filter.limit = limit + 1;  // one more tells whether a next page exists
           int64_t last = 0;
           bool more = false;
           TRY_STATUS(env.client->pin_ls(o, [&](const core::PinEntry& e) -> Status {
             TRY_STATUS(check_cancel(env.cancel, "pin ls"));
             if (pins.size() >= limit) {
               more = true;
               return {};
             }
             pins.push_back(pin_entry_json(e, meta));
             if (e.info) last = e.info->id;
             return {};
           }));
           if (more) next = Cursor{'k', static_cast<uint64_t>(last)};
           else if (want_indirect && pins.size() >= limit) next = Cursor{'i', 0};
           at = Cursor{'i', 0};
         } else if (at.phase == 'k') {
           at = Cursor{'i', 0};
         }
         if (!next && want_indirect && pins.size() < limit) {
           const uint64_t room = limit - pins.size();
           core::PinListOptions io;
           io.explicit_pins = false;
           io.indirect = true;
           io.filter.limit = at.position + room + 1;
           uint64_t seen = 0, taken = 0;
           bool more = false;
           TRY_STATUS(env.client->pin_ls(io, [&](const core::PinEntry& e) -> Status {
             TRY_STATUS(check_cancel(env.cancel, "pin ls"));
             if (seen++ < at.position) return {};
             if (taken >= room) {
               more = true;
               return {};
             }
             pins.push_back(pin_entry_json(e, meta));
             ++taken;
             return {};
           }));
           if (more) next = Cursor{'i', at.position + taken};
         }
         json out{{"pins", std::move(pins)}};
         if (next) out["nextCursor"] = encode_cursor("pin_ls", *next);
         return out;
       }});

  add({"pin_update", "Move a pin",
       "Pin `to` like `from` (type, name, metadata), then unpin `from` unless unpin is false (`ipfs pin update`).",
       s::object({{"from", s::string("the pinned CID")},
                  {"to", s::string("the CID to pin instead")},
                  {"unpin", s::boolean("remove the old pin", true)}},
                 {"from", "to"}),
       s::object({{"from", s::string("old")}, {"to", s::string("new")}, {"unpinned", s::boolean("whether from was unpinned", true)}},
                 {"from", "to", "unpinned"}),
       false, true, false, [](const json& a, ToolEnv& env) -> Result<json> {
         Cid from = TRY(parse_cid(a["from"].get<std::string>(), "from"));
         Cid to = TRY(parse_cid(a["to"].get<std::string>(), "to"));
         const bool unpin = arg_bool(a, "unpin", true);
         TRY_STATUS(env.client->pin_update(from, to, unpin));
         return json{{"from", from.to_string()}, {"to", to.to_string()}, {"unpinned", unpin}};
       }});

  add({"pin_verify", "Verify pins",
       "Check that every pinned DAG is present and intact (`ipfs pin verify`). Reports progress per pin.", empty_in,
       s::object({{"checked", s::integer("pins checked", 0, INT64_MAX)},
                  {"failed", s::integer("pins with problems", 0, INT64_MAX)},
                  {"problems", s::array(s::object({{"cid", s::string("the pin")},
                                                    {"problems", s::array(s::string("a problem"), "what is wrong")}},
                                                   {"cid", "problems"}),
                                        "the failing pins (at most 1000)")}},
                 {"checked", "failed", "problems"}),
       true, false, true, [](const json&, ToolEnv& env) -> Result<json> {
         uint64_t checked = 0, failed = 0;
         json problems = json::array();
         TRY_STATUS(env.client->pin_verify([&](const core::PinVerifyResult& r) -> Status {
           TRY_STATUS(check_cancel(env.cancel, "pin verify"));
           ++checked;
           if (!r.ok) {
             ++failed;
             if (problems.size() < 1000) problems.push_back({{"cid", r.cid.to_string()}, {"problems", r.problems}});
           }
           if (env.progress && checked % 100 == 0) env.progress(static_cast<double>(checked), std::nullopt, "pins checked");
           return {};
         }));
         return json{{"checked", checked}, {"failed", failed}, {"problems", std::move(problems)}};
       }});

  // ---- repository and node ----
  add({"repo_gc", "Collect garbage",
       "Delete every block no pin keeps and give the space back (`ipfs repo gc`). Unpinned content is lost.", empty_in,
       s::object({{"removed_blocks", s::integer("blocks deleted", 0, INT64_MAX)},
                  {"removed_bytes", s::integer("their bytes", 0, INT64_MAX)},
                  {"reclaimed_bytes", s::integer("disk space given back", 0, INT64_MAX)}},
                 {"removed_blocks", "removed_bytes", "reclaimed_bytes"}),
       false, true, true, [](const json&, ToolEnv& env) -> Result<json> {
         core::GcReport r = TRY(env.client->gc(nullptr));
         return json{{"removed_blocks", r.removed_blocks}, {"removed_bytes", r.removed_bytes},
                     {"reclaimed_bytes", r.reclaimed_bytes}};
       }});

  add({"repo_stat", "Repository statistics", "Blocks, bytes and pins in the repository (`ipfs repo stat`).", empty_in,
       s::object({{"blocks", s::integer("blocks", 0, INT64_MAX)},
                  {"block_bytes", s::integer("bytes of block data", 0, INT64_MAX)},
                  {"disk_bytes", s::integer("bytes on disk", 0, INT64_MAX)},
                  {"pins", s::integer("explicit pins", 0, INT64_MAX)},
                  {"path", s::string("the repository")}},
                 {"blocks", "block_bytes", "disk_bytes", "pins", "path"}),
       true, false, true, [](const json&, ToolEnv& env) -> Result<json> {
         core::RepoStat r = TRY(env.client->repo_stat());
         return json{{"blocks", r.blocks}, {"block_bytes", r.block_bytes}, {"disk_bytes", r.disk_bytes}, {"pins", r.pins},
                     {"path", r.path}};
       }});

  add({"repo_verify", "Verify every block", "Re-hash every stored block (`ipfs repo verify`).", empty_in,
       s::object({{"checked", s::integer("blocks checked", 0, INT64_MAX)},
                  {"bad", s::integer("damaged blocks", 0, INT64_MAX)},
                  {"problems", s::array(s::object({{"cid", s::string("the block")}, {"error", s::string("what is wrong")}},
                                                   {"cid", "error"}),
                                        "damaged blocks (at most 1000)")}},
                 {"checked", "bad", "problems"}),
       true, false, true, [](const json&, ToolEnv& env) -> Result<json> {
         json problems = json::array();
         core::VerifyReport r = TRY(env.client->repo_verify([&](const Cid& c, const Error& e) {
           if (problems.size() < 1000) problems.push_back({{"cid", c.to_string()}, {"error", e.message()}});
         }));
         return json{{"checked", r.checked}, {"bad", r.bad}, {"problems", std::move(problems)}};
       }});

  add({"id", "Node identity", "The node's peer ID, public key and addresses (`ipfs id`).", empty_in,
       [] {
         json o = s::object({{"ID", s::string("peer ID")},
                             {"PublicKey", s::string("base64 libp2p public key")},
                             {"Addresses", s::nullable(s::array(s::string("multiaddr"), ""))},
                             {"AgentVersion", s::string("software")},
                             {"Protocols", s::nullable(s::array(s::string("protocol"), ""))}},
                            {"ID"});
         o["additionalProperties"] = true;
         return o;
       }(),
       true, false, true, [](const json&, ToolEnv& env) -> Result<json> { return env.client->id(); }});

  // ---- configuration ----
  add({"config_show", "Show the configuration", "The whole configuration; secrets appear as \"(set)\".", empty_in,
       s::object({{"config", s::open_object("config.json")}}, {"config"}), true, false, true,
       [](const json&, ToolEnv& env) -> Result<json> {
         json config = TRY(env.client->config_show());
         return json{{"config", std::move(config)}};
       }});

  add({"config_get", "Read a configuration key", "One key or section, e.g. daemon.api_address or replication.",
       s::object({{"key", s::string("dotted key or section")}}, {"key"}),
       s::object({{"key", s::string("the key")}, {"value", {{"description", "its value (any JSON)"}}}}, {"key", "value"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string key = a["key"].get<std::string>();
         json value = TRY(env.client->config_get(key));
         return json{{"key", key}, {"value", std::move(value)}};
       }});

  add({"config_set", "Change a configuration key",
       "Validate and store one key (as `ipfs-kit config set KEY VALUE`: the value is JSON, or a bare string). A "
       "refused value leaves the file untouched; a running daemon applies it or names the restart it needs.",
       s::object({{"key", s::string("dotted key")}, {"value", s::string("the new value as JSON text (or a bare string)")}},
                 {"key", "value"}),
       s::object({{"key", s::string("the key")}, {"value", {{"description", "the stored value"}}}}, {"key", "value"}), false,
       true, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string key = a["key"].get<std::string>();
         json value = TRY(env.client->config_set(key, a["value"].get<std::string>()));
         return json{{"key", key}, {"value", std::move(value)}};
       }});

  // ---- the Pinning Service API's access tokens ----
  add({"psa_token_create", "Make a Pinning Service API token",
       "Make an access token for the Pinning Service API this node serves at <api_address>/psa (`ipfs-kit psa token "
       "create NAME`). The token is returned once: only its hash is kept. Each call makes a new secret; a taken "
       "name is refused.",
       s::object({{"name", s::string("a name for the token (its pin requests are its own)")}}, {"name"}),
       s::object({{"name", s::string("the token's name")}, {"token", s::string("the secret: give it to the client now")}},
                 {"name", "token"}),
       false, false, false, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string name = a["name"].get<std::string>();
         const std::string token = TRY(env.client->psa_token_create(name));
         return json{{"name", name}, {"token", token}};
       }});
  add({"psa_token_rm", "Revoke a Pinning Service API token",
       "Revoke a token (`ipfs-kit psa token rm NAME`): its clients are refused from now on, and its pin requests go, "
       "with the pins only they held.",
       s::object({{"name", s::string("the token's name")}}, {"name"}),
       s::object({{"name", s::string("the token's name")}, {"removed", s::boolean("true once revoked", true)}},
                 {"name", "removed"}),
       false, true, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string name = a["name"].get<std::string>();
         TRY_STATUS(env.client->psa_token_remove(name));
         return json{{"name", name}, {"removed", true}};
       }});
  add({"psa_token_ls", "List Pinning Service API tokens",
       "The tokens' names and creation times, by name (`ipfs-kit psa token ls`); never the secrets.",
       s::object(page_props()),
       s::object({{"tokens", s::array(s::object({{"name", s::string("the token's name")},
                                                  {"created", s::integer("when it was made (unix seconds)", 0, INT64_MAX)}},
                                                 {"name", "created"}),
                                      "this page's tokens")},
                  {"nextCursor", next_cursor_prop()}},
                 {"tokens"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         Pager pager(TRY(page_of(a, "psa_token_ls", *env.policy)));
         json all = TRY(env.client->psa_tokens());
         json tokens = json::array();
         Status st;
         for (const auto& token : all) {
           st = pager.take([&] { tokens.push_back({{"name", token.value("name", "")}, {"created", token.value("created", int64_t{0})}}); });
           if (!st) break;
         }
         TRY_STATUS(pager.finish(st));
         json out{{"tokens", std::move(tokens)}};
         pager.annotate(out, "psa_token_ls");
         return out;
       }});

  // ---- CIDs (pure computations) ----
  add({"cid_format", "Convert CIDs",
       "Convert and format CIDs (`ipfs cid format`): version, codec, multibase and a printf-style format (%s CID, %b "
       "base, %v version, %c codec, %h hash, %d digest...). Each CID succeeds or fails on its own.",
       s::object({{"cids", s::array(s::string("a CID"), "the CIDs", 1, 1000)},
                  {"format", s::string("format string (default %s)")},
                  {"version", s::enumeration("CID version to convert to", {"0", "1"})},
                  {"codec", s::string("multicodec to convert to")},
                  {"base", s::string("multibase to print in, e.g. base32, base58btc")}},
                 {"cids"}),
       s::object({{"results", s::array(s::object({{"cid", s::string("the input")},
                                                   {"formatted", s::string("the output")},
                                                   {"error", s::string("why it failed")}},
                                                  {"cid"}),
                                       "one per input")}},
                 {"results"}),
       true, false, true, [](const json& a, ToolEnv&) -> Result<json> {
         CidFormatOptions o;
         o.format = arg_string(a, "format", "%s");
         o.version = arg_string(a, "version");
         o.codec = arg_string(a, "codec");
         o.base = arg_string(a, "base");
         return format_cids(TRY(CidFormatter::make(o)), a["cids"]);
       }});

  add({"cid_base32", "CIDs as base32 CIDv1",
       "Convert CIDs to base32 CIDv1 (`ipfs cid base32`), the form subdomain gateways use. Each CID succeeds or fails "
       "on its own.",
       s::object({{"cids", s::array(s::string("a CID"), "the CIDs", 1, 1000)}}, {"cids"}),
       s::object({{"results", s::array(s::object({{"cid", s::string("the input")},
                                                   {"formatted", s::string("base32 CIDv1")},
                                                   {"error", s::string("why it failed")}},
                                                  {"cid"}),
                                       "one per input")}},
                 {"results"}),
       true, false, true, [](const json& a, ToolEnv&) -> Result<json> {
         return format_cids(CidFormatter::base32(), a["cids"]);
       }});

  const json named_codes = s::array(s::object({{"name", s::string("name")}, {"code", s::integer("code", 0, INT64_MAX)}},
                                              {"name", "code"}),
                                    "");
  add({"cid_bases", "List multibases", "The multibase encodings CIDs can be printed in (`ipfs cid bases`).", empty_in,
       s::object({{"bases", s::array(s::object({{"name", s::string("name")}, {"prefix", s::string("prefix character")}},
                                                {"name", "prefix"}),
                                     "")}},
                 {"bases"}),
       true, false, true, [](const json&, ToolEnv&) -> Result<json> {
         json out = json::array();
         for (const auto& b : multibase::all_bases())
           out.push_back({{"name", std::string(b.name)}, {"prefix", std::string(1, static_cast<char>(b.base))}});
         return json{{"bases", std::move(out)}};
       }});
  add({"cid_codecs", "List codecs", "The IPLD codecs CIDs can name (`ipfs cid codecs`).", empty_in,
       s::object({{"codecs", named_codes}}, {"codecs"}), true, false, true, [](const json&, ToolEnv&) -> Result<json> {
         json out = json::array();
         for (const auto& c : multicodec::ipld_codecs()) out.push_back({{"name", std::string(c.name)}, {"code", c.code}});
         return json{{"codecs", std::move(out)}};
       }});
  add({"cid_hashes", "List hash functions", "The multihash functions known (`ipfs cid hashes`).", empty_in,
       s::object({{"hashes", named_codes}}, {"hashes"}), true, false, true, [](const json&, ToolEnv&) -> Result<json> {
         json out = json::array();
         for (const auto& h : multihash::all_hashes()) out.push_back({{"name", std::string(h.name)}, {"code", h.code}});
         return json{{"hashes", std::move(out)}};
       }});

  // ---- operations (the daemon's management API) ----
  auto doc_tool = [&](std::string name, std::string title, std::string desc, const char* field,
                      std::function<Result<json>(api::Client&)> fn) {
    add({std::move(name), std::move(title), std::move(desc) + " Needs a running daemon (ipfs-kit daemon start).", empty_in,
         s::object({{field, s::open_object("the management API's document")}}, {field}), true, false, true,
         [fn, field](const json&, ToolEnv& env) -> Result<json> {
           json value = TRY(fn(*env.client));
           return json{{field, std::move(value)}};
         }});
  };
  doc_tool("health", "Health", "Health of the daemon and its backends (GET /health).", "health",
           [](api::Client& c) { return c.health(); });
  doc_tool("status", "Daemon status", "The daemon's status: version, uptime, addresses, backends, replication.", "status",
           [](api::Client& c) { return c.status(); });
  doc_tool("replication_status", "Replication status", "Replica counts and under-replicated pins.", "replication",
           [](api::Client& c) { return c.replication_status(); });

  add({"backend_list", "List backends",
       "Every storage backend, or the one named, with its state and last health check (`ipfs-kit backend list`, "
       "`backend status [NAME]`, `backend health` with check_now). Needs a running daemon.",
       s::object({{"name", s::string("only this backend")},
                  {"check_now", s::boolean("run the health checks now instead of reporting the last ones", false)}}),
       s::object({{"backends", s::open_object("backend name -> its state")}}, {"backends"}), true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         json all = TRY(env.client->backends(arg_bool(a, "check_now", false)));
         if (auto name = opt_string(a, "name")) {
           if (!all.is_object() || !all.contains(*name)) {
             std::string names;
             if (all.is_object())
               for (auto it = all.begin(); it != all.end(); ++it) names += (names.empty() ? "" : ", ") + it.key();
             return not_found("no backend named \"" + *name + "\" (backends: " + names + ")");
           }
           return json{{"backends", {{*name, all[*name]}}}};
         }
         return json{{"backends", std::move(all)}};
       }});

  for (bool start : {true, false}) {
    add({start ? "backend_start" : "backend_stop", start ? "Start a backend" : "Stop a backend",
         start ? "Start serving a backend (`ipfs-kit backend start NAME`). Needs a running daemon."
               : "Stop serving a backend (`ipfs-kit backend stop NAME`): reads and writes through it fail until it is "
                 "started again. Needs a running daemon.",
         s::object({{"name", s::string("the backend's name, e.g. ipfs")}}, {"name"}),
         s::object({{"result", s::open_object("the daemon's answer")}}, {"result"}), false, !start, true,
         [start](const json& a, ToolEnv& env) -> Result<json> {
           json result = TRY(env.client->set_backend_running(a["name"].get<std::string>(), start));
           return json{{"result", std::move(result)}};
         }});
  }

  add({"backend_restore", "Restore from a backend",
       "Bring back into this repository every pin a backend holds, with its name, metadata and content, every block "
       "verified (`ipfs-kit backend restore NAME`). For a fresh or damaged repository; running it again resumes and "
       "skips what is complete. Works with or without a daemon.",
       s::object({{"name", s::string("the backend's name (one that lists pins and serves blocks: kubo, s3, filesystem)")},
                  {"dry_run", s::boolean("only report what would be restored", false)}},
                 {"name"}),
       s::object({{"summary", s::open_object("pins restored, complete, skipped and failed; blocks and bytes fetched")},
                  {"pins", s::array(s::open_object("one pin's outcome: cid, name, meta, status, error"), "each pin's outcome")}},
                 {"summary", "pins"}),
       false, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         api::BackendRestoreRequest request;
         request.dry_run = arg_bool(a, "dry_run", false);
         request.cancel = env.cancel;
         json pins = json::array();
         request.on_pin = [&](const json& p) { pins.push_back(p); };
         if (env.progress) {
           request.on_progress = [&env, mu = std::make_shared<std::mutex>()](const json& p) {
             std::lock_guard lock(*mu);
             env.progress(static_cast<double>(p.value("pins_done", 0)), static_cast<double>(p.value("pins_total", 0)),
                          std::to_string(p.value("blocks_fetched", 0)) + " blocks fetched");
           };
         }
         json summary = TRY(env.client->backend_restore(a["name"].get<std::string>(), request));
         return json{{"summary", std::move(summary)}, {"pins", std::move(pins)}};
       }});

  add({"replication_sync", "Replicate now",
       "Run a replication pass now: check every pin's copies and repair what is missing. Needs a running daemon.",
       empty_in, s::object({{"result", s::open_object("the pass's report")}}, {"result"}), false, false, true,
       [](const json&, ToolEnv& env) -> Result<json> {
         api::ReplicationSyncRequest request;
         request.cancel = env.cancel;
         uint64_t reported = 0;  // MCP progress must increase: the pins done so far
         if (env.progress) {
           env.progress(0, std::nullopt, "replication pass started");
           // Pins done of those that needed work (serialized by the API).
           request.on_progress = [&env, &reported](const json& p) {
             const uint64_t done = p.value("pins_done", uint64_t{0}), total = p.value("pins_total", uint64_t{0});
             if (done <= reported) return;
             reported = done;
             env.progress(static_cast<double>(done), static_cast<double>(total),
                          std::to_string(done) + " of " + std::to_string(total) + " pins done");
           };
         }
         json r = TRY(env.client->replication_sync(request));
         // When no pin needed work there was no report: the pass is 1 of 1 done.
         if (env.progress && reported == 0 && r.value("checked", uint64_t{0}) == 0) env.progress(1, 1, "replication pass finished: no pin needed work");
         return json{{"result", std::move(r)}};
       }});

  // ---- routing: where pins' copies are and should be ----
  add({"route_inspect", "Where a pin's copies are",
       "Every replica of a pin: backend, status (queued, pinning, pinned, pin_error, unpinning, unpinned), verified "
       "how and when, the last error (`ipfs-kit route inspect CID`), with the pin's policy. Needs a running daemon.",
       s::object({{"cid", s::string("a pinned CID")}}, {"cid"}),
       s::object({{"replication", s::open_object("{cid, policy, verified, meets_minimum, replicas, issue}")}}, {"replication"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const Cid cid = TRY(parse_cid(a["cid"].get<std::string>()));
         json r = TRY(env.client->replication_status_of(cid));
         return json{{"replication", std::move(r)}};
       }});
  doc_tool("route_stats", "Replicas per backend",
           "Per backend: replicas by status, bytes of verified copies, health (`ipfs-kit route stats`).", "backends",
           [](api::Client& c) -> Result<json> {
             json j = TRY(c.replication_status());
             return j.contains("backends") ? j["backends"] : json::object();
           });
  add({"route_suggest", "Where a new pin would go",
       "The backends a new pin's copies would go to under the default policy, and why each was chosen or passed "
       "over (`ipfs-kit route suggest`). Needs a running daemon.",
       s::object({{"size", s::integer("the pin's size in bytes (backends without the space are passed over)", 0, INT64_MAX)}}),
       s::object({{"suggestion", s::open_object("{size, policy, plan}")}}, {"suggestion"}), true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         const uint64_t size = a.contains("size") ? a["size"].get<uint64_t>() : 0;
         json r = TRY(env.client->route_suggest(size));
         return json{{"suggestion", std::move(r)}};
       }});
  add({"route_optimize", "Move copies toward their policy",
       "Plans the copies to add, retry or remove so that pins (the given CIDs, or every pin that needs work) meet "
       "their replication policy; with apply, makes the moves (`ipfs-kit route optimize [--apply]`). Needs a "
       "running daemon.",
       s::object({{"cids", s::array(s::string("a CID"), "pins to look at (default: every pin that needs work)", 0, 1000)},
                  {"apply", s::boolean("make the moves instead of only planning them", false)}}),
       s::object({{"result", s::open_object("{applied, plans, result}")}}, {"result"}), false, true, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         std::vector<Cid> cids;
         if (a.contains("cids")) cids = TRY(parse_cids(a, "cids"));
         json r = TRY(env.client->route_optimize(cids, arg_bool(a, "apply", false), env.cancel));
         return json{{"result", std::move(r)}};
       }});

  add({"metrics", "Metrics", "The daemon's Prometheus metrics as text. Needs a running daemon.", empty_in,
       s::object({{"text", s::string("Prometheus text exposition format")}}, {"text"}), true, false, true,
       [](const json&, ToolEnv& env) -> Result<json> {
         std::string text = TRY(env.client->metrics());
         return json{{"text", std::move(text)}};
       }});

  add({"log_tail", "Recent log lines", "The last lines of the daemon's log (`ipfs-kit log tail`). Needs a running daemon.",
       s::object({{"lines", s::integer("how many (default 20)", 1, 10000)},
                  {"level", s::enumeration("only this level", {"DEBUG", "INFO", "WARNING", "ERROR"})},
                  {"backend", s::string("a backend's log instead of the daemon's")}}),
       s::object({{"lines", s::array(s::string("a logfmt line"), "oldest first")}}, {"lines"}), true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         api::LogQuery q;
         q.lines = static_cast<size_t>(opt_int(a, "lines").value_or(20));
         q.level = arg_string(a, "level");
         q.backend = arg_string(a, "backend");
         auto lines = TRY(env.client->log_lines(q));
         return json{{"lines", std::move(lines)}};
       }});

  add_files_tools(t);
  std::sort(t.begin(), t.end(), [](const Tool& x, const Tool& y) { return x.name < y.name; });
  return t;
}

}  // namespace

const std::vector<Tool>& tool_table() {
  static const std::vector<Tool> table = build_table();
  return table;
}

const Tool* find_tool(std::string_view name) {
  const auto& t = tool_table();
  auto it = std::lower_bound(t.begin(), t.end(), name, [](const Tool& x, std::string_view n) { return x.name < n; });
  return it != t.end() && it->name == name ? &*it : nullptr;
}

json describe_tool(const Tool& tool) {
  json annotations{{"title", tool.title}, {"readOnlyHint", tool.read_only}, {"openWorldHint", false}};
  if (!tool.read_only) {
    annotations["destructiveHint"] = tool.destructive;
    annotations["idempotentHint"] = tool.idempotent;
  }
  return json{{"name", tool.name},
              {"title", tool.title},
              {"description", tool.description},
              {"inputSchema", tool.input_schema},
              {"outputSchema", tool.output_schema},
              {"annotations", std::move(annotations)}};
}

namespace {

json error_result(const std::string& text) {
  return json{{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
}

// What to do about a failure, by kind: the model reads this.
std::string advice(const Error& e) {
  switch (e.code()) {
    case Code::kNotFound:
      return " (check the CID or path; content must be in this repository: add or import it first)";
    case Code::kUnavailable:
      return " (start the daemon with `ipfs-kit daemon start`, or check the backend with backend_list)";
    case Code::kTimeout:
      return " (try again, or with a smaller request)";
    default:
      return "";
  }
}

}  // namespace

json call_tool(const Tool& tool, const json& arguments, ToolEnv& env) {
  if (auto bad = validate_schema(tool.input_schema, arguments))
    return error_result("invalid arguments for " + tool.name + ": " + *bad + ". The tool's inputSchema lists what it takes.");
  Result<json> r = tool.run(arguments, env);
  if (!r) {
    const Error& e = r.error();
    return error_result(tool.name + " failed: " + e.message() + advice(e));
  }
  std::string text = dump(*r);
  return json{{"content", json::array({{{"type", "text"}, {"text", std::move(text)}}})},
              {"structuredContent", std::move(*r)},
              {"isError", false}};
}

}  // namespace ipfskit::mcp
