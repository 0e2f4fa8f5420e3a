// Chunkers split a byte stream into the leaves of a UnixFS file.
//
// The spellings are Kubo's (`--chunker`):
//   size-N                       fixed N-byte chunks (N <= 2 MiB - 256)
//   rabin | rabin-AVG | rabin-MIN-AVG-MAX   Rabin fingerprinting with Kubo's polynomial
//   buzhash                      Kubo's buzhash (128 KiB min, 512 KiB max, 17-bit mask)
// "" and "default" mean size-<profile chunk size>. Content-defined chunkers
// reproduce boxo's boundaries byte for byte (see tests/unit/chunker_test.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/io.h"

namespace ipfskit::unixfs {

// Kubo's cap on chunk sizes: 2 MiB blocks minus room for the UnixFS wrapper.
inline constexpr uint64_t kChunkSizeLimit = 2 * 1024 * 1024 - 256;
// No leaf may be larger than this (the bitswap block size limit).
inline constexpr uint64_t kBlockSizeLimit = 2 * 1024 * 1024;

struct ChunkSpec {
  enum class Kind { kFixed, kRabin, kBuzhash } kind = Kind::kFixed;
  uint64_t size = 262144;        // kFixed
  uint64_t min = 0, avg = 0, max = 0;  // kRabin

  // Largest chunk this spec can produce (the buffer size chunks need).
  uint64_t max_chunk() const;
  std::string to_string() const;
};

// Parses a chunker spec. `default_size` is the profile's chunk size, used by
// "", "default" and plain "rabin".
Result<ChunkSpec> parse_chunker(std::string_view spec, uint64_t default_size);

class Chunker {
 public:
  virtual ~Chunker() = default;
  // Writes the next chunk into `out` (room for `capacity` bytes, at least
  // spec.max_chunk()) and returns its length; 0 means the input is exhausted.
  // Never returns an empty chunk otherwise.
  virtual Result<size_t> next(uint8_t* out, size_t capacity) = 0;
};

std::unique_ptr<Chunker> make_chunker(const ChunkSpec& spec, ByteReader& input);

}  // namespace ipfskit::unixfs
