#include "crypto/hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace ipfskit::crypto {

namespace {

// Fetching an EVP_MD is expensive; each algorithm is fetched once per process.
const EVP_MD* fetch(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) std::abort();  // OpenSSL without a standard digest: broken install
  return md;
}

const EVP_MD* md_for(Algorithm a) {
  switch (a) {
    case Algorithm::kSha1: { static const EVP_MD* m = fetch("SHA1"); return m; }
    case Algorithm::kSha2_256:
    case Algorithm::kDoubleSha2_256: { static const EVP_MD* m = fetch("SHA256"); return m; }
    case Algorithm::kSha2_384: { static const EVP_MD* m = fetch("SHA384"); return m; }
    case Algorithm::kSha2_512: { static const EVP_MD* m = fetch("SHA512"); return m; }
    case Algorithm::kSha3_224: { static const EVP_MD* m = fetch("SHA3-224"); return m; }
    case Algorithm::kSha3_256: { static const EVP_MD* m = fetch("SHA3-256"); return m; }
    case Algorithm::kSha3_384: { static const EVP_MD* m = fetch("SHA3-384"); return m; }
    case Algorithm::kSha3_512: { static const EVP_MD* m = fetch("SHA3-512"); return m; }
    case Algorithm::kShake256: { static const EVP_MD* m = fetch("SHAKE256"); return m; }
    case Algorithm::kBlake2s256: { static const EVP_MD* m = fetch("BLAKE2S-256"); return m; }
    case Algorithm::kBlake2b: break;
  }
  std::abort();
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One context per thread, reused across calls to avoid an allocation per hash.
EVP_MD_CTX* thread_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

Bytes evp_digest(const EVP_MD* md, std::initializer_list<ByteView> pieces, size_t xof_len) {
  EVP_MD_CTX* ctx = thread_ctx();
  EVP_DigestInit_ex(ctx, md, nullptr);
  for (ByteView p : pieces) EVP_DigestUpdate(ctx, p.data(), p.size());
  Bytes out;
  if (xof_len > 0) {
    out.resize(xof_len);
    EVP_DigestFinalXOF(ctx, out.data(), xof_len);
  } else {
    unsigned int len = 0;
    out.resize(EVP_MAX_MD_SIZE);
    EVP_DigestFinal_ex(ctx, out.data(), &len);
    out.resize(len);
  }
  return out;
}

// ---- BLAKE2b (RFC 7693) ----

constexpr uint64_t kBlakeIV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

constexpr uint8_t kSigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

inline uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

inline uint64_t load64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct Blake2bState {
  uint64_t h[8];
  uint64_t t[2] = {0, 0};
  uint8_t buf[128];
  size_t buflen = 0;
  size_t outlen;

  explicit Blake2bState(size_t out) : outlen(out) {
    for (int i = 0; i < 8; ++i) h[i] = kBlakeIV[i];
    h[0] ^= 0x01010000ULL ^ static_cast<uint64_t>(outlen);  // no key, fanout 1, depth 1
  }

  void compress(const uint8_t* block, bool last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; ++i) m[i] = load64_le(block + 8 * i);
    for (int i = 0; i < 8; ++i) {
      v[i] = h[i];
      v[i + 8] = kBlakeIV[i];
    }
    v[12] ^= t[0];
    v[13] ^= t[1];
    if (last) v[14] = ~v[14];
    auto g = [&](int a, int b, int c, int d, uint64_t x, uint64_t y) {
      v[a] = v[a] + v[b] + x;
      v[d] = rotr64(v[d] ^ v[a], 32);
      v[c] = v[c] + v[d];
      v[b] = rotr64(v[b] ^ v[c], 24);
      v[a] = v[a] + v[b] + y;
      v[d] = rotr64(v[d] ^ v[a], 16);
      v[c] = v[c] + v[d];
      v[b] = rotr64(v[b] ^ v[c], 63);
    };
    for (int r = 0; r < 12; ++r) {
      const uint8_t* s = kSigma[r];
      g(0, 4, 8, 12, m[s[0]], m[s[1]]);
      g(1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(2, 6, 10, 14, m[s[4]], m[s[5]]);
      g(3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(0, 5, 10, 15, m[s[8]], m[s[9]]);
      g(1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(2, 7, 8, 13, m[s[12]], m[s[13]]);
      g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; ++i) h[i] ^= v[i] ^ v[i + 8];
  }

  void increment(size_t n) {
    t[0] += n;
    if (t[0] < n) ++t[1];
  }

  void update(ByteView data) {
    const uint8_t* p = data.data();
    size_t n = data.size();
    while (n > 0) {
      // Keep the last block buffered: it must be compressed with the final flag.
      if (buflen == 128) {
        increment(128);
        compress(buf, false);
        buflen = 0;
      }
      size_t take = std::min(n, 128 - buflen);
      std::memcpy(buf + buflen, p, take);
      buflen += take;
      p += take;
      n -= take;
    }
  }

  Bytes finish() {
    increment(buflen);
    std::memset(buf + buflen, 0, 128 - buflen);
    compress(buf, true);
    Bytes out(outlen);
    for (size_t i = 0; i < outlen; ++i) out[i] = static_cast<uint8_t>(h[i / 8] >> (8 * (i % 8)));
    return out;
  }
};

}  // namespace

Sha256Digest sha256(ByteView data) { return sha256({data}); }

Sha256Digest sha256(std::initializer_list<ByteView> pieces) {
  static const EVP_MD* md = fetch("SHA256");
  EVP_MD_CTX* ctx = thread_ctx();
  EVP_DigestInit_ex(ctx, md, nullptr);
  for (ByteView p : pieces) EVP_DigestUpdate(ctx, p.data(), p.size());
  Sha256Digest out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  return out;
}

Bytes blake2b(ByteView data, size_t out_len) {
  Blake2bState s(out_len);
  s.update(data);
  return s.finish();
}

Bytes digest(Algorithm algorithm, size_t out_len, std::initializer_list<ByteView> pieces) {
  switch (algorithm) {
    case Algorithm::kBlake2b: {
      Blake2bState s(out_len);
      for (ByteView p : pieces) s.update(p);
      return s.finish();
    }
    case Algorithm::kDoubleSha2_256: {
      Sha256Digest first = sha256(pieces);
      Sha256Digest second = sha256(ByteView(first));
      return Bytes(second.begin(), second.end());
    }
    case Algorithm::kShake256:
      return evp_digest(md_for(algorithm), pieces, 64);
    default:
      return evp_digest(md_for(algorithm), pieces, 0);
  }
}

// ---- MurmurHash3 x64_128 (public domain, Austin Appleby) ----

namespace {
inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
}  // namespace

uint64_t murmur3_x64_64(ByteView data) {
  const uint8_t* p = data.data();
  const size_t len = data.size();
  const size_t nblocks = len / 16;
  uint64_t h1 = 0, h2 = 0;
  const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;

  for (size_t i = 0; i < nblocks; ++i) {
    uint64_t k1 = load64_le(p + 16 * i), k2 = load64_le(p + 16 * i + 8);
    k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
    h1 = rotl64(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
    k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
    h2 = rotl64(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
  }

  const uint8_t* tail = p + nblocks * 16;
  uint64_t k1 = 0, k2 = 0;
  switch (len & 15) {
    case 15: k2 ^= static_cast<uint64_t>(tail[14]) << 48; [[fallthrough]];
    case 14: k2 ^= static_cast<uint64_t>(tail[13]) << 40; [[fallthrough]];
    case 13: k2 ^= static_cast<uint64_t>(tail[12]) << 32; [[fallthrough]];
    case 12: k2 ^= static_cast<uint64_t>(tail[11]) << 24; [[fallthrough]];
    case 11: k2 ^= static_cast<uint64_t>(tail[10]) << 16; [[fallthrough]];
    case 10: k2 ^= static_cast<uint64_t>(tail[9]) << 8; [[fallthrough]];
    case 9:
      k2 ^= static_cast<uint64_t>(tail[8]);
      k2 *= c2; k2 = rotl64(k2, 33); k2 *= c1; h2 ^= k2;
      [[fallthrough]];
    case 8: k1 ^= static_cast<uint64_t>(tail[7]) << 56; [[fallthrough]];
    case 7: k1 ^= static_cast<uint64_t>(tail[6]) << 48; [[fallthrough]];
    case 6: k1 ^= static_cast<uint64_t>(tail[5]) << 40; [[fallthrough]];
    case 5: k1 ^= static_cast<uint64_t>(tail[4]) << 32; [[fallthrough]];
    case 4: k1 ^= static_cast<uint64_t>(tail[3]) << 24; [[fallthrough]];
    case 3: k1 ^= static_cast<uint64_t>(tail[2]) << 16; [[fallthrough]];
    case 2: k1 ^= static_cast<uint64_t>(tail[1]) << 8; [[fallthrough]];
    case 1:
      k1 ^= static_cast<uint64_t>(tail[0]);
      k1 *= c1; k1 = rotl64(k1, 31); k1 *= c2; h1 ^= k1;
      break;
    default: break;
  }

  h1 ^= len; h2 ^= len;
  h1 += h2; h2 += h1;
  h1 = fmix64(h1); h2 = fmix64(h2);
  h1 += h2;
  return h1;
}

}  // namespace ipfskit::crypto
