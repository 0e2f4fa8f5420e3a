// The MFS tools (Kubo's `ipfs files`, `ipfs-kit files ...`): each a few lines
// over the client API's files_* operations. Every change is durable when the
// tool returns (mfs/mfs.h), so there is no flush to forget.
#include <fcntl.h>

#include <cstdio>
#include <ctime>

#include "base/io.h"
#include "mcp/tools_util.h"
#include "mfs/mfs.h"

namespace ipfskit::mcp {

namespace s = schema;

namespace {

json prefix_props() {
  return {{"cid_version", s::integer("CID version of new nodes (default: the parent's)", 0, 1)},
          {"hash", s::string("hash function of new nodes, e.g. sha2-256, blake2b-256 (default: the parent's)")}};
}

mfs::CidPrefix prefix_of(const json& a) {
  mfs::CidPrefix p;
  if (auto v = opt_int(a, "cid_version")) p.cid_version = static_cast<int>(*v);
  p.hash = opt_string(a, "hash");
  return p;
}

std::string octal_mode(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

json stat_json(const mfs::Stat& st) {
  json j{{"cid", st.cid.to_string()},        {"type", st.type},       {"size", st.size},
         {"cumulative_size", st.cumulative_size}, {"blocks", st.blocks}};
  if (st.mode) j["mode"] = octal_mode(*st.mode);
  if (st.mtime) j["mtime"] = st.mtime->seconds;
  return j;
}

json stat_schema() {
  return s::object({{"cid", s::string("the node's CID")},
                    {"type", s::enumeration("file or directory (a symlink is a file, as in Kubo)", {"file", "directory"})},
                    {"size", s::integer("file bytes; 0 for a directory", 0, INT64_MAX)},
                    {"cumulative_size", s::integer("the block plus its links' sizes", 0, INT64_MAX)},
                    {"blocks", s::integer("links of the root block", 0, INT64_MAX)},
                    {"mode", s::string("POSIX mode in octal, when stored")},
                    {"mtime", s::integer("modification time (unix seconds), when stored", INT64_MIN, INT64_MAX)}},
                   {"cid", "type", "size", "cumulative_size", "blocks"});
}

// The CID at an MFS path once a change returned (for the tools' answers).
Result<std::string> cid_at(api::Client& client, const std::string& path) {
  mfs::Stat st = TRY(client.files_stat(path));
  return st.cid.to_string();
}

}  // namespace

void add_files_tools(std::vector<Tool>& t) {
  const json mfs_path = s::string("an MFS path, e.g. /docs/a.txt");
  const json any_path = s::string("an MFS path, or a content path /ipfs/<cid>[/path]");
  auto add = [&](Tool tool) { t.push_back(std::move(tool)); };

  add({"files_ls", "List an MFS directory",
       "List a directory of the mutable file system (`ipfs files ls`), in directory order, a page at a time. With "
       "long, each entry's type, size and CID.",
       s::object(with({{"path", any_path}, {"long", s::boolean("each entry's type, size and CID (ls -l)", false)}},
                      page_props())),
       s::object({{"entries", s::array(s::object({{"name", s::string("entry name")},
                                                   {"type", s::enumeration("with long", {"file", "directory"})},
                                                   {"size", s::integer("file bytes (with long)", 0, INT64_MAX)},
                                                   {"cid", s::string("the entry's CID (with long)")}},
                                                  {"name"}),
                                       "this page's entries")},
                  {"nextCursor", next_cursor_prop()}},
                 {"entries"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         Pager pager(TRY(page_of(a, "files_ls", *env.policy)));
         const bool details = arg_bool(a, "long", false);
         json entries = json::array();
         TRY_STATUS(pager.finish(env.client->files_ls(arg_string(a, "path", "/"), details, [&](const mfs::Listing& l) -> Status {
           TRY_STATUS(check_cancel(env.cancel, "files ls"));
           return pager.take([&] {
             json e{{"name", l.name}};
             if (details) {
               e["type"] = l.type == 1 ? "directory" : "file";
               e["size"] = l.size;
               e["cid"] = l.cid.to_string();
             }
             entries.push_back(std::move(e));
           });
         })));
         json out{{"entries", std::move(entries)}};
         pager.annotate(out, "files_ls");
         return out;
       }});

  add({"files_stat", "Describe an MFS node", "CID, sizes, type, mode and mtime of an MFS or content path (`ipfs files stat`).",
       s::object({{"path", any_path}}, {"path"}), stat_schema(), true, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         mfs::Stat st = TRY(env.client->files_stat(a["path"].get<std::string>()));
         return stat_json(st);
       }});

  add({"files_read", "Read an MFS file",
       "A file's bytes (`ipfs files read`), as text when they are UTF-8 or as base64, at most the content limit per "
       "call: read large files in pieces with offset and length (eof says when done).",
       ranged_read_input(any_path), ranged_read_output(),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = a["path"].get<std::string>();
         mfs::Stat st = TRY(env.client->files_stat(path));
         if (st.type == "directory") return invalid_argument(path + " is a directory: list it with files_ls");
         return read_range(a, env, st.cid, st.size, "files read", [&](uint64_t off, uint64_t len, const auto& sink) {
           return env.client->files_read(path, off, len, sink);
         });
       }});

