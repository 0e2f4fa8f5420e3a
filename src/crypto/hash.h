// Cryptographic and non-cryptographic hash functions.
//
// SHA-2, SHA-3, SHA-1 and the fixed-size BLAKE2 variants come from OpenSSL,
// which picks the fastest code for the CPU (SHA-NI on x86-64 when present).
// BLAKE2b with a custom output length (blake2b-256 and friends) is ours:
// OpenSSL 3.0 only offers the 512-bit output. murmur3 is ours: it is only
// used for HAMT bucket selection.
//
// All functions are thread safe.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

#include "base/bytes.h"

namespace ipfskit::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of `data`.
Sha256Digest sha256(ByteView data);

// SHA-256 of the concatenation of `pieces`, without concatenating them.
Sha256Digest sha256(std::initializer_list<ByteView> pieces);

// Digest algorithms that can be selected by name at run time.
enum class Algorithm {
  kSha1,
  kSha2_256,
  kSha2_384,
  kSha2_512,
  kSha3_224,
  kSha3_256,
  kSha3_384,
  kSha3_512,
  kShake256,   // 64-byte output (the multihash default length)
  kBlake2b,    // output length 1..64 bytes
  kBlake2s256, // 32-byte output
  kDoubleSha2_256,
};

// Hashes the concatenation of `pieces` with `algorithm`; `out_len` is the
// digest length (only variable for kBlake2b). Returns the digest.
Bytes digest(Algorithm algorithm, size_t out_len, std::initializer_list<ByteView> pieces);

// BLAKE2b (RFC 7693), unkeyed, with `out_len` in 1..64.
Bytes blake2b(ByteView data, size_t out_len);

// MurmurHash3 x64 128-bit with seed 0; returns the first 64-bit half (h1).
uint64_t murmur3_x64_64(ByteView data);

}  // namespace ipfskit::crypto
