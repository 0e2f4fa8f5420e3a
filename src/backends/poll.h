// Waiting on a service that works in the background: a pinning service's
// pin request, an IPFS Cluster pin (both go on fetching after the call that
// submitted them returns).
#pragma once

#include <chrono>
#include <functional>

#include "base/cancel.h"
#include "base/error.h"

namespace ipfskit::backends {

// Calls `check` at once, then after 0.2 s, doubling to at most 5 s between
// calls (never sleeping past the deadline), until it answers true (the work
// settled) or `timeout` has passed: then false, and the caller reports the
// last status it saw. An error from `check`, or `cancel` firing, ends the
// wait with that error.
Result<bool> poll_until_settled(std::chrono::seconds timeout, const CancelToken* cancel,
                                const std::function<Result<bool>()>& check);

}  // namespace ipfskit::backends
