// A block store with one file per block, named as Kubo's flatfs names them:
// <root>/<XY>/<KEY>.data, KEY being the unpadded upper-case base32 of the
// multihash and XY its next-to-last two characters.
//
// Writes go to a temporary file that is renamed into place, so a reader never
// sees half a block. Reads verify the block's hash.
#pragma once

#include <memory>
#include <string>

#include "blockstore/blockstore.h"

namespace ipfskit {

class FlatBlockStore : public BlockStore {
 public:
  // Creates `root` if needed.
  static Result<std::unique_ptr<FlatBlockStore>> open(const std::string& root);

  Status put(const Cid& cid, ByteView data) override;
  Result<Bytes> get(const Cid& cid) override;
  Result<bool> has(const Cid& cid) override;
  Status remove(const Cid& cid) override;

  // The file a block lives in.
  std::string path_of(const Cid& cid) const;

 private:
  explicit FlatBlockStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

// Kubo's datastore key for a block: unpadded base32 (upper case) of the multihash.
std::string block_key(const Multihash& mh);

}  // namespace ipfskit
