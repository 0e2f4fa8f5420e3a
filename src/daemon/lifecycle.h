// Who runs the daemon of a repository, and how to reach it.
//
// A running daemon holds a POSIX write lock on <repo>/daemon.lock for its
// whole life: the kernel drops it when the process dies, however it dies, so
// a lock held means a daemon is alive, and fcntl(F_GETLK) names its pid
// without taking the lock. Once listening, the daemon writes
// <repo>/daemon.json (pid, addresses, start time) and the pid file
// (`daemon.pid_file`); a pid file whose lock is free is stale (a crash) and
// is replaced by the next start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/io.h"

namespace ipfskit::daemon {

struct State {
  int pid = 0;
  int64_t started = 0;  // unix seconds
  std::string api, rpc, gateway;  // "host:port"
  std::string mcp;                // "host:port"; "" when daemon.mcp_address is empty (disabled)
  std::string repo, version, log_file;

  nlohmann::json to_json() const;
  static Result<State> from_json(const nlohmann::json& j);
};

std::string lock_path(const std::string& repo);
std::string state_path(const std::string& repo);
// `daemon.pid_file`: relative to the repository unless absolute.
std::string pid_path(const std::string& repo, const std::string& pid_file);

// The lock a daemon holds while it runs.
class InstanceLock {
 public:
  // AlreadyExists, naming the other daemon's pid, when one runs.
  static Result<InstanceLock> acquire(const std::string& repo);

 private:
  UniqueFd fd_;
};

enum class Liveness { kStopped, kStarting, kRunning };

struct Probe {
  Liveness liveness = Liveness::kStopped;
  int pid = 0;                     // the lock holder, when not stopped
  std::optional<State> state;      // when running
  std::optional<int> stale_pid;    // a pid file left by a daemon that died
};

// Looks without disturbing anything (takes no lock).
Result<Probe> probe(const std::string& repo, const std::string& pid_file);

// Sends SIGTERM and waits up to `timeout_seconds` for the daemon to let go of
// its lock. NotFound when no daemon runs.
Status stop(const std::string& repo, const std::string& pid_file, int timeout_seconds);

}  // namespace ipfskit::daemon
