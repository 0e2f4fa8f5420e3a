// Kubo's flatfs layout (go-ds-flatfs with Kubo's default sharding), which the
// `filesystem` backend writes so that Kubo can read its directory and a
// Kubo repository's blocks/ folder can serve as one:
//
//   <dir>/SHARDING                 "/repo/flatfs/shard/v1/next-to-last/2\n"
//   <dir>/_README                  a note on the layout (not read by anyone)
//   <dir>/<shard>/<key>.data       one file per block: its bytes, nothing else
//
// key   = the block's multihash (not its CID) in RFC 4648 base32, upper case,
//         without padding (Kubo's dshelp.MultihashToDsKey without the "/")
// shard = next-to-last/2: the two characters before the last one of the key
//         (for keys shorter than 3, the key is left-padded with '_')
//
// Files are written as temporaries in the shard directory (names starting
// with "put-", which flatfs never reads), fsynced, renamed into place, and
// the directory fsynced. ipfs-kit keeps its own pin records under
// <dir>/.ipfs-kit/pins/ (flatfs skips directories whose names start with '.').
#pragma once

#include <string>
#include <string_view>

#include "multiformats/cid.h"

namespace ipfskit::backends::flatfs {

inline constexpr std::string_view kSharding = "/repo/flatfs/shard/v1/next-to-last/2\n";

// The datastore key of a block: base32 upper, no padding, of its multihash.
std::string key_of(const Multihash& mh);
// The shard directory of a key (next-to-last/2).
std::string shard_of(std::string_view key);
// "<shard>/<key>.data", relative to the flatfs directory.
std::string relative_path(const Cid& cid);

}  // namespace ipfskit::backends::flatfs
