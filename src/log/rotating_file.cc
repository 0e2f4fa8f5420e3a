#include "log/rotating_file.h"

#include <sys/stat.h>

namespace ipfskit::logging {

RotatingFile::~RotatingFile() {
  if (file_ != nullptr) std::fclose(file_);
}

Status RotatingFile::open() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(path_.c_str(), "a");
  if (file_ == nullptr) return tl::unexpected(errno_error("open log file " + path_));
  struct stat st;
  written_ = ::fstat(fileno(file_), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  opened_ = std::chrono::steady_clock::now();
  return {};
}

void RotatingFile::write(std::string_view data) {
  if (file_ == nullptr) return;
  if (written_ + data.size() > max_bytes_ || std::chrono::steady_clock::now() - opened_ >= std::chrono::seconds(interval_))
    rotate();
  if (file_ == nullptr) return;
  std::fwrite(data.data(), 1, data.size(), file_);
  written_ += data.size();
}

void RotatingFile::flush() {
  if (file_ != nullptr) std::fflush(file_);
}

void RotatingFile::rotate() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  std::remove((path_ + "." + std::to_string(keep_)).c_str());
  for (int i = keep_ - 1; i >= 1; --i)
    std::rename((path_ + "." + std::to_string(i)).c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
  if (keep_ >= 1) std::rename(path_.c_str(), (path_ + ".1").c_str());
  else std::remove(path_.c_str());
  (void)open();
}

}  // namespace ipfskit::logging
