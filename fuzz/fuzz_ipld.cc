// The IPLD data model codecs used by dag/get, dag/put and the trustless
// gateway (dag-cbor, dag-json, dag-pb as data): hostile bytes never crash,
// and whatever decodes re-encodes to a stable form (encoding what the
// encoding decodes to gives the same bytes).
#include <cstdlib>
#include <string_view>

#include "ipld/ipld.h"

namespace {

template <typename Decode, typename Encode>
void round_trip(const Decode& decode, const Encode& encode, ipfskit::ByteView input) {
  auto v = decode(input);
  if (!v) return;
  auto once = encode(*v);
  if (!once) return;  // some values have no encoding in this codec (dag-pb shapes)
  auto v2 = decode(ipfskit::ByteView(reinterpret_cast<const uint8_t*>(once->data()), once->size()));
  if (!v2) std::abort();  // what we encode, we must decode
  auto twice = encode(*v2);
  if (!twice || *twice != *once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipfskit;
  ByteView in(data, size);
  round_trip([](ByteView b) { return ipld::decode_dag_cbor(b); },
             [](const ipld::Value& v) -> Result<Bytes> { return ipld::encode_dag_cbor(v); }, in);
  round_trip([](ByteView b) { return ipld::decode_dag_json(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())); },
             [](const ipld::Value& v) -> Result<std::string> { return ipld::encode_dag_json(v); }, in);
  round_trip([](ByteView b) { return ipld::decode_dag_pb(b); },
             [](const ipld::Value& v) { return ipld::encode_dag_pb(v); }, in);
  return 0;
}
