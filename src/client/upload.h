// Request bodies for the RPC commands that take files (add, block put, dag
// import): an upload as multipart/form-data, the way Kubo's clients send it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/io.h"
#include "unixfs/importer.h"

namespace ipfskit::client {

// Streams an upload as a multipart/form-data body: one part per entry, its
// filename the URL-escaped path, its type a file (application/octet-stream),
// a directory (application/x-directory) or a symlink (application/symlink,
// the target as content). Content is read from the source as it is sent.
class MultipartBody {
 public:
  explicit MultipartBody(unixfs::UploadSource& source);
  const std::string& content_type() const { return content_type_; }
  // Fills `buf` with the next bytes of the body; 0 at the end. Usable as a
  // client::BodySource.
  Result<size_t> read(uint8_t* buf, size_t n);

 private:
  unixfs::UploadSource& source_;
  std::string boundary_, content_type_;
  std::string pending_;  // framing not yet sent
  size_t pending_pos_ = 0;
  ByteReader* content_ = nullptr;  // the current entry's content
  bool started_ = false, finished_ = false;
};

// Files named on the command line as an upload, one part each under its
// base name; "" is standard input, named `stdin_name` (nameless when empty).
class FilesUpload : public unixfs::UploadSource {
 public:
  explicit FilesUpload(std::vector<std::string> files, std::string stdin_name = "")
      : files_(std::move(files)), stdin_name_(std::move(stdin_name)) {}
  Result<std::optional<unixfs::UploadEntry>> next() override;

 private:
  std::vector<std::string> files_;
  std::string stdin_name_;
  size_t next_ = 0;
  UniqueFd fd_;
  std::unique_ptr<FdReader> reader_;
};

// One stream as an upload: a single file part named `name` (nameless when
// empty), its content read from `content` as it is sent.
class StreamUpload : public unixfs::UploadSource {
 public:
  StreamUpload(ByteReader& content, std::string name) : content_(content), name_(std::move(name)) {}
  Result<std::optional<unixfs::UploadEntry>> next() override {
    if (done_) return std::optional<unixfs::UploadEntry>();
    done_ = true;
    unixfs::UploadEntry e;
    e.path = name_;
    e.content = &content_;
    return std::optional<unixfs::UploadEntry>(std::move(e));
  }

 private:
  ByteReader& content_;
  std::string name_;
  bool done_ = false;
};

}  // namespace ipfskit::client
