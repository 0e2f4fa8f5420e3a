// dag-pb (https://ipld.io/specs/codecs/dag-pb/spec/), encoded as Kubo does.
//
//   message PBLink { optional bytes Hash = 1; optional string Name = 2; optional uint64 Tsize = 3; }
//   message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }
//
// Encoding writes every Link before Data, and each link's fields in field
// order. Kubo always writes Name and Tsize, so the importer sets both (an
// empty name is encoded as `12 00`); a link built with nullopt omits them.
//
// Decoding is strict: unknown or duplicate fields, a link without a Hash, an
// invalid CID, links interleaved with Data, or any truncation is an error.
// Data before the links is accepted, as the UnixFS spec requires.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "multiformats/cid.h"

namespace ipfskit::dagpb {

struct Link {
  Cid hash;
  std::optional<std::string> name;
  std::optional<uint64_t> tsize;
};

// `data` is a view: into the decoded block (valid while the block lives), or
// into bytes the encoder's caller keeps alive.
struct Node {
  std::vector<Link> links;
  std::optional<ByteView> data;
};

// Serializes `node` in canonical order (links as given: sort them first when
// the format requires it, as directories do).
Bytes encode(const Node& node);

// Serialized size of one link entry inside a PBNode, including its field tag.
size_t encoded_link_size(const Link& link);

// Parses and validates a dag-pb block. The node's views point into `block`,
// so decoding a temporary is refused at compile time.
Result<Node> decode(ByteView block);
Result<Node> decode(Bytes&& block) = delete;

}  // namespace ipfskit::dagpb
