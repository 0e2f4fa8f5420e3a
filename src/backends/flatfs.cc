#include "backends/flatfs.h"

#include "multiformats/multibase.h"

namespace ipfskit::backends::flatfs {

std::string key_of(const Multihash& mh) { return multibase::encode_raw(multibase::Base::kBase32Upper, mh.bytes()); }

std::string shard_of(std::string_view key) {
  // go-ds-flatfs NextToLast(2): pad with three '_' and take the two
  // characters before the last one.
  std::string padded = "___" + std::string(key);
  return padded.substr(padded.size() - 3, 2);
}

std::string relative_path(const Cid& cid) {
  std::string key = key_of(cid.multihash());
  return shard_of(key) + "/" + key + ".data";
}

}  // namespace ipfskit::backends::flatfs
