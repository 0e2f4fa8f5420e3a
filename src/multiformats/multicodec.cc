#include "multiformats/multicodec.h"

#include <charconv>

namespace ipfskit::multicodec {

const std::vector<CodecInfo>& ipld_codecs() {
  static const std::vector<CodecInfo> codecs = {
      {0x51, "cbor"},
      {0x55, "raw"},
      {0x70, "dag-pb"},
      {0x71, "dag-cbor"},
      {0x72, "libp2p-key"},
      {0x78, "git-raw"},
      {0x7b, "torrent-info"},
      {0x7c, "torrent-file"},
      {0x81, "leofcoin-block"},
      {0x82, "leofcoin-tx"},
      {0x83, "leofcoin-pr"},
      {0x85, "dag-jose"},
      {0x86, "dag-cose"},
      {0x90, "eth-block"},
      {0x91, "eth-block-list"},
      {0x92, "eth-tx-trie"},
      {0x93, "eth-tx"},
      {0x94, "eth-tx-receipt-trie"},
      {0x95, "eth-tx-receipt"},
      {0x96, "eth-state-trie"},
      {0x97, "eth-account-snapshot"},
      {0x98, "eth-storage-trie"},
      {0x99, "eth-receipt-log-trie"},
      {0x9a, "eth-receipt-log"},
      {0xb0, "bitcoin-block"},
      {0xb1, "bitcoin-tx"},
      {0xb2, "bitcoin-witness-commitment"},
      {0xc0, "zcash-block"},
      {0xc1, "zcash-tx"},
      {0xd0, "stellar-block"},
      {0xd1, "stellar-tx"},
      {0xe0, "decred-block"},
      {0xe1, "decred-tx"},
      {0xf0, "dash-block"},
      {0xf1, "dash-tx"},
      {0xfa, "swarm-manifest"},
      {0xfb, "swarm-feed"},
      {0xfc, "beeson"},
      {0x0129, "dag-json"},
      {0x01f0, "swhid-1-snp"},
      {0x0200, "json"},
  };
  return codecs;
}

std::string codec_name(uint64_t code) {
  for (const auto& c : ipld_codecs())
    if (c.code == code) return std::string(c.name);
  return "codec?" + std::to_string(code);
}

std::optional<uint64_t> codec_by_name(std::string_view name) {
  for (const auto& c : ipld_codecs())
    if (c.name == name) return c.code;
  uint64_t v = 0;
  std::string_view digits = name;
  int radix = 10;
  if (digits.starts_with("0x")) {
    digits.remove_prefix(2);
    radix = 16;
  }
  if (digits.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, radix);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return v;
}

}  // namespace ipfskit::multicodec
