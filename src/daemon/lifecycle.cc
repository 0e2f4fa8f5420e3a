#include "daemon/lifecycle.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace ipfskit::daemon {

nlohmann::json State::to_json() const {
  return {{"pid", pid},         {"started", started}, {"api", api},         {"rpc", rpc},
          {"gateway", gateway}, {"repo", repo},       {"version", version}, {"log_file", log_file},
          {"mcp", mcp}};
}

Result<State> State::from_json(const nlohmann::json& j) {
  try {
    State s;
    s.pid = j.at("pid").get<int>();
    s.started = j.at("started").get<int64_t>();
    s.api = j.at("api").get<std::string>();
    s.rpc = j.at("rpc").get<std::string>();
    s.gateway = j.at("gateway").get<std::string>();
    s.mcp = j.value("mcp", "");
    s.repo = j.value("repo", "");
    s.version = j.value("version", "");
    s.log_file = j.value("log_file", "");
    return s;
  } catch (const std::exception& e) {
    return corruption(std::string("malformed daemon state: ") + e.what());
  }
}

std::string lock_path(const std::string& repo) { return repo + "/daemon.lock"; }
std::string state_path(const std::string& repo) { return repo + "/daemon.json"; }
std::string pid_path(const std::string& repo, const std::string& pid_file) {
  if (!pid_file.empty() && pid_file[0] == '/') return pid_file;
  return repo + "/" + (pid_file.empty() ? "daemon.pid" : pid_file);
}

namespace {

struct flock write_lock() {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  return fl;
}

// The pid holding the lock, or 0 when free. No lock is taken.
Result<int> lock_holder(const std::string& repo) {
  int fd = ::open(lock_path(repo).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    return tl::unexpected(errno_error("open " + lock_path(repo)));
  }
  UniqueFd closer(fd);
  struct flock fl = write_lock();
  if (::fcntl(fd, F_GETLK, &fl) != 0) return tl::unexpected(errno_error("test lock " + lock_path(repo)));
  return fl.l_type == F_UNLCK ? 0 : static_cast<int>(fl.l_pid);
}

std::optional<int> read_pid(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return std::nullopt;
  try {
    return std::stoi(std::string(bytes->begin(), bytes->end()));
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

Result<InstanceLock> InstanceLock::acquire(const std::string& repo) {
  int fd = ::open(lock_path(repo).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected(errno_error("open " + lock_path(repo)));
  InstanceLock l;
  l.fd_ = UniqueFd(fd);
  struct flock fl = write_lock();
  if (::fcntl(fd, F_SETLK, &fl) != 0) {
    if (errno == EACCES || errno == EAGAIN) {
      int holder = lock_holder(repo).value_or(0);
      return make_error(Code::kAlreadyExists, "another ipfs-kit daemon is already running on " + repo +
                                                  (holder > 0 ? " (pid " + std::to_string(holder) + ")" : ""));
    }
    return tl::unexpected(errno_error("lock " + lock_path(repo)));
  }
  return l;
}

Result<Probe> probe(const std::string& repo, const std::string& pid_file) {
  Probe p;
  p.pid = TRY(lock_holder(repo));
  if (p.pid == 0) {
    if (auto stale = read_pid(pid_path(repo, pid_file))) p.stale_pid = *stale;
    return p;
  }
  p.liveness = Liveness::kStarting;
  auto bytes = read_file(state_path(repo));
  if (bytes) {
    auto j = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
    if (!j.is_discarded()) {
      auto s = State::from_json(j);
      if (s && s->pid == p.pid) {
        p.liveness = Liveness::kRunning;
        p.state = std::move(*s);
      }
    }
  }
  return p;
}

Status stop(const std::string& repo, const std::string& pid_file, int timeout_seconds) {
  Probe p = TRY(probe(repo, pid_file));
  if (p.liveness == Liveness::kStopped) return not_found("no ipfs-kit daemon is running on " + repo);
  if (::kill(p.pid, SIGTERM) != 0 && errno != ESRCH) return tl::unexpected(errno_error("signal daemon pid " + std::to_string(p.pid)));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (TRY(lock_holder(repo)) == 0) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return make_error(Code::kTimeout, "the daemon (pid " + std::to_string(p.pid) + ") did not stop within " +
                                        std::to_string(timeout_seconds) + " s");
}

}  // namespace ipfskit::daemon
