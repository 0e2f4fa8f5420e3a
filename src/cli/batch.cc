#include "cli/batch.h"

#include <atomic>
#include <cstdio>
#include <thread>

#include "cli/output.h"

namespace ipfskit::cli {

void add_batch_flags(CLI::App* cmd, BatchFlags& flags) {
  cmd->add_flag("--parallel", flags.parallel, "run the items side by side (--workers threads)");
  flags.progress_opt = cmd->add_flag("--progress", flags.progress, "show done/total, rate and ETA on stderr");
}

BatchReport::BatchReport(size_t total, std::string noun, const BatchFlags& flags, size_t terminal_min)
    : total_(total), noun_(std::move(noun)) {
  // Explicit --progress draws anywhere; by default only on a terminal, and
  // only for batches long enough to want it.
  if (flags.progress_opt == nullptr) show_progress_ = false;  // a command that draws its own
  else if (flags.progress_opt->count() > 0) show_progress_ = flags.progress;
  else show_progress_ = total > terminal_min && stderr_is_terminal();
}

BatchReport::~BatchReport() {
  std::lock_guard lock(mu_);
  clear();
}

void BatchReport::clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[2K");
  std::fflush(stderr);
  drawn_ = false;
}

void BatchReport::draw(bool force) {
  if (!show_progress_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done_) / secs : 0;
  std::string eta = "-";
  if (rate > 0 && total_ >= done_) {
    const auto left = static_cast<uint64_t>(static_cast<double>(total_ - done_) / rate);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(left / 60),
                  static_cast<unsigned long long>(left % 60));
    eta = buf;
  }
  std::fprintf(stderr, "\r\033[2K %zu/%zu %s, %.1f/s, ETA %s%s%s", done_, total_, noun_.c_str(), rate, eta.c_str(),
               failed_ > 0 ? (", " + std::to_string(failed_) + " failed").c_str() : "",
               detail_.empty() ? "" : (", " + detail_).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void BatchReport::print(const std::string& line) {
  std::lock_guard lock(mu_);
  clear();
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  draw(false);
}

void BatchReport::set_detail(std::string detail) {
  std::lock_guard lock(mu_);
  detail_ = std::move(detail);
  draw(false);
}

void BatchReport::set_total(size_t total) {
  std::lock_guard lock(mu_);
  total_ = total;
  draw(false);
}

void BatchReport::set_progress(size_t done, size_t total) {
  std::lock_guard lock(mu_);
  done_ = done;
  total_ = total;
  draw(false);
}

void BatchReport::succeeded() {
  std::lock_guard lock(mu_);
  ++done_;
  draw(false);
}

void BatchReport::failed(const Error& e) {
  std::lock_guard lock(mu_);
  ++done_;
  ++failed_;
  if (!first_error_) first_error_ = e;
  // A batch of one reports its failure as the command's error, once.
  if (total_ > 1) {
    clear();
    std::fflush(stdout);
    std::fprintf(stderr, "Error: %s\n", e.message().c_str());
    std::fflush(stderr);
  }
  draw(false);
}

size_t BatchReport::failures() const {
  std::lock_guard lock(mu_);
  return failed_;
}

Status BatchReport::finish() {
  std::lock_guard lock(mu_);
  if (show_progress_) {
    draw(true);
    std::fprintf(stderr, "\n");
    drawn_ = false;
  }
  if (!first_error_) return {};
  if (total_ <= 1) return tl::unexpected(*first_error_);
  return make_error(first_error_->code(), std::to_string(failed_) + " of " + std::to_string(total_) + " " + noun_ +
                                              " failed (the first: " + first_error_->message() + ")");
}

Status run_items(const std::vector<std::string>& items, const BatchFlags& flags, size_t workers, BatchReport& report,
                 const std::function<Status(const std::string& item)>& run) {
  auto one = [&](const std::string& item) {
    Status st = run(item);
    if (st) report.succeeded();
    else report.failed(st.error());
  };
  if (!flags.parallel || items.size() < 2) {
    for (const auto& item : items) one(item);
    return report.finish();
  }
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < std::min(workers, items.size()); ++t)
    threads.emplace_back([&] {
      for (size_t i = next++; i < items.size(); i = next++) one(items[i]);
    });
  for (auto& t : threads) t.join();
  return report.finish();
}

std::vector<std::vector<std::string>> shard(const std::vector<std::string>& items, size_t shards) {
  shards = std::max<size_t>(1, std::min(shards, items.size()));
  std::vector<std::vector<std::string>> out(shards);
  const size_t per = (items.size() + shards - 1) / shards;
  for (size_t i = 0; i < items.size(); ++i) out[i / per].push_back(items[i]);
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return invalid_argument("empty duration");
  double total_ms = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return invalid_argument("invalid duration \"" + std::string(text) + "\" (e.g. 30s, 5m, 1h30m, 500ms)");
    double value = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double factor = 0;
    if (unit.empty()) factor = any ? 0 : 1000;  // a bare number is seconds
    else if (unit == "ms") factor = 1;
    else if (unit == "s") factor = 1000;
    else if (unit == "m") factor = 60000;
    else if (unit == "h") factor = 3600000;
    if (factor == 0) return invalid_argument("invalid duration \"" + std::string(text) + "\" (e.g. 30s, 5m, 1h30m, 500ms)");
    total_ms += value * factor;
    any = true;
  }
  if (total_ms <= 0 || total_ms > 1e12) return invalid_argument("duration out of range: \"" + std::string(text) + "\"");
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

}  // namespace ipfskit::cli
