// The UnixFS Data message (https://specs.ipfs.tech/unixfs/), carried in the
// Data field of a dag-pb node.
//
//   message Data {
//     required DataType Type = 1;   // Raw=0 Directory=1 File=2 Metadata=3 Symlink=4 HAMTShard=5
//     optional bytes Data = 2;
//     optional uint64 filesize = 3;
//     repeated uint64 blocksizes = 4;
//     optional uint64 hashType = 5;
//     optional uint64 fanout = 6;
//     optional uint32 mode = 7;
//     optional UnixTime mtime = 8;  // { required int64 Seconds = 1; optional fixed32 FractionalNanoseconds = 2; }
//   }
//
// Encoding writes the fields in field-number order, as Kubo's gogo-protobuf
// code does. Decoding is strict: an unknown field, a repeated singular field,
// a missing Type or an out-of-range Type is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace ipfskit::unixfs {

enum class DataType : uint8_t {
  kRaw = 0,
  kDirectory = 1,
  kFile = 2,
  kMetadata = 3,
  kSymlink = 4,
  kHAMTShard = 5,
};

struct UnixTime {
  int64_t seconds = 0;
  std::optional<uint32_t> nanos;
};

// `data` is a view into the decoded bytes, or into bytes the encoder's
// caller keeps alive.
struct Data {
  DataType type = DataType::kRaw;
  std::optional<ByteView> data;
  std::optional<uint64_t> filesize;
  std::vector<uint64_t> blocksizes;
  std::optional<uint64_t> hash_type;
  std::optional<uint64_t> fanout;
  std::optional<uint32_t> mode;
  std::optional<UnixTime> mtime;
};

Bytes encode(const Data& d);
// The result's views point into `bytes`; decoding a temporary is refused.
Result<Data> decode(ByteView bytes);
Result<Data> decode(Bytes&& bytes) = delete;

const char* type_name(DataType t);

}  // namespace ipfskit::unixfs
