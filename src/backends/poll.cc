#include "backends/poll.h"

#include <algorithm>
#include <thread>

namespace ipfskit::backends {

Result<bool> poll_until_settled(std::chrono::seconds timeout, const CancelToken* cancel,
                                const std::function<Result<bool>()>& check) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  auto wait = std::chrono::milliseconds(200);
  for (;;) {
    TRY_STATUS(check_cancel(cancel, "pin"));
    if (TRY(check())) return true;
    const auto now = clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<clock::duration>(wait, deadline - now));
    wait = std::min<std::chrono::milliseconds>(wait * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace ipfskit::backends
