#include "log/log.h"

#include "log/rotating_file.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace ipfskit::logging {

namespace {

// The daemon's log file: a RotatingFile under spdlog's sink lock.
class RotatingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RotatingSink(std::string path, uint64_t max_bytes, int interval_seconds, int keep)
      : file_(std::move(path), max_bytes, interval_seconds, keep) {}

  Status open() {
    std::lock_guard lock(mutex_);
    return file_.open();
  }
  void set_interval(int seconds) {
    std::lock_guard lock(mutex_);
    file_.set_interval(seconds);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(std::string_view(formatted.data(), formatted.size()));
  }
  void flush_() override { file_.flush(); }

 private:
  RotatingFile file_;
};

std::mutex g_mu;
std::shared_ptr<spdlog::logger> g_logger;
// The level, readable without the lock: hot paths ask debug_enabled() per request.
std::atomic<int> g_level{spdlog::level::info};
std::shared_ptr<RotatingSink> g_file;

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lock(g_mu);
  if (!g_logger) {
    g_logger = std::make_shared<spdlog::logger>("ipfs-kit", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    g_logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  }
  return g_logger;
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  std::string n(name);
  for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n == "DEBUG") return spdlog::level::debug;
  if (n == "INFO") return spdlog::level::info;
  if (n == "WARNING" || n == "WARN") return spdlog::level::warn;
  if (n == "ERROR") return spdlog::level::err;
  if (n == "CRITICAL") return spdlog::level::critical;
  return std::nullopt;
}

// logfmt: a value is quoted when it has spaces, quotes or '='.
void append_value(std::string& out, std::string_view v) {
  bool quote = v.empty() || v.find_first_of(" \"=\t\n\r\\") != std::string_view::npos;
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  out += '"';
}

void log_at(spdlog::level::level_enum level, std::string_view component, std::string_view msg, Fields fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  auto l = logger();
  if (!l->should_log(level)) return;
  std::string line = "component=";
  line += component;
  line += " msg=";
  append_value(line, msg);
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    append_value(line, v);
  }
  l->log(level, "{}", line);
}

}  // namespace

Status init(const Options& o) {
  auto level = parse_level(o.level);
  if (!level) return invalid_argument("unknown log level \"" + o.level + "\"");
  std::vector<spdlog::sink_ptr> sinks;
  std::shared_ptr<RotatingSink> file;
  if (!o.file.empty()) {
    file = std::make_shared<RotatingSink>(o.file, o.max_file_bytes, o.rotation_interval_seconds, o.keep_files);
    TRY_STATUS(file->open());
    sinks.push_back(file);
  }
  if (o.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto l = std::make_shared<spdlog::logger>("ipfs-kit", sinks.begin(), sinks.end());
  l->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  l->set_level(*level);
  g_level = *level;
  l->flush_on(spdlog::level::debug);  // every line reaches the file at once (log tail -f, crashes)
  std::lock_guard lock(g_mu);
  g_logger = l;
  g_file = file;
  return {};
}

Status set_level(std::string_view name) {
  auto level = parse_level(name);
  if (!level) return invalid_argument("unknown log level \"" + std::string(name) + "\"");
  logger()->set_level(*level);
  g_level = *level;
  return {};
}

void set_rotation_interval(int seconds) {
  std::lock_guard lock(g_mu);
  if (g_file) g_file->set_interval(seconds);
}

bool debug_enabled() { return g_level.load(std::memory_order_relaxed) <= spdlog::level::debug; }

void shutdown() {
  auto l = logger();
  l->flush();
  std::lock_guard lock(g_mu);
  g_logger.reset();
  g_file.reset();
}

void debug(std::string_view c, std::string_view m, Fields f) { log_at(spdlog::level::debug, c, m, f); }
void info(std::string_view c, std::string_view m, Fields f) { log_at(spdlog::level::info, c, m, f); }
void warn(std::string_view c, std::string_view m, Fields f) { log_at(spdlog::level::warn, c, m, f); }
void error(std::string_view c, std::string_view m, Fields f) { log_at(spdlog::level::err, c, m, f); }

}  // namespace ipfskit::logging
