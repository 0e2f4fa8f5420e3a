// Prometheus metrics: lock-free HTTP request statistics, process resources
// read from /proc, and a writer for the text exposition format (version 0.0.4)
// that `promtool check metrics` accepts.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace ipfskit::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes families in the text format: HELP and TYPE once, then samples.
class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, uint64_t value);
  const std::string& text() const { return out_; }

 private:
  void labels(const Labels& labels);
  std::string out_;
};

// Requests served by one HTTP listener: counts by status code, a latency
// histogram and bytes sent. observe() is safe from any thread and never locks.
class HttpStats {
 public:
  static constexpr std::array<int, 24> kCodes = {200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 405,
                                                 406, 408, 412, 413, 416, 429, 431, 500, 501, 502, 503, 504};
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,   5,     10};

  explicit HttpStats(std::string listener) : listener_(std::move(listener)) {}
  void observe(int status, double seconds, uint64_t bytes_out);

  const std::string& listener() const { return listener_; }
  uint64_t requests() const { return count_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  double seconds_sum() const { return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9; }
  // Requests with this status ("other" codes are counted under 0).
  std::vector<std::pair<int, uint64_t>> by_code() const;

  // Sample lines for the families written by write_http_families().
  void write_requests(Writer& w) const;
  void write_duration(Writer& w) const;
  void write_bytes(Writer& w) const;

 private:
  std::string listener_;
  std::array<std::atomic<uint64_t>, kCodes.size() + 1> codes_{};
  std::array<std::atomic<uint64_t>, kBuckets.size()> buckets_{};  // not cumulative
  std::atomic<uint64_t> count_{0}, sum_ns_{0}, bytes_{0};
};

// All listeners' request families, each family written once.
void write_http_families(Writer& w, const std::vector<const HttpStats*>& listeners);

struct ProcessStats {
  double cpu_seconds = 0;
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  uint64_t threads = 0;
  double start_time_seconds = 0;  // unix time
};
Result<ProcessStats> read_process_stats();
void write_process_families(Writer& w, const ProcessStats& p);

}  // namespace ipfskit::metrics
