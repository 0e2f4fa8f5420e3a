#include "api/files.h"

#include <nlohmann/json.hpp>

#include "api/local.h"
#include "api/remote.h"
#include "client/upload.h"

namespace ipfskit::api {

namespace {

using json = nlohmann::json;

class LocalFiles : public Files {
 public:
  explicit LocalFiles(core::Node& node) : mfs_(node) {}
  std::string_view where() const override { return "local"; }
  Result<mfs::Stat> files_stat(std::string_view path) override { return mfs_.stat(path); }
  Status files_ls(std::string_view path, bool details, const std::function<Status(const mfs::Listing&)>& fn) override {
    return mfs_.ls(path, details, fn);
  }
  Status files_read(std::string_view path, uint64_t offset, std::optional<uint64_t> count,
                    const std::function<Status(ByteView)>& out) override {
    return mfs_.read(path, offset, count, out);
  }
  Status files_write(std::string_view path, ByteReader& data, const mfs::WriteOptions& o) override {
    return mfs_.write(path, data, o);
  }
  Status files_mkdir(std::string_view path, const mfs::MkdirOptions& o) override { return mfs_.mkdir(path, o); }
  Status files_cp(std::string_view src, std::string_view dst, bool force, bool parents) override {
    return mfs_.cp(src, dst, force, parents);
  }
  Status files_mv(std::string_view src, std::string_view dst) override { return mfs_.mv(src, dst); }
  Status files_rm(const std::vector<std::string>& paths, bool recursive, bool force) override {
    for (const auto& p : paths) TRY_STATUS(mfs_.rm(p, recursive, force));
    return {};
  }
  Result<Cid> files_flush(std::string_view path) override { return mfs_.flush(path); }
  Status files_chcid(std::string_view path, const mfs::CidPrefix& p) override { return mfs_.chcid(path, p); }
  Status files_touch(std::string_view path, int64_t s, std::optional<uint32_t> ns) override {
    return mfs_.touch(path, s, ns);
  }
  Status files_chmod(std::string_view path, uint32_t mode) override { return mfs_.chmod(path, mode); }

 private:
  mfs::Mfs mfs_;
};

// One upload entry: the data of `files write`.
class SingleUpload : public unixfs::UploadSource {
 public:
  explicit SingleUpload(ByteReader& data) : data_(data) {}
  Result<std::optional<unixfs::UploadEntry>> next() override {
    if (done_) return std::optional<unixfs::UploadEntry>();
    done_ = true;
    unixfs::UploadEntry e;
    e.kind = unixfs::UploadEntry::Kind::kFile;
    e.path = "data";
    e.content = &data_;
    return std::optional<unixfs::UploadEntry>(std::move(e));
  }

 private:
  ByteReader& data_;
  bool done_ = false;
};

using Params = std::vector<std::pair<std::string, std::string>>;

void add_prefix(Params& p, const mfs::CidPrefix& prefix) {
  if (prefix.cid_version) p.emplace_back("cid-version", std::to_string(*prefix.cid_version));
  if (prefix.hash) p.emplace_back("hash", *prefix.hash);
}

const char* tf(bool b) { return b ? "true" : "false"; }

class RemoteFiles : public Files {
 public:
  explicit RemoteFiles(client::HttpClient rpc) : rpc_(std::move(rpc)) {}
  std::string_view where() const override { return "daemon"; }

  Result<mfs::Stat> files_stat(std::string_view path) override {
    json j = TRY(call_json("files/stat", {{"arg", std::string(path)}}));
    mfs::Stat s;
    s.cid = TRY(Cid::parse(j.value("Hash", "")));
    s.size = j.value("Size", uint64_t{0});
    s.cumulative_size = j.value("CumulativeSize", uint64_t{0});
    s.blocks = j.value("Blocks", size_t{0});
    s.type = j.value("Type", "");
    s.kind = s.type == "directory" ? unixfs::NodeKind::kDirectory : unixfs::NodeKind::kFile;
    if (j.contains("Mode") && j["Mode"].is_string()) s.mode = TRY(mfs::parse_mode(j["Mode"].get<std::string>()));
    if (j.contains("Mtime")) {
      unixfs::UnixTime t;
      t.seconds = j.value("Mtime", int64_t{0});
      if (j.contains("MtimeNsecs")) t.nanos = j.value("MtimeNsecs", uint32_t{0});
      s.mtime = t;
    }
    return s;
  }

