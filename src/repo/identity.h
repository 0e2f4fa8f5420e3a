// The node's identity: an Ed25519 key pair kept in keystore/self.key, and the
// libp2p peer ID derived from it (what `ipfs id` prints as ID, "12D3KooW...").
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/error.h"

namespace ipfskit::repo {

struct Identity {
  std::string peer_id;     // base58btc of the identity multihash of the public key protobuf
  Bytes public_key;        // raw 32-byte Ed25519 public key
  std::string public_key_b64;  // base64 of the libp2p PublicKey protobuf, as Kubo prints it

  // Generates a key pair and writes it (PKCS#8 PEM, mode 0600) to `path`.
  static Result<Identity> create(const std::string& path);
  static Result<Identity> load(const std::string& path);
};

}  // namespace ipfskit::repo
