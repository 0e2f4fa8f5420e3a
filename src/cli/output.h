// Terminal output shared by commands: errors, progress bars, escaping.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipfskit::cli {

bool stderr_is_terminal();
bool stdout_is_terminal();

// "1.50 MiB"
std::string human_bytes(uint64_t bytes);

// Escapes non-printable characters in names the way Kubo's EscNonPrint does
// (Go %q escapes, without the quotes), so that a file name cannot rewrite the terminal.
std::string escape_nonprint(std::string_view s);

// Prints rows as aligned columns (the first row is the header).
void print_columns(const std::vector<std::vector<std::string>>& rows);

// A JSON value as a table cell: "-" for null or "", yes/no for booleans.
std::string cell(const nlohmann::json& v);

// A byte-count progress bar on stderr, redrawn at most ten times a second.
class ProgressBar {
 public:
  explicit ProgressBar(uint64_t total) : total_(total) {}
  ~ProgressBar() { finish(); }
  void add(uint64_t n);
  void set_total(uint64_t total) { total_ = total; }
  void finish();
  // Erases the bar so that a normal output line can be printed.
  void clear_line();

 private:
  void draw(bool force);
  uint64_t total_;
  uint64_t done_ = 0;
  bool finished_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace ipfskit::cli
