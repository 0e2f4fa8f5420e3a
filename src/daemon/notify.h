// The daemon's side of systemd's service protocol (sd_notify(3)), for units
// with Type=notify:
//  - ready() once every listener accepts connections ("READY=1" with a STATUS
//    line naming the addresses);
//  - reloading() / ready() around a configuration reload;
//  - stopping() when a graceful stop begins ("STOPPING=1");
//  - when the unit sets WatchdogSec, the main loop calls watchdog_due() and
//    ping_watchdog() so that "WATCHDOG=1" goes out at half the interval: a
//    main loop that hangs stops the pings and systemd restarts the service.
// Outside systemd ($NOTIFY_SOCKET unset) every call does nothing. None of
// them fails the daemon: a notification that cannot be sent is only logged.
// Thread safety: call from the daemon's main thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ipfskit::daemon {

class SystemdNotifier {
 public:
  // Reads $NOTIFY_SOCKET and $WATCHDOG_USEC/$WATCHDOG_PID (sd_watchdog_enabled).
  SystemdNotifier();

  bool enabled() const { return enabled_; }
  // The watchdog interval systemd asked for, when it asked for one.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  void ready(const std::string& status);
  void reloading();
  void stopping();
  // How long the main loop may sleep before the next ping is due (one second
  // when there is no watchdog).
  std::chrono::milliseconds next_wakeup() const;
  // Sends WATCHDOG=1 when half the interval has passed since the last ping.
  void ping_watchdog();

 private:
  void send(const std::string& state);
  bool enabled_ = false;
  std::optional<std::chrono::microseconds> watchdog_;
  std::chrono::steady_clock::time_point last_ping_{};
};

}  // namespace ipfskit::daemon
