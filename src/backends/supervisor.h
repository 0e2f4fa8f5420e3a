// Supervision of a backend that is a local process (a backend with
// `command`): the daemon starts it, captures its output, restarts it when it
// dies, and stops it.
//
//  - The process runs in its own session (so it and its children can be
//    signalled as a group), with the daemon's environment plus `env`, in
//    `cwd`, with signals reset to their defaults. It gets SIGTERM if the
//    daemon's supervising thread dies (PR_SET_PDEATHSIG), so a killed daemon
//    leaves no orphan holding the backend's port.
//  - stdout and stderr go, in order, to logs/backends/<name>.log, rotated
//    like the daemon's own log (size cap and interval).
//  - A process that exits while wanted is restarted after a capped
//    exponential backoff: 1 s, 2 s, 4 s ... 60 s; the backoff starts over
//    once a run lasted 30 s.
//  - stop() sends SIGTERM to the group, then SIGKILL after the grace period.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace ipfskit::backends {

struct ProcessSpec {
  std::string name;  // the backend's, for messages
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string cwd;
  std::string log_path;
  int log_rotation_seconds = 3600;
  uint64_t log_max_bytes = 16ULL << 20;
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{60000};
  std::chrono::seconds stable_after{30};

  bool operator==(const ProcessSpec& o) const {
    return command == o.command && args == o.args && env == o.env && cwd == o.cwd && log_path == o.log_path;
  }
};

struct ProcessStatus {
  std::string state = "stopped";  // stopped, running, backoff (waiting to restart), stopping
  int pid = 0;
  uint64_t starts = 0;
  uint64_t restarts = 0;      // starts after an unexpected exit
  int64_t started_at = 0;     // unix seconds of the current run
  std::string last_exit;      // "exit status 1", "killed by signal 9", "cannot run: ..."
  int64_t next_start_at = 0;  // in backoff: when the next start is due
};
nlohmann::json to_json(const ProcessStatus& s, const std::string& log_path);

class SupervisedProcess {
 public:
  explicit SupervisedProcess(ProcessSpec spec) : spec_(std::move(spec)) {}
  ~SupervisedProcess();
  SupervisedProcess(const SupervisedProcess&) = delete;
  SupervisedProcess& operator=(const SupervisedProcess&) = delete;

  // Starts it (a no-op when it runs or is about to be restarted). Fails at
  // once when the command cannot be found or the log cannot be opened.
  Status start();
  // Stops it and does not restart it: SIGTERM, SIGKILL after `grace`.
  void stop(std::chrono::seconds grace = std::chrono::seconds(10));
  bool wanted() const;
  ProcessStatus status() const;
  const ProcessSpec& spec() const { return spec_; }

  // The absolute path `command` resolves to (PATH lookup for bare names).
  static Result<std::string> resolve_command(const ProcessSpec& spec);

 private:
  void run(std::string executable);
  void log_line(const std::string& text);

  ProcessSpec spec_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  std::chrono::seconds grace_{10};
  ProcessStatus status_;
  std::thread thread_;
  struct Log;
  std::shared_ptr<Log> log_;
};

}  // namespace ipfskit::backends
