#include "metrics/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace ipfskit::metrics {

void Writer::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void Writer::labels(const Labels& labels) {
  if (labels.empty()) return;
  out_ += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    for (char c : v) {
      if (c == '\\' || c == '"') out_ += '\\';
      if (c == '\n') {
        out_ += "\\n";
        continue;
      }
      out_ += c;
    }
    out_ += '"';
  }
  out_ += '}';
}

void Writer::sample(std::string_view name, const Labels& l, double value) {
  out_ += name;
  labels(l);
  out_ += ' ';
  if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, r.ptr);
  }
  out_ += '\n';
}

void Writer::sample(std::string_view name, const Labels& l, uint64_t value) {
  out_ += name;
  labels(l);
  out_ += ' ';
  out_ += std::to_string(value);
  out_ += '\n';
}

void HttpStats::observe(int status, double seconds, uint64_t bytes_out) {
  size_t code_index = kCodes.size();
  for (size_t i = 0; i < kCodes.size(); ++i)
    if (kCodes[i] == status) {
      code_index = i;
      break;
    }
  codes_[code_index].fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(std::max(0.0, seconds) * 1e9), std::memory_order_relaxed);
  bytes_.fetch_add(bytes_out, std::memory_order_relaxed);
}

std::vector<std::pair<int, uint64_t>> HttpStats::by_code() const {
  std::vector<std::pair<int, uint64_t>> out;
  for (size_t i = 0; i <= kCodes.size(); ++i) {
    uint64_t n = codes_[i].load(std::memory_order_relaxed);
    if (n > 0) out.emplace_back(i < kCodes.size() ? kCodes[i] : 0, n);
  }
  return out;
}

void HttpStats::write_requests(Writer& w) const {
  for (const auto& [code, n] : by_code())
    w.sample("ipfskit_http_requests_total", {{"listener", listener_}, {"code", code == 0 ? "other" : std::to_string(code)}}, n);
}

void HttpStats::write_duration(Writer& w) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    char le[32];
    auto r = std::to_chars(le, le + sizeof le, kBuckets[i]);
    w.sample("ipfskit_http_request_duration_seconds_bucket", {{"listener", listener_}, {"le", std::string(le, r.ptr)}},
             cumulative);
  }
  const uint64_t count = count_.load(std::memory_order_relaxed);
  w.sample("ipfskit_http_request_duration_seconds_bucket", {{"listener", listener_}, {"le", "+Inf"}}, count);
  w.sample("ipfskit_http_request_duration_seconds_sum", {{"listener", listener_}}, seconds_sum());
  w.sample("ipfskit_http_request_duration_seconds_count", {{"listener", listener_}}, count);
}

void HttpStats::write_bytes(Writer& w) const {
  w.sample("ipfskit_http_response_bytes_total", {{"listener", listener_}}, bytes());
}

void write_http_families(Writer& w, const std::vector<const HttpStats*>& listeners) {
  w.family("ipfskit_http_requests_total", "counter", "HTTP requests answered, by listener and status code.");
  for (const auto* l : listeners) l->write_requests(w);
  w.family("ipfskit_http_request_duration_seconds", "histogram", "Time from a request's header to its last byte.");
  for (const auto* l : listeners) l->write_duration(w);
  w.family("ipfskit_http_response_bytes_total", "counter", "Response body bytes sent, by listener.");
  for (const auto* l : listeners) l->write_bytes(w);
}

Result<ProcessStats> read_process_stats() {
  ProcessStats p;
  // /proc/self/stat: utime (14) and stime (15) in clock ticks, starttime (22)
  // in ticks since boot, vsize (23) in bytes, rss (24) in pages, threads (20).
  std::ifstream stat("/proc/self/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close_paren = content.rfind(')');
  if (close_paren == std::string::npos) return io_error("cannot read /proc/self/stat");
  std::istringstream fields(content.substr(close_paren + 2));
  std::vector<std::string> f;
  std::string tok;
  while (fields >> tok) f.push_back(tok);
  // f[0] is field 3 (state).
  auto field = [&](int n) -> uint64_t { return n - 3 < static_cast<int>(f.size()) ? std::stoull(f[n - 3]) : 0; };
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  p.cpu_seconds = static_cast<double>(field(14) + field(15)) / ticks;
  p.threads = field(20);
  p.virtual_bytes = field(23);
  p.resident_bytes = field(24) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  struct sysinfo si;
  if (::sysinfo(&si) == 0) {
    const double boot = static_cast<double>(std::time(nullptr)) - static_cast<double>(si.uptime);
    p.start_time_seconds = boot + static_cast<double>(field(22)) / ticks;
  }
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++p.open_fds;
    ::closedir(d);
    if (p.open_fds > 0) --p.open_fds;  // the directory stream itself
  }
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) p.max_fds = rl.rlim_cur;
  return p;
}

void write_process_families(Writer& w, const ProcessStats& p) {
  w.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  w.sample("process_cpu_seconds_total", {}, p.cpu_seconds);
  w.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  w.sample("process_resident_memory_bytes", {}, p.resident_bytes);
  w.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  w.sample("process_virtual_memory_bytes", {}, p.virtual_bytes);
  w.family("process_open_fds", "gauge", "Number of open file descriptors.");
  w.sample("process_open_fds", {}, p.open_fds);
  w.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
  w.sample("process_max_fds", {}, p.max_fds);
  w.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  w.sample("process_start_time_seconds", {}, p.start_time_seconds);
  w.family("ipfskit_process_threads", "gauge", "Threads of the process.");
  w.sample("ipfskit_process_threads", {}, p.threads);
}

}  // namespace ipfskit::metrics
