#include "client/upload.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "client/http_client.h"

namespace ipfskit::client {

namespace {

std::string random_boundary() {
  static const char* kHex = "0123456789abcdef";
  std::random_device rd;
  std::string b = "ipfs-kit-";
  for (int i = 0; i < 32; ++i) b += kHex[rd() & 15];
  return b;
}

const char* part_type(unixfs::UploadEntry::Kind kind) {
  switch (kind) {
    case unixfs::UploadEntry::Kind::kDirectory: return "application/x-directory";
    case unixfs::UploadEntry::Kind::kSymlink: return "application/symlink";
    case unixfs::UploadEntry::Kind::kFile: break;
  }
  return "application/octet-stream";
}

}  // namespace

MultipartBody::MultipartBody(unixfs::UploadSource& source)
    : source_(source), boundary_(random_boundary()), content_type_("multipart/form-data; boundary=" + boundary_) {}

Result<size_t> MultipartBody::read(uint8_t* buf, size_t n) {
  size_t out = 0;
  while (out < n) {
    if (pending_pos_ < pending_.size()) {
      size_t k = std::min(n - out, pending_.size() - pending_pos_);
      std::memcpy(buf + out, pending_.data() + pending_pos_, k);
      pending_pos_ += k;
      out += k;
      continue;
    }
    if (content_ != nullptr) {
      size_t k = TRY(content_->read(buf + out, n - out));
      if (k > 0) {
        out += k;
        // Hand over what we have: a file's reads are large, and the
        // transfer should not wait for small ones to accumulate.
        return out;
      }
      content_ = nullptr;
      continue;
    }
    if (finished_) break;
    // The next part (the body starts with its boundary; later parts end the
    // previous part's content with CRLF first).
    pending_ = started_ ? "\r\n" : "";
    pending_pos_ = 0;
    started_ = true;
    std::optional<unixfs::UploadEntry> e = TRY(source_.next());
    if (!e) {
      pending_ += "--" + boundary_ + "--\r\n";
      finished_ = true;
      continue;
    }
    pending_ += "--" + boundary_ + "\r\n";
    pending_ += "Content-Disposition: form-data; name=\"file\"; filename=\"" + url_encode(e->path) + "\"\r\n";
    pending_ += std::string("Content-Type: ") + part_type(e->kind) + "\r\n\r\n";
    content_ = e->kind == unixfs::UploadEntry::Kind::kDirectory ? nullptr : e->content;
  }
  return out;
}

Result<std::optional<unixfs::UploadEntry>> FilesUpload::next() {
  reader_.reset();
  fd_ = UniqueFd();
  if (next_ >= files_.size()) return std::optional<unixfs::UploadEntry>();
  const std::string& f = files_[next_++];
  unixfs::UploadEntry e;
  if (f.empty()) {
    reader_ = std::make_unique<FdReader>(STDIN_FILENO, "standard input");
    e.path = stdin_name_;
  } else {
    fd_ = TRY(open_file(f, O_RDONLY));
    reader_ = std::make_unique<FdReader>(fd_.get(), f);
    e.path = f.substr(f.rfind('/') == std::string::npos ? 0 : f.rfind('/') + 1);
  }
  e.content = reader_.get();
  return std::optional<unixfs::UploadEntry>(std::move(e));
}

}  // namespace ipfskit::client
