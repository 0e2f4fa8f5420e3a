// Content Addressable aRchives (https://ipld.io/specs/transport/car/).
//
// CARv1: varint(len) dag-cbor header {roots, version: 1}, then sections of
//        varint(len(cid) + len(data)) | cid | data.
// CARv2: an 11-byte pragma, a 40-byte header (16 bytes of characteristics,
//        then little-endian data offset, data size, index offset), the CARv1
//        payload, then optionally an index. We write MultihashIndexSorted
//        (0x0401) indexes, as go-car does by default, and read both it and
//        IndexSorted (0x0400).
//
// Readers check structure and enforce size limits; they do not verify block
// hashes (importers do, before storing anything).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/io.h"
#include "multiformats/cid.h"

namespace ipfskit::car {

inline constexpr std::array<uint8_t, 11> kV2Pragma = {0x0a, 0xa1, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x02};
inline constexpr uint64_t kV2HeaderSize = 40;

// Limits on what a reader accepts (go-car's defaults are of the same order).
inline constexpr uint64_t kMaxHeaderSize = 1 << 20;
inline constexpr uint64_t kMaxSectionSize = 8 << 20;

using Sink = std::function<Status(ByteView)>;

// Streams a CARv1.
class V1Writer {
 public:
  explicit V1Writer(Sink out) : out_(std::move(out)) {}
  Status write_header(const std::vector<Cid>& roots);
  Status write_block(const Cid& cid, ByteView data);
  uint64_t bytes_written() const { return written_; }

 private:
  Status emit(ByteView b);
  Sink out_;
  uint64_t written_ = 0;
};

// One index entry: a block's multihash and the offset of its section from
// the start of the CARv1 payload.
struct IndexEntry {
  Multihash multihash;
  uint64_t offset;
};

// Encodes a MultihashIndexSorted index (including its varint codec prefix).
// Identity multihashes are left out, as the spec requires.
Bytes encode_multihash_index(std::vector<IndexEntry> entries);

// Decodes a CARv2 index (IndexSorted or MultihashIndexSorted). For
// IndexSorted, which records no hash function, entries get code `assumed_code`.
Result<std::vector<IndexEntry>> decode_index(ByteView bytes, uint64_t assumed_code = 0x12);

// Writes a CARv2 with an index to a seekable file descriptor: the payload is
// streamed, then the index is appended and the header filled in.
class V2Writer {
 public:
  V2Writer(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status begin(const std::vector<Cid>& roots);
  Status write_block(const Cid& cid, ByteView data);
  Status finish();

 private:
  Status write(ByteView b);
  int fd_;
  std::string name_;
  uint64_t pos_ = 0;  // bytes written so far
  std::unique_ptr<V1Writer> v1_;
  std::vector<IndexEntry> index_;
};

struct Block {
  Cid cid;
  Bytes data;
};

struct V2Header {
  std::array<uint8_t, 16> characteristics{};
  uint64_t data_offset = 0;
  uint64_t data_size = 0;
  uint64_t index_offset = 0;
};

// Reads a CARv1 or CARv2 sequentially.
class Reader {
 public:
  // Reads the header(s). `in` must outlive the reader.
  static Result<std::unique_ptr<Reader>> open(ByteReader& in);

  uint64_t version() const { return version_; }
  const std::vector<Cid>& roots() const { return roots_; }
  const std::optional<V2Header>& v2_header() const { return v2_; }

  // The next block, or nullopt at the end of the payload.
  Result<std::optional<Block>> next();

  // After next() returned nullopt on a CARv2 with an index: reads and decodes
  // the index that follows the payload.
  Result<std::vector<IndexEntry>> read_index();

 private:
  explicit Reader(ByteReader& in) : in_(in) {}
  Result<bool> read_exact(uint8_t* buf, size_t n);  // false on a clean EOF before any byte
  Result<std::optional<uint64_t>> read_varint();    // nullopt on a clean EOF
  Status skip(uint64_t n);

  ByteReader& in_;
  uint64_t version_ = 1;
  std::vector<Cid> roots_;
  std::optional<V2Header> v2_;
  uint64_t consumed_ = 0;        // bytes read from `in_`
  uint64_t payload_end_ = 0;     // CARv2: where the CARv1 payload ends (0 = until EOF)
};

}  // namespace ipfskit::car
