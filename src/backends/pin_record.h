// The small JSON record a block store (s3, filesystem) keeps for every pin,
// so that the store alone is enough to restore the pin (its name, metadata
// and root; the blocks are found by following links from the root):
//
//   {"format": "ipfs-kit-pin/1", "cid": "bafy...", "name": "photos",
//    "meta": {"team": "infra"}, "type": "recursive", "created": 1764590000,
//    "blocks": 4097, "bytes": 1073741824}
//
// Records come back from storage that others can write to: parse_pin_record
// checks every field and refuses what does not fit.
#pragma once

#include <string>

#include "backends/backend.h"

namespace ipfskit::backends {

inline constexpr const char* kPinRecordFormat = "ipfs-kit-pin/1";
inline constexpr size_t kMaxPinRecordBytes = 64 * 1024;

std::string pin_record(const PinSpec& spec, const PushStats& stats, int64_t created);
Result<RemotePin> parse_pin_record(std::string_view text);
// The record's object or file name: the root as CIDv1 base32, ".json".
std::string pin_record_name(const Cid& cid);

}  // namespace ipfskit::backends
