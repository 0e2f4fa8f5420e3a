#include "daemon/notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "log/log.h"

namespace ipfskit::daemon {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is us.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_ = std::chrono::microseconds(static_cast<int64_t>(usec));
}

void SystemdNotifier::send(const std::string& state) {
  if (!enabled_) return;
  int r = sd_notify(0, state.c_str());
  if (r < 0) logging::warn("systemd", "sd_notify failed", {{"state", state.substr(0, state.find('\n'))}, {"error", std::strerror(-r)}});
}

void SystemdNotifier::ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
  if (watchdog_) ping_watchdog();
}

void SystemdNotifier::reloading() { send("RELOADING=1"); }

void SystemdNotifier::stopping() { send("STOPPING=1\nSTATUS=stopping"); }

std::chrono::milliseconds SystemdNotifier::next_wakeup() const {
  std::chrono::milliseconds second(1000);
  if (!watchdog_) return second;
  // Ping at half the interval; wake a little more often than that so a
  // ping is never late by a whole sleep.
  auto quarter = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_ / 4);
  return std::max(std::chrono::milliseconds(1), std::min(second, quarter));
}

void SystemdNotifier::ping_watchdog() {
  if (!watchdog_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ping_ < *watchdog_ / 2) return;
  last_ping_ = now;
  send("WATCHDOG=1");
}

}  // namespace ipfskit::daemon
