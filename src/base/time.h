// Time as the API documents show it.
#pragma once

#include <cstdint>
#include <string>

namespace ipfskit {

// "2026-12-01T10:00:00Z": RFC 3339 in UTC, seconds precision.
std::string utc_rfc3339(int64_t unix_seconds);

// Seconds since the epoch, now.
int64_t unix_seconds_now();

}  // namespace ipfskit
