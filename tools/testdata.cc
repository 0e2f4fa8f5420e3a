// ipfskit-testdata: deterministic inputs for tests and benchmarks.
//
//   ipfskit-testdata bytes SEED SIZE
//       Writes SIZE bytes of Kubo's deterministic data to stdout: the ChaCha20
//       keystream with key sha256(SEED) and a zero nonce (kubo
//       test/cli/testutils/random_deterministic.go), so Kubo's published CIDs
//       for such files can be checked.
//   ipfskit-testdata kubo-dir DIR SEED COUNT NAMELEN LASTNAMELEN
//       Creates COUNT one-byte files ("x") in DIR, named as Kubo's HAMT
//       threshold tests name them (kubo test/cli/add_test.go).
//   ipfskit-testdata small-files DIR COUNT SIZE
//       COUNT files of SIZE bytes each (distinct content), 100 per directory.
//   ipfskit-testdata car-many CAR CIDS COUNT
//       A CARv1 of COUNT distinct 16-byte raw blocks, and their CIDs, one per
//       line, in CIDS (for pin-index benchmarks).
//   ipfskit-testdata tree DIR SEED FILES MAXSIZE
//       A pseudo-random tree of FILES files (sizes 0..MAXSIZE, nested
//       directories, empty directories, unicode names, symlinks).
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/varint.h"
#include "crypto/hash.h"
#include "multiformats/multibase.h"

namespace {

class KeyStream {
 public:
  explicit KeyStream(const std::string& seed) : ctx_(EVP_CIPHER_CTX_new()) {
    auto key = ipfskit::crypto::sha256(ipfskit::ByteView(reinterpret_cast<const uint8_t*>(seed.data()), seed.size()));
    uint8_t iv[16] = {0};  // 32-bit block counter 0, then a zero 96-bit nonce
    EVP_EncryptInit_ex(ctx_, EVP_chacha20(), nullptr, key.data(), iv);
  }
  ~KeyStream() { EVP_CIPHER_CTX_free(ctx_); }
  void fill(uint8_t* out, size_t n) {
    static const std::vector<uint8_t> zeros(1 << 20, 0);
    while (n > 0) {
      int take = static_cast<int>(std::min(n, zeros.size()));
      int outl = 0;
      EVP_EncryptUpdate(ctx_, out, &outl, zeros.data(), take);
      out += take;
      n -= static_cast<size_t>(take);
    }
  }
  uint64_t next_u64() {
    uint8_t b[8];
    fill(b, 8);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
    return v;
  }

