// Structured logging for the long-running processes (the daemon; later the
// MCP server): one logfmt line per event,
//   ts=2026-11-21T10:00:00.123+0000 level=info component=rpc msg="..." key=value
// to standard error and/or logs/<name>.log, which rotates when it reaches a
// size cap or when the rotation interval has passed (keeping a few old files).
// Built on spdlog. Until init() is called, messages go to standard error.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace ipfskit::logging {

struct Options {
  std::string file;                 // "" for no file
  bool to_stderr = true;
  std::string level = "INFO";       // DEBUG, INFO, WARNING, ERROR, CRITICAL
  uint64_t max_file_bytes = 16ULL << 20;
  int rotation_interval_seconds = 3600;
  int keep_files = 5;               // rotated files kept: <file>.1 .. <file>.N
};

Status init(const Options& options);
// Changes the level at run time (config reload). Unknown names are an error.
Status set_level(std::string_view level);
void set_rotation_interval(int seconds);
bool debug_enabled();
// Flushes and closes the file.
void shutdown();

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void debug(std::string_view component, std::string_view msg, Fields fields = {});
void info(std::string_view component, std::string_view msg, Fields fields = {});
void warn(std::string_view component, std::string_view msg, Fields fields = {});
void error(std::string_view component, std::string_view msg, Fields fields = {});

}  // namespace ipfskit::logging
