#include "backends/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "backends/json_util.h"
#include "log/log.h"
#include "log/rotating_file.h"

extern char** environ;

namespace ipfskit::backends {

namespace {

int64_t now_unix() { return static_cast<int64_t>(std::time(nullptr)); }

std::string describe_exit(int wstatus) {
  if (WIFEXITED(wstatus)) return "exit status " + std::to_string(WEXITSTATUS(wstatus));
  if (WIFSIGNALED(wstatus)) {
    const char* name = ::sigabbrev_np(WTERMSIG(wstatus));
    return "killed by signal " + std::to_string(WTERMSIG(wstatus)) + (name != nullptr ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended (status " + std::to_string(wstatus) + ")";
}

bool executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Marks every descriptor from `from` up as close-on-exec, except `keep`
// (async-signal-safe: raw system calls only).
void cloexec_from(int from, int keep) {
  constexpr unsigned kCloseRangeCloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC (Linux 5.11)
  if (keep > from && ::syscall(SYS_close_range, static_cast<unsigned>(from), static_cast<unsigned>(keep - 1), kCloseRangeCloexec) == 0 &&
      ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0U, kCloseRangeCloexec) == 0)
    return;
  long max = ::sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = from; fd < max; ++fd)
    if (fd != keep) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace

struct SupervisedProcess::Log {
  std::mutex mu;
  logging::RotatingFile file;
  Log(const ProcessSpec& s) : file(s.log_path, s.log_max_bytes, s.log_rotation_seconds, 5) {}
};

nlohmann::json to_json(const ProcessStatus& s, const std::string& log_path) {
  nlohmann::json j = {{"state", s.state}, {"pid", s.pid == 0 ? nlohmann::json() : nlohmann::json(s.pid)},
                      {"starts", s.starts}, {"restarts", s.restarts},
                      {"started_at", s.started_at == 0 ? nlohmann::json() : nlohmann::json(format_time(s.started_at))},
                      {"last_exit", s.last_exit.empty() ? nlohmann::json() : nlohmann::json(s.last_exit)},
                      {"log", log_path}};
  if (s.state == "backoff") j["next_start_at"] = format_time(s.next_start_at);
  return j;
}

SupervisedProcess::~SupervisedProcess() { stop(std::chrono::seconds(5)); }

Result<std::string> SupervisedProcess::resolve_command(const ProcessSpec& spec) {
  const std::string& c = spec.command;
  if (c.empty()) return invalid_argument("backends." + spec.name + ".command is empty");
  if (c.find('/') != std::string::npos) {
    std::string path = c;
    if (c[0] != '/') {
      if (spec.cwd.empty())
        return invalid_argument("backends." + spec.name + ".command \"" + c + "\" is a relative path: make it absolute or set cwd");
      path = spec.cwd + "/" + c;
    }
    if (!executable(path)) return not_found("backends." + spec.name + ".command: " + path + " is not an executable file");
    return path;
  }
  std::string search;
  if (auto it = spec.env.find("PATH"); it != spec.env.end()) search = it->second;
  else if (const char* p = std::getenv("PATH")) search = p;
  else search = "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= search.size()) {
    size_t colon = search.find(':', start);
    if (colon == std::string::npos) colon = search.size();
    std::string dir = search.substr(start, colon - start);
    if (dir.empty()) dir = ".";
    if (executable(dir + "/" + c)) return dir + "/" + c;
    start = colon + 1;
  }
  return not_found("backends." + spec.name + ".command: \"" + c + "\" was not found in PATH");
}

Status SupervisedProcess::start() {
  std::unique_lock lock(mu_);
  if (wanted_) return {};
  if (thread_.joinable()) {
    lock.unlock();
    thread_.join();
    lock.lock();
    if (wanted_) return {};
  }
  std::string exe = TRY(resolve_command(spec_));
  if (!log_) {
    auto log = std::make_shared<Log>(spec_);
    // logs/ and logs/backends/ inside the repository.
    const std::string dir = spec_.log_path.substr(0, spec_.log_path.rfind('/'));
    ::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0755);
    ::mkdir(dir.c_str(), 0755);
    TRY_STATUS(log->file.open());
    log_ = log;
  }
  wanted_ = true;
  status_.state = "running";
  thread_ = std::thread([this, exe] { run(exe); });
  return {};
}

void SupervisedProcess::stop(std::chrono::seconds grace) {
  {
    std::lock_guard lock(mu_);
    wanted_ = false;
    grace_ = grace;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool SupervisedProcess::wanted() const {
  std::lock_guard lock(mu_);
  return wanted_;
}

ProcessStatus SupervisedProcess::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void SupervisedProcess::log_line(const std::string& text) {
  if (!log_) return;
  char ts[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(log_->mu);
  log_->file.write(std::string("--- ") + ts + " ipfs-kit: " + text + "\n");
  log_->file.flush();
}

void SupervisedProcess::run(std::string exe) {
  // Everything the child needs, built before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<std::string> argv_s{spec_.command};
  argv_s.insert(argv_s.end(), spec_.args.begin(), spec_.args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    if (spec_.env.count(key) == 0) env_s.push_back(std::move(kv));
  }
  for (const auto& [k, v] : spec_.env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string command_line = spec_.command;
  for (const auto& a : spec_.args) command_line += " " + a;

  int consecutive_failures = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (!wanted_) break;
    }
    int out[2], report[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      log_line("cannot create a pipe: " + std::string(std::strerror(errno)));
      break;
    }
    if (::pipe2(report, O_CLOEXEC) != 0) {
      ::close(out[0]);
      ::close(out[1]);
      log_line("cannot create a pipe: " + std::string(std::strerror(errno)));
      break;
    }
    const pid_t parent = ::getpid();
    const char* cwd = spec_.cwd.empty() ? nullptr : spec_.cwd.c_str();
    pid_t pid = ::fork();
    if (pid == 0) {
      // The child: async-signal-safe calls only.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
      ::setsid();
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      int err = 0;
      if (cwd != nullptr && ::chdir(cwd) != 0) {
        err = errno;
        (void)!::write(report[1], &err, sizeof err);
        ::_exit(127);
      }
      cloexec_from(3, report[1]);
      ::execve(exe.c_str(), argv.data(), envp.data());
      err = errno;
      (void)!::write(report[1], &err, sizeof err);
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(report[1]);
    if (pid < 0) {
      ::close(out[0]);
      ::close(report[0]);
      std::lock_guard lock(mu_);
      status_.last_exit = "cannot fork: " + std::string(std::strerror(errno));
    } else {
      int child_errno = 0;
      ssize_t n;
      do n = ::read(report[0], &child_errno, sizeof child_errno);
      while (n < 0 && errno == EINTR);
      ::close(report[0]);
      const auto started = std::chrono::steady_clock::now();
      int wstatus = 0;
      if (n == static_cast<ssize_t>(sizeof child_errno)) {
        ::waitpid(pid, &wstatus, 0);
        ::close(out[0]);
        const std::string why = "cannot run " + exe + (cwd != nullptr ? " in " + spec_.cwd : "") + ": " + std::strerror(child_errno);
        log_line(why);
        logging::error("supervisor", "backend process failed to start", {{"backend", spec_.name}, {"error", why}});
        std::lock_guard lock(mu_);
        status_.last_exit = why;
      } else {
        {
          std::lock_guard lock(mu_);
          status_.state = "running";
          status_.pid = pid;
          status_.starts++;
          status_.started_at = now_unix();
        }
        log_line("started pid " + std::to_string(pid) + ": " + command_line);
        logging::info("supervisor", "backend process started",
                      {{"backend", spec_.name}, {"pid", std::to_string(pid)}, {"command", command_line}});
        // Copy its output to the log until it exits; stop it when asked.
        bool eof = false, term_sent = false, kill_sent = false;
        std::chrono::steady_clock::time_point kill_at;
        char buf[65536];
        for (;;) {
          if (!eof) {
            pollfd p{out[0], POLLIN, 0};
            int r = ::poll(&p, 1, 100);
            if (r > 0) {
              ssize_t k = ::read(out[0], buf, sizeof buf);
              if (k > 0) {
                std::lock_guard lock(log_->mu);
                log_->file.write(std::string_view(buf, static_cast<size_t>(k)));
                log_->file.flush();
              } else if (k == 0 || (errno != EINTR && errno != EAGAIN)) {
                eof = true;
              }
            }
          } else {
            ::usleep(50000);
          }
          if (::waitpid(pid, &wstatus, WNOHANG) == pid) {
            // Whatever is still buffered (a grandchild may keep the pipe
            // open: do not wait for its end).
            ::fcntl(out[0], F_SETFL, O_NONBLOCK);
            for (int i = 0; i < 64; ++i) {
              ssize_t k = ::read(out[0], buf, sizeof buf);
              if (k <= 0) break;
              std::lock_guard lock(log_->mu);
              log_->file.write(std::string_view(buf, static_cast<size_t>(k)));
            }
            break;
          }
          std::unique_lock lock(mu_);
          if (!wanted_ && !term_sent) {
            term_sent = true;
            kill_at = std::chrono::steady_clock::now() + grace_;
            status_.state = "stopping";
            lock.unlock();
            if (::kill(-pid, SIGTERM) != 0) ::kill(pid, SIGTERM);
          } else if (term_sent && !kill_sent && std::chrono::steady_clock::now() >= kill_at) {
            kill_sent = true;
            lock.unlock();
            if (::kill(-pid, SIGKILL) != 0) ::kill(pid, SIGKILL);
          }
        }
        ::close(out[0]);
        // Its children die with it.
        ::kill(-pid, SIGKILL);
        const std::string how = describe_exit(wstatus);
        log_line("pid " + std::to_string(pid) + " " + how);
        std::lock_guard lock(mu_);
        status_.pid = 0;
        status_.last_exit = how;
        if (wanted_)
          logging::warn("supervisor", "backend process exited; restarting", {{"backend", spec_.name}, {"exit", how}});
        else
          logging::info("supervisor", "backend process stopped", {{"backend", spec_.name}, {"exit", how}});
        if (std::chrono::steady_clock::now() - started >= spec_.stable_after) consecutive_failures = 0;
      }
    }
    std::unique_lock lock(mu_);
    if (!wanted_) break;
    // Capped exponential backoff before the next start.
    auto delay = spec_.backoff_initial * (1LL << std::min(consecutive_failures, 16));
    if (delay > spec_.backoff_max) delay = spec_.backoff_max;
    consecutive_failures++;
    status_.restarts++;
    status_.state = "backoff";
    status_.next_start_at = now_unix() + std::chrono::duration_cast<std::chrono::seconds>(delay).count();
    cv_.wait_for(lock, delay, [&] { return !wanted_; });
  }
  std::lock_guard lock(mu_);
  status_.state = "stopped";
  status_.pid = 0;
}

}  // namespace ipfskit::backends
