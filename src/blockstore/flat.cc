#include "blockstore/flat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "base/io.h"
#include "multiformats/multibase.h"

namespace ipfskit {

std::string block_key(const Multihash& mh) {
  return multibase::encode_raw(multibase::Base::kBase32Upper, mh.bytes());
}

namespace {
Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return tl::unexpected(errno_error("mkdir " + path));
  return {};
}
}  // namespace

Result<std::unique_ptr<FlatBlockStore>> FlatBlockStore::open(const std::string& root) {
  TRY_STATUS(make_dir(root));
  return std::unique_ptr<FlatBlockStore>(new FlatBlockStore(root));
}

std::string FlatBlockStore::path_of(const Cid& cid) const {
  std::string key = block_key(cid.multihash());
  std::string shard = key.size() >= 3 ? key.substr(key.size() - 3, 2) : "__";
  return root_ + "/" + shard + "/" + key + ".data";
}

Status FlatBlockStore::put(const Cid& cid, ByteView data) {
  if (cid.is_identity()) return {};
  static std::atomic<uint64_t> counter{0};
  const std::string path = path_of(cid);
  const std::string dir = path.substr(0, path.rfind('/'));
  const std::string tmp = path + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  auto fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!fd && fd.error().code() == Code::kNotFound) {
    TRY_STATUS(make_dir(dir));
    fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (!fd) return tl::unexpected(fd.error());
  Status st = write_all(fd->get(), data, tmp);
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0) st = tl::unexpected(errno_error("rename " + tmp));
  if (!st) ::unlink(tmp.c_str());
  return st;
}

Result<Bytes> FlatBlockStore::get(const Cid& cid) {
  if (cid.is_identity()) return to_bytes(cid.multihash().digest());
  auto data = read_file(path_of(cid));
  if (!data) {
    if (data.error().code() == Code::kNotFound) return not_found("block not found: " + cid.to_string());
    return tl::unexpected(data.error());
  }
  TRY_STATUS(verify_block(cid, *data));
  return data;
}

Result<bool> FlatBlockStore::has(const Cid& cid) {
  if (cid.is_identity()) return true;
  struct stat st;
  if (::stat(path_of(cid).c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return tl::unexpected(errno_error("stat " + path_of(cid)));
}

Status FlatBlockStore::remove(const Cid& cid) {
  if (::unlink(path_of(cid).c_str()) != 0) {
    if (errno == ENOENT) return not_found("block not found: " + cid.to_string());
    return tl::unexpected(errno_error("remove " + path_of(cid)));
  }
  return {};
}

}  // namespace ipfskit
