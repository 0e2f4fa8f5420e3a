// Small helpers for the JSON that remote services send back: untrusted, so
// every access checks the type first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ipfskit::backends {

// j[key] as a string, or "" when absent or not a string.
std::string str_field(const nlohmann::json& j, const char* key);
// RFC 3339 / ISO 8601 UTC ("2026-12-01T10:00:00Z", fractions and offsets
// allowed) to unix seconds; nullopt when malformed.
std::optional<int64_t> parse_time(std::string_view text);
// Unix seconds as "2026-12-01T10:00:00Z".
std::string format_time(int64_t unix_seconds);

}  // namespace ipfskit::backends