  add({"files_write", "Write an MFS file",
       "Write bytes into a file of the mutable file system (`ipfs files write`) at offset (default 0): `content` "
       "(text or base64), or the server-side file `source` under mcp.allowed_roots. create makes a missing file, "
       "truncate empties it first, parents makes missing directories.",
       [] {
         json in = s::object(with({{"path", s::string("an MFS path, e.g. /docs/a.txt")},
                                   {"content", s::string("the bytes, encoded as `encoding` says")},
                                   {"encoding", s::enumeration("how `content` is encoded", {"text", "base64"}, "text")},
                                   {"source", s::string("an absolute server-side file under mcp.allowed_roots")},
                                   {"offset", s::integer("byte offset to write at (default 0)", 0, INT64_MAX)},
                                   {"count", s::integer("write at most this many bytes of the input", 0, INT64_MAX)},
                                   {"create", s::boolean("create the file when it does not exist", false)},
                                   {"truncate", s::boolean("empty the file before writing", false)},
                                   {"parents", s::boolean("make missing parent directories", false)},
                                   {"raw_leaves", s::boolean("raw leaf blocks for new data (default: by CID version)", false)}},
                                  prefix_props()),
                             {"path"});
         in["oneOf"] = json::array({{{"required", {"content"}}}, {{"required", {"source"}}}});
         return in;
       }(),
       s::object({{"path", s::string("the file")}, {"cid", s::string("its CID now")}, {"size", s::integer("its size now", 0, INT64_MAX)}},
                 {"path", "cid", "size"}),
       false, true, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = a["path"].get<std::string>();
         mfs::WriteOptions o;
         o.offset = static_cast<uint64_t>(opt_int(a, "offset").value_or(0));
         if (auto n = opt_int(a, "count")) o.count = static_cast<uint64_t>(*n);
         o.create = arg_bool(a, "create", false);
         o.truncate = arg_bool(a, "truncate", false);
         o.parents = arg_bool(a, "parents", false);
         if (a.contains("raw_leaves")) o.raw_leaves = a["raw_leaves"].get<bool>();
         o.prefix = prefix_of(a);
         if (a.contains("content")) {
           Bytes data = TRY(content_arg(a, "content", *env.policy));
           MemoryReader in{ByteView(data)};
           CancellableReader cancellable(in, env.cancel, "files write");
           TRY_STATUS(env.client->files_write(path, cancellable, o));
         } else {
           const std::string source = TRY(allowed_path(*env.policy, a["source"].get<std::string>(), PathUse::kRead));
           UniqueFd fd = TRY(open_file(source, O_RDONLY | O_CLOEXEC));
           FdReader in(fd.get(), source);
           CancellableReader cancellable(in, env.cancel, "files write");
           TRY_STATUS(env.client->files_write(path, cancellable, o));
         }
         mfs::Stat st = TRY(env.client->files_stat(path));
         return json{{"path", path}, {"cid", st.cid.to_string()}, {"size", st.size}};
       }});

