#include "blockstore/blockstore.h"

namespace ipfskit {

namespace {
std::string key_of(const Cid& cid) { return std::string(as_chars(cid.multihash().bytes())); }
}  // namespace

Status verify_block(const Cid& cid, ByteView data) {
  auto mh = Multihash::compute(cid.multihash().code(), {data});
  if (!mh) return tl::unexpected(mh.error());
  // Truncated digests (a shorter length than the function's output) are legal.
  ByteView want = cid.multihash().digest();
  ByteView got = mh->digest();
  if (want.size() > got.size() || !equal(want, got.first(want.size())))
    return corruption("block " + cid.to_string() + " does not match its hash");
  if (cid.is_identity() && want.size() != got.size())
    return corruption("identity block " + cid.to_string() + " has the wrong length");
  return {};
}

Result<Bytes> fetch_block(BlockSource& source, const Cid& cid) {
  if (cid.is_identity()) return to_bytes(cid.multihash().digest());
  return source.get(cid);
}

Status MemoryBlockStore::put(const Cid& cid, ByteView data) {
  if (cid.is_identity()) return {};
  std::lock_guard lock(mu_);
  blocks_.try_emplace(key_of(cid), data.begin(), data.end());
  return {};
}

Result<Bytes> MemoryBlockStore::get(const Cid& cid) {
  if (cid.is_identity()) return to_bytes(cid.multihash().digest());
  std::lock_guard lock(mu_);
  auto it = blocks_.find(key_of(cid));
  if (it == blocks_.end()) return not_found("block not found: " + cid.to_string());
  return it->second;
}

Result<bool> MemoryBlockStore::has(const Cid& cid) {
  if (cid.is_identity()) return true;
  std::lock_guard lock(mu_);
  return blocks_.count(key_of(cid)) > 0;
}

Status MemoryBlockStore::remove(const Cid& cid) {
  std::lock_guard lock(mu_);
  if (blocks_.erase(key_of(cid)) == 0) return not_found("block not found: " + cid.to_string());
  return {};
}

size_t MemoryBlockStore::size() const {
  std::lock_guard lock(mu_);
  return blocks_.size();
}

}  // namespace ipfskit
