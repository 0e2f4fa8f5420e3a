// A file that rotates when it reaches a size cap or when the rotation
// interval has passed: <file> becomes <file>.1, older ones shift up, and the
// oldest past `keep` is removed. The daemon's log and every supervised
// backend's output log (logs/backends/<name>.log) rotate this way.
//
// Not thread safe: the owner serializes writes (the log sink holds a lock,
// a supervised process has one reader thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "base/error.h"

namespace ipfskit::logging {

class RotatingFile {
 public:
  RotatingFile(std::string path, uint64_t max_bytes, int interval_seconds, int keep)
      : path_(std::move(path)), max_bytes_(max_bytes), interval_(interval_seconds), keep_(keep) {}
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Opens (appends to) the file.
  Status open();
  // Appends `data`, rotating first when it would pass the cap or the interval
  // has passed. Write errors are dropped: logging must not stop the process.
  void write(std::string_view data);
  void flush();
  void set_interval(int seconds) { interval_ = seconds; }
  const std::string& path() const { return path_; }

 private:
  void rotate();
  std::string path_;
  uint64_t max_bytes_;
  int interval_;
  int keep_;
  std::FILE* file_ = nullptr;
  uint64_t written_ = 0;
  std::chrono::steady_clock::time_point opened_;
};

}  // namespace ipfskit::logging