 private:
  EVP_CIPHER_CTX* ctx_;
};

int bytes(const std::string& seed, uint64_t size) {
  KeyStream ks(seed);
  std::vector<uint8_t> buf(1 << 20);
  while (size > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(size, buf.size()));
    ks.fill(buf.data(), n);
    if (std::fwrite(buf.data(), 1, n, stdout) != n) return 1;
    size -= n;
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

bool write_file(const std::string& path, const std::string& data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

int kubo_dir(const std::string& dir, const std::string& seed, int count, int namelen, int lastlen) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz01234567890-_";
  const int alen = static_cast<int>(sizeof(kAlphabet) - 1);
  ::mkdir(dir.c_str(), 0755);
  KeyStream ks(seed);
  for (int i = 0; i < count; ++i) {
    int len = i == count - 1 ? lastlen : namelen;
    std::vector<uint8_t> raw(static_cast<size_t>(len));
    ks.fill(raw.data(), raw.size());
    std::string name;
    for (uint8_t b : raw) name += kAlphabet[b % alen];
    if (!write_file(dir + "/" + name, "x")) return 1;
  }
  return 0;
}

int tree(const std::string& root, const std::string& seed, int files, uint64_t max_size) {
  static const char* kNames[] = {"alpha", "beta", "gamma", "délta", "日本語", "emoji-🚀", "with space", "UPPER",
                                 "a.b.c", "z",     "0",    "-dash", "__",    "ünïcödé"};
  const int nnames = static_cast<int>(sizeof(kNames) / sizeof(kNames[0]));
  KeyStream ks(seed);
  ::mkdir(root.c_str(), 0755);
  std::vector<std::string> dirs{root};
  for (int i = 0; i < files; ++i) {
    uint64_t r = ks.next_u64();
    std::string parent = dirs[r % dirs.size()];
    if ((r >> 8) % 5 == 0 && dirs.size() < 64) {  // a new directory
      std::string d = parent + "/" + kNames[(r >> 16) % nnames] + "-d" + std::to_string(i);
      ::mkdir(d.c_str(), 0755);
      dirs.push_back(d);
      if ((r >> 24) % 4 == 0) continue;  // leave some directories empty
      parent = d;
    }
    std::string name = parent + "/" + kNames[(r >> 32) % nnames] + "-" + std::to_string(i);
    if ((r >> 40) % 23 == 0) {
      if (::symlink("target-does-not-matter", name.c_str()) != 0) return 1;
      continue;
    }
    // Mostly small files, sometimes large ones, sizes on chunk boundaries too.
    uint64_t size = (r >> 44) % 7 == 0 ? max_size - ((r >> 20) % 3) : ks.next_u64() % (max_size / 16 + 1);
    if ((r >> 52) % 11 == 0) size = 0;
    std::string data(size, '\0');
    ks.fill(reinterpret_cast<uint8_t*>(data.data()), data.size());
    if (!write_file(name, data)) return 1;
  }
  return 0;
}

int small_files(const std::string& dir, int count, size_t size) {
  ::mkdir(dir.c_str(), 0755);
  KeyStream ks("small-files");
  std::string data(size, '\0');
  for (int i = 0; i < count; ++i) {
    std::string sub = dir + "/d" + std::to_string(i / 100);
    if (i % 100 == 0) ::mkdir(sub.c_str(), 0755);
    ks.fill(reinterpret_cast<uint8_t*>(data.data()), data.size());
    if (!write_file(sub + "/f" + std::to_string(i), data)) return 1;
  }
  return 0;
}

// Raw CIDv1 bytes (0x01 0x55 0x12 0x20 digest) of `data`.
std::vector<uint8_t> raw_cid(const uint8_t* data, size_t n) {
  auto d = ipfskit::crypto::sha256(ipfskit::ByteView(data, n));
  std::vector<uint8_t> c(4 + d.size());
  c[0] = 0x01;
  c[1] = 0x55;
  c[2] = 0x12;
  c[3] = 0x20;
  std::memcpy(c.data() + 4, d.data(), d.size());
  return c;
}

int car_many(const std::string& car_path, const std::string& cids_path, uint64_t count) {
  FILE* car = std::fopen(car_path.c_str(), "wb");
  FILE* cids = std::fopen(cids_path.c_str(), "w");
  if (!car || !cids) return 1;
  auto block = [](uint64_t i) {
    std::vector<uint8_t> b(16);
    for (int k = 0; k < 8; ++k) b[k] = static_cast<uint8_t>(i >> (8 * k));
    std::memcpy(b.data() + 8, "ipfs-kit", 8);
    return b;
  };
  // Header {roots: [first block], version: 1}.
  auto first = block(0);
  auto root = raw_cid(first.data(), first.size());
  std::vector<uint8_t> h = {0xa2, 0x65, 'r', 'o', 'o', 't', 's', 0x81, 0xd8, 0x2a, 0x58,
                            static_cast<uint8_t>(root.size() + 1), 0x00};
  h.insert(h.end(), root.begin(), root.end());
  for (char c : std::string("\x67version\x01", 9)) h.push_back(static_cast<uint8_t>(c));
  ipfskit::Bytes len;
  ipfskit::varint::append(len, h.size());
  std::fwrite(len.data(), 1, len.size(), car);
  std::fwrite(h.data(), 1, h.size(), car);
  for (uint64_t i = 0; i < count; ++i) {
    auto b = block(i);
    auto c = raw_cid(b.data(), b.size());
    ipfskit::Bytes l;
    ipfskit::varint::append(l, c.size() + b.size());
    std::fwrite(l.data(), 1, l.size(), car);
    std::fwrite(c.data(), 1, c.size(), car);
    std::fwrite(b.data(), 1, b.size(), car);
    std::string text = ipfskit::multibase::encode(ipfskit::multibase::Base::kBase32, c);
    std::fprintf(cids, "%s\n", text.c_str());
  }
  return std::fclose(car) == 0 && std::fclose(cids) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 3 && a[0] == "bytes") return bytes(a[1], std::strtoull(a[2].c_str(), nullptr, 10));
  if (a.size() == 6 && a[0] == "kubo-dir")
    return kubo_dir(a[1], a[2], std::atoi(a[3].c_str()), std::atoi(a[4].c_str()), std::atoi(a[5].c_str()));
  if (a.size() == 4 && a[0] == "small-files")
    return small_files(a[1], std::atoi(a[2].c_str()), std::strtoull(a[3].c_str(), nullptr, 10));
  if (a.size() == 4 && a[0] == "car-many") return car_many(a[1], a[2], std::strtoull(a[3].c_str(), nullptr, 10));
  if (a.size() == 5 && a[0] == "tree")
    return tree(a[1], a[2], std::atoi(a[3].c_str()), std::strtoull(a[4].c_str(), nullptr, 10));
  std::fprintf(stderr,
               "usage: ipfskit-testdata bytes SEED SIZE\n"
               "       ipfskit-testdata kubo-dir DIR SEED COUNT NAMELEN LASTNAMELEN\n"
               "       ipfskit-testdata small-files DIR COUNT SIZE\n"
               "       ipfskit-testdata car-many CAR CIDS COUNT\n"
               "       ipfskit-testdata tree DIR SEED FILES MAXSIZE\n");
  return 2;
}
