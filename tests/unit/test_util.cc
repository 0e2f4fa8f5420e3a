#include "test_util.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "crypto/hash.h"

namespace ipfskit::test {

Bytes deterministic_bytes(const std::string& seed, size_t size) {
  auto key = crypto::sha256(as_bytes(seed));
  uint8_t iv[16] = {0};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_chacha20(), nullptr, key.data(), iv);
  Bytes zeros(size, 0), out(size);
  int outl = 0;
  EVP_EncryptUpdate(ctx, out.data(), &outl, zeros.data(), static_cast<int>(size));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ipfskit-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, ByteView data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
}

std::string fixture_path(const std::string& relative) { return std::string(IPFSKIT_FIXTURES) + "/" + relative; }

}  // namespace ipfskit::test
