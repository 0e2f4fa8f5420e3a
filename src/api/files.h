// The MFS operations behind api::Client's files_* methods (client.h), in
// one place for both sides: LocalFiles runs mfs::Mfs on the repository,
// RemoteFiles calls a daemon's /api/v0/files/* (Kubo's wire format, see
// rpc/files_rpc.cc). LocalClient and RemoteClient delegate to them (their
// files_* are defined in files.cc); errors carry the same Code on both sides
// (the RPC's "Kind").
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/io.h"
#include "client/http_client.h"
#include "core/node.h"
#include "mfs/mfs.h"

namespace ipfskit::api {

class Files {
 public:
  virtual ~Files() = default;
  virtual std::string_view where() const = 0;  // "local" or "daemon"

  virtual Result<mfs::Stat> files_stat(std::string_view path) = 0;
  // `with_details`: type, size and CID of each entry (ls -l).
  virtual Status files_ls(std::string_view path, bool with_details, const std::function<Status(const mfs::Listing&)>& fn) = 0;
  virtual Status files_read(std::string_view path, uint64_t offset, std::optional<uint64_t> count,
                            const std::function<Status(ByteView)>& out) = 0;
  virtual Status files_write(std::string_view path, ByteReader& data, const mfs::WriteOptions& options) = 0;
  virtual Status files_mkdir(std::string_view path, const mfs::MkdirOptions& options) = 0;
  virtual Status files_cp(std::string_view src, std::string_view dst, bool force, bool parents) = 0;
  virtual Status files_mv(std::string_view src, std::string_view dst) = 0;
  virtual Status files_rm(const std::vector<std::string>& paths, bool recursive, bool force) = 0;
  virtual Result<Cid> files_flush(std::string_view path) = 0;
  virtual Status files_chcid(std::string_view path, const mfs::CidPrefix& prefix) = 0;
  virtual Status files_touch(std::string_view path, int64_t seconds, std::optional<uint32_t> nanos) = 0;
  virtual Status files_chmod(std::string_view path, uint32_t mode) = 0;
};

// On the repository through `node` (which must outlive the result).
std::unique_ptr<Files> local_files(core::Node& node);
// Through a daemon's Kubo RPC.
std::unique_ptr<Files> remote_files(client::HttpClient rpc);

}  // namespace ipfskit::api
