// The multicodec codes we name (https://github.com/multiformats/multicodec).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipfskit::multicodec {

// IPLD codecs.
inline constexpr uint64_t kRaw = 0x55;
inline constexpr uint64_t kDagPb = 0x70;
inline constexpr uint64_t kDagCbor = 0x71;
inline constexpr uint64_t kLibp2pKey = 0x72;
inline constexpr uint64_t kDagJson = 0x0129;
inline constexpr uint64_t kJson = 0x0200;
inline constexpr uint64_t kCbor = 0x51;

// Serialization formats.
inline constexpr uint64_t kCarIndexSorted = 0x0400;
inline constexpr uint64_t kCarMultihashIndexSorted = 0x0401;

struct CodecInfo {
  uint64_t code;
  std::string_view name;
};

// IPLD codecs (tag "ipld" in the multicodec table), ordered by code.
const std::vector<CodecInfo>& ipld_codecs();

// The name of an IPLD codec, or "codec?<code>" when unknown (as go-cidutil prints).
std::string codec_name(uint64_t code);
// Looks up an IPLD codec by name, or by a decimal or 0x-prefixed number.
std::optional<uint64_t> codec_by_name(std::string_view name);

}  // namespace ipfskit::multicodec
