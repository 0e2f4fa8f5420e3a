#include "base/time.h"

#include <chrono>
#include <ctime>

namespace ipfskit {

std::string utc_rfc3339(int64_t unix_seconds) {
  std::time_t tt = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace ipfskit