  add({"files_mkdir", "Make an MFS directory",
       "Make a directory (`ipfs files mkdir`); with parents, missing parents too and no error when it exists.",
       s::object(with({{"path", mfs_path}, {"parents", s::boolean("make parents as needed; no error if it exists", false)}},
                      prefix_props()),
                 {"path"}),
       s::object({{"path", s::string("the directory")}, {"cid", s::string("its CID")}}, {"path", "cid"}), false, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = a["path"].get<std::string>();
         mfs::MkdirOptions o;
         o.parents = arg_bool(a, "parents", false);
         o.prefix = prefix_of(a);
         TRY_STATUS(env.client->files_mkdir(path, o));
         const std::string cid = TRY(cid_at(*env.client, path));
         return json{{"path", path}, {"cid", cid}};
       }});

  add({"files_cp", "Copy into MFS",
       "Link a content path (/ipfs/<cid>/...) or an MFS path at an MFS path without copying any data (`ipfs files "
       "cp`). A destination ending in / takes the source's name; an existing file is replaced only with force.",
       s::object({{"source", any_path},
                  {"dest", mfs_path},
                  {"force", s::boolean("replace an existing file at dest", false)},
                  {"parents", s::boolean("make missing parent directories", false)}},
                 {"source", "dest"}),
       s::object({{"source", s::string("as given")}, {"dest", s::string("as given")}}, {"source", "dest"}), false, true, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string src = a["source"].get<std::string>(), dst = a["dest"].get<std::string>();
         TRY_STATUS(env.client->files_cp(src, dst, arg_bool(a, "force", false), arg_bool(a, "parents", false)));
         return json{{"source", src}, {"dest", dst}};
       }});

  add({"files_mv", "Move within MFS",
       "Move or rename within the mutable file system (`ipfs files mv`): into dest when it is a directory, over an "
       "existing file otherwise.",
       s::object({{"source", mfs_path}, {"dest", mfs_path}}, {"source", "dest"}),
       s::object({{"source", s::string("as given")}, {"dest", s::string("as given")}}, {"source", "dest"}), false, true, false,
       [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string src = a["source"].get<std::string>(), dst = a["dest"].get<std::string>();
         TRY_STATUS(env.client->files_mv(src, dst));
         return json{{"source", src}, {"dest", dst}};
       }});

  add({"files_rm", "Remove from MFS",
       "Remove files or directories from the mutable file system (`ipfs files rm`); a directory needs recursive. The "
       "content stays in the repository until garbage collection when nothing else keeps it.",
       s::object({{"paths", s::array(mfs_path, "the MFS paths", 1, 1000)},
                  {"recursive", s::boolean("remove directories and their contents", false)},
                  {"force", s::boolean("no error for a missing path; implies recursive for directories", false)}},
                 {"paths"}),
       s::object({{"removed", s::array(s::string("a path"), "the paths as given")}}, {"removed"}), false, true, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         std::vector<std::string> paths = a["paths"].get<std::vector<std::string>>();
         TRY_STATUS(env.client->files_rm(paths, arg_bool(a, "recursive", false), arg_bool(a, "force", false)));
         return json{{"removed", paths}};
       }});

  add({"files_flush", "The CID of an MFS path",
       "The CID at an MFS path, default / (`ipfs files flush`; every change is already durable, so this only reports).",
       s::object({{"path", mfs_path}}), s::object({{"path", s::string("the path")}, {"cid", s::string("its CID")}}, {"path", "cid"}),
       true, false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = arg_string(a, "path", "/");
         const Cid cid = TRY(env.client->files_flush(path));
         return json{{"path", path}, {"cid", cid.to_string()}};
       }});

  add({"files_chcid", "Change an MFS directory's CID format",
       "Re-encode a directory (default /) with another CID version or hash function (`ipfs files chcid`); its "
       "children keep theirs.",
       s::object(with({{"path", mfs_path}}, prefix_props())),
       s::object({{"path", s::string("the directory")}, {"cid", s::string("its new CID")}}, {"path", "cid"}), false, false, true,
       [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = arg_string(a, "path", "/");
         TRY_STATUS(env.client->files_chcid(path, prefix_of(a)));
         const std::string cid = TRY(cid_at(*env.client, path));
         return json{{"path", path}, {"cid", cid}};
       }});

  add({"files_touch", "Set an MFS node's mtime",
       "Set the modification time of a file or directory (`ipfs files touch`); now unless mtime is given.",
       s::object({{"path", mfs_path},
                  {"mtime", s::integer("unix seconds (default: now)", INT64_MIN, INT64_MAX)},
                  {"mtime_nsecs", s::integer("nanoseconds", 0, 999999999)}},
                 {"path"}),
       s::object({{"path", s::string("the node")}, {"mtime", s::integer("unix seconds", INT64_MIN, INT64_MAX)}}, {"path", "mtime"}),
       false, false, false, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = a["path"].get<std::string>();
         const int64_t seconds = opt_int(a, "mtime").value_or(static_cast<int64_t>(std::time(nullptr)));
         std::optional<uint32_t> nanos;
         if (auto n = opt_int(a, "mtime_nsecs")) nanos = static_cast<uint32_t>(*n);
         TRY_STATUS(env.client->files_touch(path, seconds, nanos));
         return json{{"path", path}, {"mtime", seconds}};
       }});

  add({"files_chmod", "Set an MFS node's mode",
       "Set the POSIX permission bits of a file or directory (`ipfs files chmod`), in octal such as 0644.",
       s::object({{"path", mfs_path}, {"mode", s::string("octal, e.g. 0644 or 755")}}, {"path", "mode"}),
       s::object({{"path", s::string("the node")}, {"mode", s::string("the mode now, in octal")}}, {"path", "mode"}), false,
       false, true, [](const json& a, ToolEnv& env) -> Result<json> {
         const std::string path = a["path"].get<std::string>();
         const uint32_t mode = TRY(mfs::parse_mode(a["mode"].get<std::string>()));
         TRY_STATUS(env.client->files_chmod(path, mode));
         return json{{"path", path}, {"mode", octal_mode(mode)}};
       }});
}

}  // namespace ipfskit::mcp
