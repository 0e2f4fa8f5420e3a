// The ipfs-kit daemon: owns the repository while it runs and serves three
// listeners (the management API with /metrics, Kubo's RPC, the gateway),
// watches the embedded node's health, reloads its configuration on SIGHUP or
// when config.json changes, and stops gracefully on SIGTERM or SIGINT.
#pragma once

#include <cstddef>
#include <string>

namespace ipfskit::daemon {

struct Options {
  std::string repo;
  std::string config_path;  // "" for <repo>/config.json
  bool log_to_stderr = true;  // foreground: log lines also on the terminal
  bool debug = false;         // --debug: DEBUG level whatever the config says
  size_t workers = 0;         // hashing threads (0: one per CPU)
  // start --detach: the parent waits on this pipe; the daemon writes
  // "ok\n" once it listens, or "error <exit status> <message>\n".
  int ready_fd = -1;
};

// Runs until SIGTERM or SIGINT; returns the process exit status. Must be
// called before the process starts any thread (signals are routed to it).
int run(const Options& options);

}  // namespace ipfskit::daemon
