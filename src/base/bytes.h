// Byte containers used across the code base.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipfskit {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view as_chars(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline Bytes to_bytes(std::string_view s) {
  auto v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}
inline Bytes to_bytes(ByteView v) { return Bytes(v.begin(), v.end()); }

inline void append(Bytes& out, ByteView v) { out.insert(out.end(), v.begin(), v.end()); }

inline bool equal(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Lower-case hexadecimal.
std::string to_hex(ByteView data);
// Accepts upper or lower case; fails on odd length or a non-hex character.
bool from_hex(std::string_view text, Bytes& out);

}  // namespace ipfskit
