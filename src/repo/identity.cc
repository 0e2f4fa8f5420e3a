#include "repo/identity.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <memory>

#include "base/io.h"
#include "multiformats/multibase.h"
#include "multiformats/multihash.h"

namespace ipfskit::repo {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

Result<Identity> from_key(EVP_PKEY* key) {
  Identity id;
  size_t len = 32;
  id.public_key.resize(32);
  if (EVP_PKEY_get_raw_public_key(key, id.public_key.data(), &len) != 1 || len != 32)
    return internal_error("cannot read the Ed25519 public key");
  // libp2p PublicKey protobuf: Type (1) = Ed25519 (1), Data (2) = the 32 bytes.
  Bytes proto = {0x08, 0x01, 0x12, 0x20};
  append(proto, id.public_key);
  Multihash mh = Multihash::wrap(multihash::kIdentity, proto);
  id.peer_id = multibase::encode_raw(multibase::Base::kBase58Btc, mh.bytes());
  id.public_key_b64 = multibase::encode_raw(multibase::Base::kBase64Pad, proto);
  return id;
}

}  // namespace

Result<Identity> Identity::create(const std::string& path) {
  EVP_PKEY* raw = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &raw) != 1) {
    EVP_PKEY_CTX_free(ctx);
    return internal_error("Ed25519 key generation failed");
  }
  EVP_PKEY_CTX_free(ctx);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(raw);
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return internal_error("cannot encode the private key");
  char* pem = nullptr;
  long n = BIO_get_mem_data(bio.get(), &pem);
  {
    UniqueFd fd = TRY(open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
    TRY_STATUS(write_all(fd.get(), ByteView(reinterpret_cast<uint8_t*>(pem), static_cast<size_t>(n)), path));
    if (::fsync(fd.get()) != 0) return tl::unexpected(errno_error("fsync " + path));
  }
  return from_key(key.get());
}

Result<Identity> Identity::load(const std::string& path) {
  Bytes pem = TRY(read_file(path));
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    return corruption(path + " does not hold an Ed25519 private key");
  return from_key(key.get());
}

}  // namespace ipfskit::repo
