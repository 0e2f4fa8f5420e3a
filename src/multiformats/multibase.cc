#include "multiformats/multibase.h"

#include <array>
#include <cctype>

namespace ipfskit::multibase {

namespace {

enum class Kind { kBits, kBigNum };

struct Spec {
  Base base;
  std::string_view name;
  Kind kind;
  std::string_view alphabet;
  int bits_per_char;  // kBits only
  bool pad;           // kBits only
};

constexpr std::string_view kB32 = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kB32Up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kB32Hex = "0123456789abcdefghijklmnopqrstuv";
constexpr std::string_view kB32HexUp = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kB64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Ordered by prefix character, which is the order `cid bases` prints.
constexpr std::array kSpecs = {
    Spec{Base::kBase2, "base2", Kind::kBits, "01", 1, false},
    Spec{Base::kBase8, "base8", Kind::kBits, "01234567", 3, false},
    Spec{Base::kBase10, "base10", Kind::kBigNum, "0123456789", 0, false},
    Spec{Base::kBase32Upper, "base32upper", Kind::kBits, kB32Up, 5, false},
    Spec{Base::kBase32PadUpper, "base32padupper", Kind::kBits, kB32Up, 5, true},
    Spec{Base::kBase16Upper, "base16upper", Kind::kBits, "0123456789ABCDEF", 4, false},
    Spec{Base::kBase36Upper, "base36upper", Kind::kBigNum, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 0, false},
    Spec{Base::kBase64Pad, "base64pad", Kind::kBits, kB64, 6, true},
    Spec{Base::kBase32HexPadUpper, "base32hexpadupper", Kind::kBits, kB32HexUp, 5, true},
    Spec{Base::kBase64UrlPad, "base64urlpad", Kind::kBits, kB64Url, 6, true},
    Spec{Base::kBase32HexUpper, "base32hexupper", Kind::kBits, kB32HexUp, 5, false},
    Spec{Base::kBase58Flickr, "base58flickr", Kind::kBigNum,
         "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ", 0, false},
    Spec{Base::kBase32, "base32", Kind::kBits, kB32, 5, false},
    Spec{Base::kBase32Pad, "base32pad", Kind::kBits, kB32, 5, true},
    Spec{Base::kBase16, "base16", Kind::kBits, "0123456789abcdef", 4, false},
    Spec{Base::kBase32Z, "base32z", Kind::kBits, "ybndrfg8ejkmcpqxot1uwisza345h769", 5, false},
    Spec{Base::kBase36, "base36", Kind::kBigNum, "0123456789abcdefghijklmnopqrstuvwxyz", 0, false},
    Spec{Base::kBase64, "base64", Kind::kBits, kB64, 6, false},
    Spec{Base::kBase32HexPad, "base32hexpad", Kind::kBits, kB32Hex, 5, true},
    Spec{Base::kBase64Url, "base64url", Kind::kBits, kB64Url, 6, false},
    Spec{Base::kBase32Hex, "base32hex", Kind::kBits, kB32Hex, 5, false},
    Spec{Base::kBase58Btc, "base58btc", Kind::kBigNum,
         "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", 0, false},
};

const Spec& spec_for(Base base) {
  for (const Spec& s : kSpecs)
    if (s.base == base) return s;
  return kSpecs[0];  // unreachable for valid enum values
}

// Decoding tables, built once: value of each character or -1.
struct Table {
  std::array<int8_t, 256> value;
};

Table make_table(std::string_view alphabet) {
  Table t;
  t.value.fill(-1);
  for (size_t i = 0; i < alphabet.size(); ++i)
    t.value[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

const Table& table_for(const Spec& spec) {
  static const auto tables = [] {
    std::array<Table, kSpecs.size()> t;
    for (size_t i = 0; i < kSpecs.size(); ++i) t[i] = make_table(kSpecs[i].alphabet);
    return t;
  }();
  return tables[&spec - kSpecs.data()];
}

std::string encode_bits(const Spec& s, ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + s.bits_per_char - 1) / s.bits_per_char + 8);
  const uint32_t mask = (1u << s.bits_per_char) - 1;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= s.bits_per_char) {
      bits -= s.bits_per_char;
      out += s.alphabet[(buffer >> bits) & mask];
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits > 0) out += s.alphabet[(buffer << (s.bits_per_char - bits)) & mask];
  if (s.pad)
    while ((out.size() * s.bits_per_char) % 8 != 0) out += '=';
  return out;
}

Result<Bytes> decode_bits(const Spec& s, std::string_view text) {
  if (s.pad) {
    // Padding must bring the length to a whole number of groups.
    size_t group = s.bits_per_char == 5 ? 8 : s.bits_per_char == 6 ? 4 : 1;
    if (text.size() % group != 0) return invalid_argument(std::string(s.name) + ": bad padding");
    size_t end = text.size();
    while (end > 0 && text[end - 1] == '=') --end;
    if (text.size() - end >= group) return invalid_argument(std::string(s.name) + ": bad padding");
    text = text.substr(0, end);
  }
  const Table& t = table_for(s);
  const bool case_insensitive_hex = s.bits_per_char == 4;
  Bytes out;
  out.reserve(text.size() * s.bits_per_char / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = t.value[static_cast<uint8_t>(c)];
    if (v < 0 && case_insensitive_hex) {
      // Like Go's encoding/hex, base16 accepts either case.
      char other = s.base == Base::kBase16 ? static_cast<char>(std::tolower(static_cast<uint8_t>(c)))
                                            : static_cast<char>(std::toupper(static_cast<uint8_t>(c)));
      v = t.value[static_cast<uint8_t>(other)];
    }
    if (v < 0) return invalid_argument(std::string(s.name) + ": invalid character");
    buffer = (buffer << s.bits_per_char) | static_cast<uint32_t>(v);
    bits += s.bits_per_char;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
    }
    buffer &= (1u << bits) - 1;
  }
  if (bits >= s.bits_per_char || buffer != 0)
    return invalid_argument(std::string(s.name) + ": unexpected end of data");
  return out;
}

