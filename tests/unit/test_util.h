// Helpers shared by the unit tests.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace ipfskit::test {

// Kubo's deterministic bytes: the ChaCha20 keystream with key sha256(seed)
// and a zero nonce (kubo test/cli/testutils/random_deterministic.go).
Bytes deterministic_bytes(const std::string& seed, size_t size);

// A fresh empty directory under the system temporary directory, removed
// when the object is destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, ByteView data);
std::string fixture_path(const std::string& relative);

}  // namespace ipfskit::test
