// ASCII text helpers for protocol tokens (HTTP header names and values, media
// types, file extensions): locale-independent, bytes >= 0x80 left as they are.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace ipfskit {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Without the spaces and tabs around it (HTTP's optional whitespace).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace ipfskit
