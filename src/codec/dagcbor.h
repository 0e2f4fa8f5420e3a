// The subset of dag-cbor (https://ipld.io/specs/codecs/dag-cbor/spec/) that
// CAR headers need: maps with text keys, arrays, unsigned integers, and CIDs
// (tag 42 over a byte string that starts with a 0x00 multibase prefix).
//
// Decoding is strict in the dag-cbor sense: integers and lengths must use the
// shortest form, indefinite lengths, floats and tags other than 42 are
// refused, and nesting is bounded.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "multiformats/cid.h"

namespace ipfskit::dagcbor {

// The header of a CAR file: CARv1 `{roots: [...], version: 1}` or the CARv2
// pragma `{version: 2}` (which has no roots).
struct CarHeader {
  uint64_t version = 1;
  std::vector<Cid> roots;
};

// Encodes `{roots, version}` with dag-cbor's key order (shorter keys first).
Bytes encode_car_header(const CarHeader& header);

// Walks any dag-cbor value (strictly: shortest-form lengths, no indefinite
// lengths, only tag 42, nesting depth at most 256) and calls `fn` for every
// CID link, in document order. The value must fill `bytes` exactly.
Status for_each_link(ByteView bytes, const std::function<Status(const Cid&)>& fn);

// Decodes and validates a CAR header. Keys other than "roots" and "version"
// are an error, as is a version-1 header without roots.
Result<CarHeader> decode_car_header(ByteView bytes);

}  // namespace ipfskit::dagcbor