  Status files_ls(std::string_view path, bool details, const std::function<Status(const mfs::Listing&)>& fn) override {
    json j = TRY(call_json("files/ls", {{"arg", std::string(path)}, {"long", tf(details)}}));
    if (!j.contains("Entries") || !j["Entries"].is_array()) return {};
    for (const auto& e : j["Entries"]) {
      mfs::Listing l;
      l.name = e.value("Name", "");
      l.type = e.value("Type", 0);
      l.size = e.value("Size", uint64_t{0});
      std::string h = e.value("Hash", "");
      if (!h.empty()) l.cid = TRY(Cid::parse(h));
      TRY_STATUS(fn(l));
    }
    return {};
  }

  Status files_read(std::string_view path, uint64_t offset, std::optional<uint64_t> count,
                    const std::function<Status(ByteView)>& out) override {
    Params p{{"arg", std::string(path)}, {"offset", std::to_string(offset)}};
    if (count) p.emplace_back("count", std::to_string(*count));
    client::Response r = TRY(rpc_.post_stream(url("files/read", p), "", [](uint8_t*, size_t) -> Result<size_t> { return 0; },
                                              [&](ByteView b) { return out(b); }));
    return check(r);
  }

  Status files_write(std::string_view path, ByteReader& data, const mfs::WriteOptions& o) override {
    Params p{{"arg", std::string(path)},     {"offset", std::to_string(o.offset)}, {"create", tf(o.create)},
             {"parents", tf(o.parents)},     {"truncate", tf(o.truncate)}};
    if (o.count) p.emplace_back("count", std::to_string(*o.count));
    if (o.raw_leaves) p.emplace_back("raw-leaves", tf(*o.raw_leaves));
    add_prefix(p, o.prefix);
    SingleUpload upload(data);
    client::MultipartBody body(upload);
    std::string ignored;
    client::Response r = TRY(rpc_.post_stream(url("files/write", p), body.content_type(),
                                              [&](uint8_t* buf, size_t n) { return body.read(buf, n); },
                                              [&](ByteView) -> Status { return {}; }));
    return check(r);
  }

  Status files_mkdir(std::string_view path, const mfs::MkdirOptions& o) override {
    Params p{{"arg", std::string(path)}, {"parents", tf(o.parents)}};
    add_prefix(p, o.prefix);
    return call_json("files/mkdir", p).map([](json) {});
  }
  Status files_cp(std::string_view src, std::string_view dst, bool force, bool parents) override {
    return call_json("files/cp", {{"arg", std::string(src)}, {"arg", std::string(dst)}, {"force", tf(force)},
                                  {"parents", tf(parents)}})
        .map([](json) {});
  }
  Status files_mv(std::string_view src, std::string_view dst) override {
    return call_json("files/mv", {{"arg", std::string(src)}, {"arg", std::string(dst)}}).map([](json) {});
  }
  Status files_rm(const std::vector<std::string>& paths, bool recursive, bool force) override {
    Params p{{"recursive", tf(recursive)}, {"force", tf(force)}};
    for (const auto& x : paths) p.emplace_back("arg", x);
    return call_json("files/rm", p).map([](json) {});
  }
  Result<Cid> files_flush(std::string_view path) override {
    json j = TRY(call_json("files/flush", {{"arg", std::string(path)}}));
    return Cid::parse(j.value("Cid", ""));
  }
  Status files_chcid(std::string_view path, const mfs::CidPrefix& prefix) override {
    Params p{{"arg", std::string(path)}};
    add_prefix(p, prefix);
    return call_json("files/chcid", p).map([](json) {});
  }
  Status files_touch(std::string_view path, int64_t s, std::optional<uint32_t> ns) override {
    Params p{{"arg", std::string(path)}, {"mtime", std::to_string(s)}};
    if (ns) p.emplace_back("mtime-nsecs", std::to_string(*ns));
    return call_json("files/touch", p).map([](json) {});
  }
  Status files_chmod(std::string_view path, uint32_t mode) override {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode);
    return call_json("files/chmod", {{"arg", buf}, {"arg", std::string(path)}}).map([](json) {});
  }

