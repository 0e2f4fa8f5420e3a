#include "vfs/mounts.h"

#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/io.h"

namespace ipfskit::vfs {

namespace {

std::string records_dir(const std::string& repo) { return repo + "/vfs"; }

std::string record_path(const std::string& repo, const std::string& mountpoint) {
  char name[32];
  std::snprintf(name, sizeof name, "%016zx.json", std::hash<std::string>()(mountpoint));
  return records_dir(repo) + "/" + name;
}

// Alive and not a zombie (a detached mount's parent is gone, and whoever
// adopted it may be slow to reap it).
bool alive(int pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      bool octal = true;
      int v = 0;
      for (size_t j = 1; j <= 3; ++j) {
        if (s[i + j] < '0' || s[i + j] > '7') octal = false;
        v = v * 8 + (s[i + j] - '0');
      }
      if (octal) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

const char* state_name(MountState s) {
  switch (s) {
    case MountState::kServing: return "serving";
    case MountState::kStale: return "stale";
    case MountState::kGone: return "gone";
  }
  return "?";
}

Result<std::string> canonical_dir(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) {
    // A dead FUSE mount cannot be stat'ed (ENOTCONN): resolve its parent.
    if (errno == ENOTCONN) {
      auto slash = path.find_last_of('/');
      std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
      std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
      if (!::realpath(parent.c_str(), buf)) return tl::unexpected(errno_error("resolve " + parent));
      std::string p = buf;
      return p == "/" ? "/" + base : p + "/" + base;
    }
    return tl::unexpected(errno_error("resolve " + path));
  }
  return std::string(buf);
}

Status record_mount(const std::string& repo, const MountRecord& r) {
  std::string dir = records_dir(repo);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return tl::unexpected(errno_error("create " + dir));
  nlohmann::json j = {{"mountpoint", r.mountpoint}, {"source", r.source}, {"pid", r.pid}, {"started", r.started}};
  std::string text = j.dump(2) + "\n";
  return write_file_atomic(record_path(repo, r.mountpoint), as_bytes(text));
}

void forget_mount(const std::string& repo, const std::string& mountpoint) {
  ::unlink(record_path(repo, mountpoint).c_str());
}

Result<std::vector<MountRecord>> list_mounts(const std::string& repo) {
  std::vector<MountRecord> out;
  std::string dir = records_dir(repo);
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return tl::unexpected(errno_error("list " + dir));
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 6 || name.substr(name.size() - 5) != ".json") continue;
    auto bytes = read_file(dir + "/" + name);
    if (!bytes) continue;
    auto j = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    MountRecord r;
    r.mountpoint = j.value("mountpoint", "");
    r.source = j.value("source", "");
    r.pid = j.value("pid", 0);
    r.started = j.value("started", int64_t{0});
    if (!r.mountpoint.empty()) out.push_back(r);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.mountpoint < b.mountpoint; });
  return out;
}

bool fuse_mounted_at(const std::string& mountpoint) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options ... - fstype source super
    std::istringstream ls(line);
    std::string id, parent, dev, root, mp;
    ls >> id >> parent >> dev >> root >> mp;
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::string fstype = line.substr(dash + 3, line.find(' ', dash + 3) - dash - 3);
    if (unescape(mp) == mountpoint && fstype.rfind("fuse", 0) == 0) return true;
  }
  return false;
}

MountState state_of(const MountRecord& r) {
  bool mounted = fuse_mounted_at(r.mountpoint);
  if (!mounted) return MountState::kGone;
  return alive(r.pid) ? MountState::kServing : MountState::kStale;
}

Status unmount(const std::string& repo, const std::string& mountpoint, bool force) {
  std::optional<MountRecord> rec;
  for (const auto& r : TRY(list_mounts(repo)))
    if (r.mountpoint == mountpoint) rec = r;
  const bool mounted = fuse_mounted_at(mountpoint);
  if (rec && alive(rec->pid) && mounted) {
    ::kill(rec->pid, SIGTERM);
    // The process commits what is spooled, then unmounts and exits.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!fuse_mounted_at(mountpoint) && !alive(rec->pid)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (fuse_mounted_at(mountpoint)) {
      if (!force)
        return make_error(Code::kTimeout, "process " + std::to_string(rec->pid) + " did not unmount " + mountpoint +
                                              " within 30 s (use --force to detach it)");
    } else {
      forget_mount(repo, mountpoint);
      return {};
    }
  }
  if (!mounted) {
    if (rec) {
      forget_mount(repo, mountpoint);
      return {};
    }
    return not_found("nothing is mounted at " + mountpoint);
  }
  if (!force) {
    std::string who = rec ? "process " + std::to_string(rec->pid) + ", which is gone" : "a process of another repository or none";
    return make_error(Code::kUnavailable, mountpoint + " is a FUSE mount left by " + who +
                                              "; `ipfs-kit vfs unmount --force " + mountpoint + "` detaches it");
  }
  if (::umount2(mountpoint.c_str(), MNT_DETACH) != 0) {
    // Not root: the setuid helper may unmount our own mounts.
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execlp("fusermount3", "fusermount3", "-u", "-z", mountpoint.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return make_error(Code::kIOError, "could not unmount " + mountpoint + " (umount2 and fusermount3 -u -z failed)");
  }
  forget_mount(repo, mountpoint);
  return {};
}

}  // namespace ipfskit::vfs