std::string encode_bignum(const Spec& s, ByteView data) {
  const uint32_t radix = static_cast<uint32_t>(s.alphabet.size());
  size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  std::vector<uint8_t> digits;  // little-endian digits in `radix`
  digits.reserve(data.size() * 2);
  for (size_t i = zeros; i < data.size(); ++i) {
    uint32_t carry = data[i];
    for (uint8_t& d : digits) {
      carry += static_cast<uint32_t>(d) << 8;
      d = static_cast<uint8_t>(carry % radix);
      carry /= radix;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % radix));
      carry /= radix;
    }
  }
  std::string out(zeros, s.alphabet[0]);
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out += s.alphabet[*it];
  return out;
}

// Longest text we convert with the quadratic big-number algorithm. CIDs and
// keys are far shorter; the cap keeps hostile input from burning CPU.
constexpr size_t kMaxBigNumChars = 4096;

Result<Bytes> decode_bignum(const Spec& s, std::string_view text) {
  if (text.size() > kMaxBigNumChars) return invalid_argument(std::string(s.name) + ": input too long");
  const Table& t = table_for(s);
  const uint32_t radix = static_cast<uint32_t>(s.alphabet.size());
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == s.alphabet[0]) ++zeros;
  std::vector<uint8_t> bytes;  // little-endian
  for (size_t i = zeros; i < text.size(); ++i) {
    int v = t.value[static_cast<uint8_t>(text[i])];
    if (v < 0) return invalid_argument(std::string(s.name) + ": invalid character");
    uint32_t carry = static_cast<uint32_t>(v);
    for (uint8_t& b : bytes) {
      carry += static_cast<uint32_t>(b) * radix;
      b = static_cast<uint8_t>(carry);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry));
      carry >>= 8;
    }
  }
  Bytes out(zeros, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

}  // namespace

const std::vector<BaseInfo>& all_bases() {
  static const std::vector<BaseInfo> bases = [] {
    std::vector<BaseInfo> v;
    for (const Spec& s : kSpecs) v.push_back({s.base, s.name});
    return v;
  }();
  return bases;
}

std::optional<Base> base_by_prefix(char prefix) {
  for (const Spec& s : kSpecs)
    if (static_cast<char>(s.base) == prefix) return s.base;
  return std::nullopt;
}

std::optional<Base> base_by_name(std::string_view name) {
  for (const Spec& s : kSpecs)
    if (s.name == name) return s.base;
  if (name.size() == 1) return base_by_prefix(name[0]);
  return std::nullopt;
}

std::string_view base_name(Base base) { return spec_for(base).name; }

std::string encode_raw(Base base, ByteView data) {
  const Spec& s = spec_for(base);
  return s.kind == Kind::kBits ? encode_bits(s, data) : encode_bignum(s, data);
}

std::string encode(Base base, ByteView data) {
  return std::string(1, static_cast<char>(base)) + encode_raw(base, data);
}

Result<Bytes> decode_raw(Base base, std::string_view text) {
  const Spec& s = spec_for(base);
  return s.kind == Kind::kBits ? decode_bits(s, text) : decode_bignum(s, text);
}

Result<Decoded> decode(std::string_view text) {
  if (text.empty()) return invalid_argument("empty multibase string");
  auto base = base_by_prefix(text[0]);
  if (!base) {
    std::string shown = static_cast<unsigned char>(text[0]) >= 0x20 && static_cast<unsigned char>(text[0]) < 0x7f
                            ? std::string(1, text[0])
                            : "0x" + to_hex(as_bytes(text.substr(0, 1)));
    return invalid_argument("unknown multibase prefix '" + shown + "'");
  }
  Bytes bytes = TRY(decode_raw(*base, text.substr(1)));
  return Decoded{*base, std::move(bytes)};
}

}  // namespace ipfskit::multibase