 private:
  static std::string url(const std::string& command, const Params& params) {
    std::string path = "/api/v0/" + command;
    char sep = '?';
    for (const auto& [k, v] : params) {
      path += sep + client::url_encode(k) + "=" + client::url_encode(v);
      sep = '&';
    }
    return path;
  }
  static Status check(const client::Response& r) {
    if (r.status < 200 || r.status >= 300) return tl::unexpected(client::rpc_error(r));
    if (!r.stream_error.empty()) return io_error("the daemon stopped the reply: " + r.stream_error);
    return {};
  }
  // A command answering one JSON value (or nothing: null).
  Result<json> call_json(const std::string& command, const Params& params) {
    std::string body;
    client::Response r = TRY(rpc_.post_stream(url(command, params), "", [](uint8_t*, size_t) -> Result<size_t> { return 0; },
                                              [&](ByteView b) -> Status {
                                                if (body.size() + b.size() > (64u << 20))
                                                  return make_error(Code::kResourceExhausted, "reply too large");
                                                body.append(as_chars(b));
                                                return {};
                                              }));
    TRY_STATUS(check(r));
    if (body.find_first_not_of(" \r\n\t") == std::string::npos) return json(nullptr);
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) return corruption("the daemon sent a malformed reply to " + command);
    return j;
  }

  client::HttpClient rpc_;
};

}  // namespace

std::unique_ptr<Files> local_files(core::Node& node) { return std::make_unique<LocalFiles>(node); }
std::unique_ptr<Files> remote_files(client::HttpClient rpc) { return std::make_unique<RemoteFiles>(std::move(rpc)); }


// ---- api::Client's files_* ----

// Each call works on a fresh Files over the same repository or daemon: an
// Mfs holds no state between changes (the root lives in the index).
#define IPFSKIT_FILES_DELEGATE(Class, make)                                                                       \
  Result<mfs::Stat> Class::files_stat(std::string_view path) { return make->files_stat(path); }                   \
  Status Class::files_ls(std::string_view path, bool details, const std::function<Status(const mfs::Listing&)>& fn) { \
    return make->files_ls(path, details, fn);                                                                      \
  }                                                                                                                \
  Status Class::files_read(std::string_view path, uint64_t offset, std::optional<uint64_t> count,                  \
                           const std::function<Status(ByteView)>& out) {                                           \
    return make->files_read(path, offset, count, out);                                                             \
  }                                                                                                                \
  Status Class::files_write(std::string_view path, ByteReader& data, const mfs::WriteOptions& o) {                 \
    return make->files_write(path, data, o);                                                                       \
  }                                                                                                                \
  Status Class::files_mkdir(std::string_view path, const mfs::MkdirOptions& o) { return make->files_mkdir(path, o); } \
  Status Class::files_cp(std::string_view src, std::string_view dst, bool force, bool parents) {                   \
    return make->files_cp(src, dst, force, parents);                                                               \
  }                                                                                                                \
  Status Class::files_mv(std::string_view src, std::string_view dst) { return make->files_mv(src, dst); }          \
  Status Class::files_rm(const std::vector<std::string>& paths, bool recursive, bool force) {                      \
    return make->files_rm(paths, recursive, force);                                                                \
  }                                                                                                                \
  Result<Cid> Class::files_flush(std::string_view path) { return make->files_flush(path); }                       \
  Status Class::files_chcid(std::string_view path, const mfs::CidPrefix& p) { return make->files_chcid(path, p); } \
  Status Class::files_touch(std::string_view path, int64_t s, std::optional<uint32_t> ns) {                        \
    return make->files_touch(path, s, ns);                                                                         \
  }                                                                                                                \
  Status Class::files_chmod(std::string_view path, uint32_t mode) { return make->files_chmod(path, mode); }

IPFSKIT_FILES_DELEGATE(LocalClient, local_files(*TRY(node())))
IPFSKIT_FILES_DELEGATE(RemoteClient, remote_files(rpc_))
#undef IPFSKIT_FILES_DELEGATE

}  // namespace ipfskit::api
