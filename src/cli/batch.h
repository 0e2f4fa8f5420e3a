// The seeds' batch options, the same on every command that takes several
// targets (add, pin add|rm, block rm, dag import, health check, ...):
//  - comma-separated lists ("a,b,c") wherever CIDs or names are taken (file
//    paths only with --parallel: a file name may contain a comma);
//  - --parallel: items run side by side on --workers threads (output lines
//    come in completion order);
//  - --progress (the default on a terminal for large batches): done/total,
//    rate and ETA on stderr;
//  - a failing item is reported ("Error: ..." on stderr) and the others go
//    on; at the end a summary error ("2 of 5 pins failed") with the first
//    failure's code gives the exit status. A batch of one fails exactly as
//    the single command always did: one line, its own code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.h"

namespace ipfskit::cli {

class Context;

struct BatchFlags {
  bool parallel = false;
  bool progress = false;
  CLI::Option* progress_opt = nullptr;  // given explicitly (--progress or --progress=false)
};

// Adds --parallel and --progress to a command.
void add_batch_flags(CLI::App* cmd, BatchFlags& flags);

// Counts a batch's outcomes, prints failures and progress, and makes the
// summary. Thread safe: items may finish on several threads.
class BatchReport {
 public:
  // `noun` names the items in the summary ("pins", "blocks", "files").
  // Without --progress or --progress=false, the bar is drawn on a terminal
  // for batches of more than `terminal_min` items.
  BatchReport(size_t total, std::string noun, const BatchFlags& flags, size_t terminal_min = 100);
  ~BatchReport();

  // Prints a line of the command's normal output (stdout), keeping the
  // progress line intact.
  void print(const std::string& line);
  void succeeded();
  // More to show on the progress line ("12.5 MiB fetched").
  void set_detail(std::string detail);
  // The total, when it is learnt after the start.
  void set_total(size_t total);
  // Both counts at once, for work that reports its own (a daemon's pass).
  void set_progress(size_t done, size_t total);
  void failed(const Error& e);
  // The batch's outcome: OK, the single failure of a batch of one, or the summary.
  Status finish();
  size_t failures() const;

 private:
  void draw(bool force);
  void clear();

  size_t total_;
  std::string detail_;
  const std::string noun_;
  bool show_progress_ = false;
  mutable std::mutex mu_;
  size_t done_ = 0, failed_ = 0;
  std::optional<Error> first_error_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_draw_{};
};

// Runs `run` on every item, on up to `workers` threads with --parallel (in
// order otherwise), recording each outcome in `report`, and returns
// report.finish().
Status run_items(const std::vector<std::string>& items, const BatchFlags& flags, size_t workers, BatchReport& report,
                 const std::function<Status(const std::string& item)>& run);

// Splits the items into up to `shards` contiguous runs (for commands whose
// API call takes a list: each run is one call, on its own thread).
std::vector<std::vector<std::string>> shard(const std::vector<std::string>& items, size_t shards);

// Parses a duration: "500ms", "30s", "5m", "1h", "1h30m", or bare seconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace ipfskit::cli
