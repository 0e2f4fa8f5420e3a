#include "dag/dag.h"

#include <string>
#include <unordered_set>

#include "codec/dagcbor.h"
#include "codec/dagpb.h"
#include "multiformats/multicodec.h"

namespace ipfskit::dag {

Result<std::vector<Cid>> links_of(const Cid& cid, ByteView data) {
  std::vector<Cid> out;
  switch (cid.codec()) {
    case multicodec::kRaw:
    case multicodec::kJson:
    case multicodec::kCbor:
      return out;
    case multicodec::kDagPb: {
      auto node = dagpb::decode(data);
      if (!node) return corruption("block " + cid.to_string() + " is not valid dag-pb: " + node.error().message());
      for (auto& l : node->links) out.push_back(std::move(l.hash));
      return out;
    }
    case multicodec::kDagCbor: {
      Status st = dagcbor::for_each_link(data, [&](const Cid& c) -> Status {
        out.push_back(c);
        return {};
      });
      if (!st) return corruption("block " + cid.to_string() + " is not valid dag-cbor: " + st.error().message());
      return out;
    }
    default:
      return unsupported("cannot read links of codec " + multicodec::codec_name(cid.codec()) + " (" +
                         cid.to_string() + ")");
  }
}

Status walk(BlockSource& source, const Cid& root, const std::function<Status(const Cid&, ByteView)>& visit,
            const WalkOptions& options) {
  std::unordered_set<std::string> seen;
  // Explicit stack of CIDs still to visit; children pushed in reverse so the
  // first link is visited first.
  std::vector<Cid> stack{root};
  while (!stack.empty()) {
    Cid cid = std::move(stack.back());
    stack.pop_back();
    if (options.unique && !seen.insert(std::string(as_chars(cid.multihash().bytes()))).second) continue;
    if (options.leaves_by_presence && cid.codec() == multicodec::kRaw && !cid.is_identity()) {
      if (!TRY(source.has(cid))) {
        if (!options.skip_missing) return not_found("block not found: " + cid.to_string());
        if (options.on_missing) TRY_STATUS(options.on_missing(cid));
        continue;
      }
      TRY_STATUS(visit(cid, ByteView()));
      continue;
    }
    auto data = fetch_block(source, cid);
    if (!data) {
      if (data.error().code() == Code::kNotFound && options.skip_missing) {
        if (options.on_missing) TRY_STATUS(options.on_missing(cid));
        continue;
      }
      return tl::unexpected(data.error());
    }
    TRY_STATUS(visit(cid, *data));
    std::vector<Cid> links = TRY(links_of(cid, *data));
    for (auto it = links.rbegin(); it != links.rend(); ++it) stack.push_back(std::move(*it));
  }
  return {};
}

}  // namespace ipfskit::dag
