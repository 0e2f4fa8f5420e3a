// Codec-aware DAG traversal: the links of a block, and depth-first walks
// over a block source (dag export, refs, GC marking, pin verification).
#pragma once

#include <functional>
#include <vector>

#include "base/error.h"
#include "blockstore/blockstore.h"
#include "multiformats/cid.h"

namespace ipfskit::dag {

// The links of a block, in its own order: dag-pb links, dag-cbor CIDs (tag
// 42), none for raw and plain JSON/CBOR. Unsupported for codecs we cannot
// parse, so that nothing (GC in particular) mistakes a node for a leaf.
Result<std::vector<Cid>> links_of(const Cid& cid, ByteView data);

struct WalkOptions {
  bool unique = true;         // visit each block once (by multihash)
  bool skip_missing = false;  // report missing blocks to `on_missing` instead of failing
  // Raw blocks have no links: check they exist without reading (and
  // re-hashing) them; `visit` then gets empty data for them.
  bool leaves_by_presence = false;
  std::function<Status(const Cid&)> on_missing;
};

// Visits `root` and everything below it, depth first, parents before
// children, links in order: the block order of Kubo's `dag export`.
// `visit` receives each block; returning an error stops the walk.
Status walk(BlockSource& source, const Cid& root, const std::function<Status(const Cid&, ByteView)>& visit,
            const WalkOptions& options = {});

}  // namespace ipfskit::dag
