// ipfs-kit daemon start [--detach] | stop | restart | status.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/version.h"
#include "cli/app.h"
#include "daemon/daemon.h"

namespace ipfskit::cli {

namespace {

std::string pid_file_setting(Context& ctx) {
  auto c = ctx.config();
  if (!c) return "";
  auto v = (*c)->get("daemon.pid_file");
  return v && v->is_string() ? v->get<std::string>() : "";
}

std::string uptime_text(int64_t seconds) {
  char buf[64];
  if (seconds >= 86400)
    std::snprintf(buf, sizeof buf, "%lldd %lldh %lldm", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600), static_cast<long long>(seconds % 3600 / 60));
  else if (seconds >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh %lldm %llds", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60), static_cast<long long>(seconds % 60));
  else
    std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(seconds / 60), static_cast<long long>(seconds % 60));
  return buf;
}

void print_addresses(const daemon::State& s) {
  std::printf("  API:     http://%s\n  RPC:     http://%s/api/v0\n  Gateway: http://%s/ipfs/\n", s.api.c_str(),
              s.rpc.c_str(), s.gateway.c_str());
  if (!s.mcp.empty()) std::printf("  MCP:     http://%s/mcp\n", s.mcp.c_str());
}

daemon::Options daemon_options(Context& ctx) {
  daemon::Options o;
  o.repo = ctx.repo_path();
  o.config_path = ctx.config_flag;
  o.debug = ctx.debug;
  o.workers = ctx.workers;
  return o;
}

// Starts the daemon in the background and returns once it listens (or failed).
Status start_detached(Context& ctx) {
  daemon::Options o = daemon_options(ctx);
  o.log_to_stderr = false;
  if (::mkdir(o.repo.c_str(), 0755) != 0 && errno != EEXIST) return tl::unexpected(errno_error("create " + o.repo));
  ::mkdir((o.repo + "/logs").c_str(), 0755);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return tl::unexpected(errno_error("pipe"));
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) return tl::unexpected(errno_error("fork"));
  if (child == 0) {
    // Detach: a new session, then a second fork so the daemon is no session
    // leader and is reparented to init when this child exits.
    ::close(p[0]);
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    int null_fd = ::open("/dev/null", O_RDWR);
    int err_fd = ::open((o.repo + "/logs/daemon.stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd >= 0) {
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(null_fd, STDOUT_FILENO);
    }
    ::dup2(err_fd >= 0 ? err_fd : null_fd, STDERR_FILENO);
    if (::chdir("/") != 0) {
      // Stay where we are: relative paths were resolved already.
    }
    o.ready_fd = p[1];
    int code = daemon::run(o);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(code);
  }
  ::close(p[1]);
  int wstatus = 0;
  ::waitpid(child, &wstatus, 0);
  std::string reply;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(p[0], buf, sizeof buf);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(p[0]);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.rfind("error ", 0) == 0) {
    std::string rest = reply.substr(6);
    auto sp = rest.find(' ');
    int code = std::atoi(rest.substr(0, sp).c_str());
    std::string message = sp == std::string::npos ? "" : rest.substr(sp + 1);
    Code c = Code::kInternal;
    for (Code candidate : {Code::kInvalidArgument, Code::kNotFound, Code::kAlreadyExists, Code::kCorruption,
                           Code::kIOError, Code::kUnavailable, Code::kTimeout, Code::kPermissionDenied,
                           Code::kUnsupported, Code::kResourceExhausted, Code::kCancelled})
      if (exit_status(candidate) == code) c = candidate;
    return make_error(c, message);
  }
  if (reply != "ok")
    return make_error(Code::kInternal, "the daemon exited while starting; see " + o.repo + "/logs/daemon.log and " +
                                           o.repo + "/logs/daemon.stderr");
  daemon::Probe probe = TRY(daemon::probe(o.repo, pid_file_setting(ctx)));
  if (!probe.state) return make_error(Code::kInternal, "the daemon reported ready but wrote no state");
  if (ctx.json) {
    print_json(probe.state->to_json());
  } else {
    std::printf("ipfs-kit daemon started (pid %d)\n", probe.state->pid);
    print_addresses(*probe.state);
    std::printf("  Logs:    %s\n", probe.state->log_file.c_str());
  }
  return {};
}

