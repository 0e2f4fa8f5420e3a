#include "cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace ipfskit::cli {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }
bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

std::string human_bytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.2f %s", v, kUnits[u]);
  return buf;
}

std::string escape_nonprint(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    char buf[8];
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
    }
  }
  return out;
}

void ProgressBar::add(uint64_t n) {
  done_ += n;
  draw(false);
}

void ProgressBar::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  std::string rate = secs > 0 ? human_bytes(static_cast<uint64_t>(static_cast<double>(done_) / secs)) + "/s" : "";
  constexpr int kWidth = 30;
  if (total_ > 0) {
    double frac = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    int fill = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(fill), '=');
    if (fill < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r\033[2K %s / %s [%s] %6.2f%% %s", human_bytes(done_).c_str(), human_bytes(total_).c_str(),
                 bar.c_str(), frac * 100.0, rate.c_str());
  } else {
    std::fprintf(stderr, "\r\033[2K %s %s", human_bytes(done_).c_str(), rate.c_str());
  }
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::clear_line() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[2K");
    std::fflush(stderr);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

void print_columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

std::string cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : escape_nonprint(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ipfskit::cli
