#include "codec/dagpb.h"

#include "codec/protobuf.h"

namespace ipfskit::dagpb {

namespace {

size_t link_body_size(const Link& link) {
  size_t n = pb::bytes_field_size(link.hash.bytes().size());
  if (link.name) n += pb::bytes_field_size(link.name->size());
  if (link.tsize) n += pb::varint_field_size(*link.tsize);
  return n;
}

Result<Link> decode_link(ByteView bytes) {
  Link link;
  pb::Reader r(bytes);
  uint32_t last_field = 0;
  bool have_hash = false;
  while (!r.done()) {
    pb::Field f = TRY(r.next());
    if (f.number <= last_field)
      return invalid_argument("dag-pb: PBLink fields out of order or duplicated (field " +
                              std::to_string(f.number) + ")");
    last_field = f.number;
    switch (f.number) {
      case 1: {
        if (f.wire_type != pb::kLengthDelimited) return invalid_argument("dag-pb: PBLink.Hash has wrong wire type");
        auto cid = Cid::from_bytes(f.bytes);
        if (!cid) return invalid_argument("dag-pb: PBLink.Hash: " + cid.error().message());
        link.hash = std::move(*cid);
        have_hash = true;
        break;
      }
      case 2:
        if (f.wire_type != pb::kLengthDelimited) return invalid_argument("dag-pb: PBLink.Name has wrong wire type");
        link.name = std::string(as_chars(f.bytes));
        break;
      case 3:
        if (f.wire_type != pb::kVarint) return invalid_argument("dag-pb: PBLink.Tsize has wrong wire type");
        link.tsize = f.varint;
        break;
      default:
        return invalid_argument("dag-pb: unknown PBLink field " + std::to_string(f.number));
    }
  }
  if (!have_hash) return invalid_argument("dag-pb: PBLink without Hash");
  return link;
}

}  // namespace

size_t encoded_link_size(const Link& link) { return pb::bytes_field_size(link_body_size(link)); }

Bytes encode(const Node& node) {
  size_t total = 0;
  for (const Link& l : node.links) total += encoded_link_size(l);
  if (node.data) total += pb::bytes_field_size(node.data->size());
  Bytes out;
  out.reserve(total);
  for (const Link& l : node.links) {
    pb::put_tag(out, 2, pb::kLengthDelimited);
    varint::append(out, link_body_size(l));
    pb::put_bytes_field(out, 1, l.hash.bytes());
    if (l.name) pb::put_bytes_field(out, 2, as_bytes(*l.name));
    if (l.tsize) pb::put_varint_field(out, 3, *l.tsize);
  }
  if (node.data) pb::put_bytes_field(out, 1, *node.data);
  return out;
}

Result<Node> decode(ByteView block) {
  Node node;
  pb::Reader r(block);
  enum class State { kStart, kInLinks, kLinksDone } links_state = State::kStart;
  while (!r.done()) {
    pb::Field f = TRY(r.next());
    if (f.wire_type != pb::kLengthDelimited)
      return invalid_argument("dag-pb: PBNode field " + std::to_string(f.number) + " has wrong wire type");
    if (f.number == 1) {
      if (node.data) return invalid_argument("dag-pb: duplicate Data field");
      node.data = f.bytes;
      if (links_state == State::kInLinks) links_state = State::kLinksDone;
    } else if (f.number == 2) {
      if (links_state == State::kLinksDone)
        return invalid_argument("dag-pb: Links interleaved with Data");
      links_state = State::kInLinks;
      auto link = decode_link(f.bytes);
      if (!link) return tl::unexpected(link.error());
      node.links.push_back(std::move(*link));
    } else {
      return invalid_argument("dag-pb: unknown PBNode field " + std::to_string(f.number));
    }
  }
  return node;
}

}  // namespace ipfskit::dagpb