Status stop_daemon(Context& ctx, int timeout, bool quiet_when_stopped) {
  daemon::Probe p = TRY(daemon::probe(ctx.repo_path(), pid_file_setting(ctx)));
  if (p.liveness == daemon::Liveness::kStopped) {
    if (!quiet_when_stopped) {
      if (p.stale_pid)
        std::fprintf(stderr, "no daemon is running (a stale pid file names pid %d, which is gone)\n", *p.stale_pid);
      else
        std::fprintf(stderr, "no daemon is running on %s\n", ctx.repo_path().c_str());
    }
    return {};
  }
  TRY_STATUS(daemon::stop(ctx.repo_path(), pid_file_setting(ctx), timeout));
  if (!ctx.json) std::printf("ipfs-kit daemon stopped (pid %d)\n", p.pid);
  else print_json({{"stopped", true}, {"pid", p.pid}});
  return {};
}

}  // namespace

void register_daemon(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* d = app.add_subcommand("daemon", "Run and control the daemon (API, Kubo RPC, gateway)");
  d->require_subcommand(1);

  auto detach = std::make_shared<bool>(false);
  CLI::App* start = d->add_subcommand("start", "Start the daemon (in the foreground unless --detach)");
  start->add_flag("-d,--detach", *detach, "run in the background; return once it listens (logs go to <repo>/logs)");
  start->callback([detach, &ctx, &action] {
    action = [detach, &ctx]() -> Status {
      if (*detach) return start_detached(ctx);
      int code = daemon::run(daemon_options(ctx));
      if (code != 0) std::exit(code);  // the daemon printed its error
      return {};
    };
  });

  auto timeout = std::make_shared<int>(30);
  CLI::App* stop = d->add_subcommand("stop", "Stop the daemon gracefully (requests in flight finish)");
  stop->add_option("--timeout", *timeout, "seconds to wait for it to exit")->check(CLI::Range(1, 3600));
  stop->callback([timeout, &ctx, &action] { action = [timeout, &ctx] { return stop_daemon(ctx, *timeout, false); }; });

  CLI::App* restart = d->add_subcommand("restart", "Stop the daemon if it runs, then start it in the background");
  restart->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      TRY_STATUS(stop_daemon(ctx, 30, true));
      return start_detached(ctx);
    };
  });

  CLI::App* status = d->add_subcommand("status", "Show whether the daemon runs (exit 0 when it does)");
  status->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      daemon::Probe p = TRY(daemon::probe(ctx.repo_path(), pid_file_setting(ctx)));
      if (p.liveness == daemon::Liveness::kStopped) {
        if (ctx.json) {
          nlohmann::json j = {{"running", false}, {"repository", ctx.repo_path()}};
          if (p.stale_pid) j["stale_pid"] = *p.stale_pid;
          print_json(j);
        } else {
          std::printf("ipfs-kit daemon: not running (repository %s)\n", ctx.repo_path().c_str());
          if (p.stale_pid) std::printf("  stale pid file: pid %d is gone; the next start replaces it\n", *p.stale_pid);
        }
        return make_error(Code::kUnavailable, "the daemon is not running");
      }
      if (p.liveness == daemon::Liveness::kStarting) {
        if (ctx.json) print_json({{"running", true}, {"starting", true}, {"pid", p.pid}});
        else std::printf("ipfs-kit daemon: starting (pid %d)\n", p.pid);
        return {};
      }
      const daemon::State& s = *p.state;
      const int64_t uptime = static_cast<int64_t>(std::time(nullptr)) - s.started;
      std::string health = "unknown";
      if (auto client = ctx.client()) {
        auto h = (*client)->health();
        if (h && h->contains("status") && (*h)["status"].is_string()) health = (*h)["status"].get<std::string>();
        else if (!h && h.error().code() == Code::kPermissionDenied) health = "unknown (API token required)";
      }
      if (ctx.json) {
        nlohmann::json j = s.to_json();
        j["running"] = true;
        j["uptime_seconds"] = uptime;
        j["health"] = health;
        print_json(j);
        return {};
      }
      std::printf("ipfs-kit daemon: running (pid %d)\n  Version: %s\n  Uptime:  %s\n  Health:  %s\n  Repo:    %s\n",
                  s.pid, s.version.c_str(), uptime_text(uptime).c_str(), health.c_str(), s.repo.c_str());
      print_addresses(s);
      std::printf("  Logs:    %s\n", s.log_file.c_str());
      return {};
    };
  });
}

}  // namespace ipfskit::cli
