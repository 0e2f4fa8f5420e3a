#include "base/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace ipfskit {

Result<size_t> ByteReader::read_full(uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t r = TRY(read(buf + got, n - got));
    if (r == 0) break;
    got += r;
  }
  return got;
}

Result<size_t> FdReader::read(uint8_t* buf, size_t n) {
  for (;;) {
    ssize_t r = ::read(fd_, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    return tl::unexpected(errno_error("read " + name_));
  }
}

Result<size_t> MemoryReader::read(uint8_t* buf, size_t n) {
  size_t take = std::min(n, data_.size() - pos_);
  if (take > 0) std::memcpy(buf, data_.data() + pos_, take);
  pos_ += take;
  return take;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<UniqueFd> open_file(const std::string& path, int flags, int mode) {
  for (;;) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EINTR) continue;
    return tl::unexpected(errno_error("open " + path));
  }
}

Status write_all(int fd, ByteView data, std::string_view name) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(errno_error("write " + std::string(name)));
    }
    done += static_cast<size_t>(w);
  }
  return {};
}

Result<Bytes> read_file(const std::string& path) {
  UniqueFd fd = TRY(open_file(path, O_RDONLY));
  Bytes out;
  uint8_t buf[65536];
  FdReader reader(fd.get(), path);
  for (;;) {
    size_t n = TRY(reader.read(buf, sizeof buf));
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

static std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status write_file_atomic(const std::string& path, ByteView data) {
  std::random_device rd;
  std::string tmp = path + ".tmp." + std::to_string(rd());
  {
    UniqueFd fd = TRY(open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
    // A replaced file keeps its permissions (a config.json holding a token
    // that was made private stays private).
    struct stat old;
    Status st;
    if (::stat(path.c_str(), &old) == 0 && ::fchmod(fd.get(), old.st_mode & 07777) != 0)
      st = tl::unexpected(errno_error("chmod " + tmp));
    if (st) st = write_all(fd.get(), data, tmp);
    if (st && ::fsync(fd.get()) != 0) st = tl::unexpected(errno_error("fsync " + tmp));
    if (!st) {
      ::unlink(tmp.c_str());
      return st;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = errno_error("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return tl::unexpected(e);
  }
  std::string dir = parent_dir(path);
  UniqueFd dfd = TRY(open_file(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(dfd.get()) != 0) return tl::unexpected(errno_error("fsync " + dir));
  return {};
}

}  // namespace ipfskit
