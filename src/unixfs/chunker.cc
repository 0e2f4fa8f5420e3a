#include "unixfs/chunker.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

namespace ipfskit::unixfs {

namespace {

// Parses an integer the way Go's strconv.Atoi does (optional sign, decimal).
bool parse_int(std::string_view s, int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t i = s.find(sep, start);
    if (i == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, i - start));
    start = i + 1;
  }
}

// A rabin-MIN-AVG-MAX part, optionally labelled ("min:87381").
Result<int64_t> labelled(std::string_view part, std::string_view label) {
  auto sub = split(part, ':');
  if (sub.size() > 1 && sub[0] != label)
    return invalid_argument("incorrect chunker format: expected label '" + std::string(label) + "'");
  int64_t v;
  if (!parse_int(sub.back(), v)) return invalid_argument("invalid chunker size '" + std::string(sub.back()) + "'");
  return v;
}

}  // namespace

uint64_t ChunkSpec::max_chunk() const {
  switch (kind) {
    case Kind::kFixed: return size;
    case Kind::kBuzhash: return 512 * 1024;
    // With min < 16 boxo's skip count wraps around and a chunk runs to the end
    // of the input; the leaf size limit then bounds it.
    case Kind::kRabin: return min < 16 ? kBlockSizeLimit : max;
  }
  return size;
}

std::string ChunkSpec::to_string() const {
  switch (kind) {
    case Kind::kFixed: return "size-" + std::to_string(size);
    case Kind::kBuzhash: return "buzhash";
    case Kind::kRabin:
      return "rabin-" + std::to_string(min) + "-" + std::to_string(avg) + "-" + std::to_string(max);
  }
  return "";
}

Result<ChunkSpec> parse_chunker(std::string_view spec, uint64_t default_size) {
  ChunkSpec s;
  if (spec.empty() || spec == "default") {
    s.kind = ChunkSpec::Kind::kFixed;
    s.size = default_size;
    return s;
  }
  std::string_view name = spec.substr(0, spec.find('-'));
  if (name == "size") {
    auto parts = split(spec, '-');
    if (parts.size() != 2) return invalid_argument("incorrect chunker string format (expected size-{size})");
    int64_t size;
    if (!parse_int(parts[1], size)) return invalid_argument("invalid chunk size '" + std::string(parts[1]) + "'");
    if (size <= 0) return invalid_argument("chunker size must be greater than 0");
    if (static_cast<uint64_t>(size) > kChunkSizeLimit)
      return invalid_argument("chunker parameters may not exceed the maximum chunk size of " +
                              std::to_string(kChunkSizeLimit));
    s.kind = ChunkSpec::Kind::kFixed;
    s.size = static_cast<uint64_t>(size);
    return s;
  }
  if (name == "buzhash") {
    s.kind = ChunkSpec::Kind::kBuzhash;  // Kubo ignores anything after "buzhash-"
    return s;
  }
  if (name == "rabin") {
    auto parts = split(spec, '-');
    s.kind = ChunkSpec::Kind::kRabin;
    if (parts.size() == 1 || parts.size() == 2) {
      int64_t avg = static_cast<int64_t>(default_size);
      if (parts.size() == 2) {
        if (!parse_int(parts[1], avg)) return invalid_argument("invalid rabin size '" + std::string(parts[1]) + "'");
        if (static_cast<int64_t>(static_cast<float>(avg) * 1.5f) > static_cast<int64_t>(kChunkSizeLimit))
          return invalid_argument("chunker parameters may not exceed the maximum chunk size of " +
                                  std::to_string(kChunkSizeLimit));
        if (avg <= 0) return invalid_argument("rabin average size must be greater than 0");
      }
      s.avg = static_cast<uint64_t>(avg);
      s.min = s.avg / 3;
      s.max = s.avg + s.avg / 2;
      return s;
    }
    if (parts.size() == 4) {
      int64_t min = TRY(labelled(parts[1], "min"));
      if (min < 16) return invalid_argument("rabin min must be greater than 16");
      int64_t avg = TRY(labelled(parts[2], "avg"));
      int64_t max = TRY(labelled(parts[3], "max"));
      if (min >= avg) return invalid_argument("incorrect format: rabin-min must be smaller than rabin-avg");
      if (avg >= max) return invalid_argument("incorrect format: rabin-avg must be smaller than rabin-max");
      if (static_cast<uint64_t>(max) > kChunkSizeLimit)
        return invalid_argument("chunker parameters may not exceed the maximum chunk size of " +
                                std::to_string(kChunkSizeLimit));
      s.min = static_cast<uint64_t>(min);
      s.avg = static_cast<uint64_t>(avg);
      s.max = static_cast<uint64_t>(max);
      return s;
    }
    return invalid_argument("incorrect format (expected 'rabin' 'rabin-[avg]' or 'rabin-[min]-[avg]-[max]')");
  }
  return invalid_argument("unrecognized chunker option: " + std::string(spec));
}

namespace {

// ---- fixed size ----

class FixedChunker final : public Chunker {
 public:
  FixedChunker(ByteReader& in, uint64_t size) : in_(in), size_(size) {}
  Result<size_t> next(uint8_t* out, size_t capacity) override {
    if (capacity < size_) return internal_error("chunk buffer too small");
    if (eof_) return 0;
    size_t n = TRY(in_.read_full(out, size_));
    if (n < size_) eof_ = true;  // a short read means the input is exhausted
    return n;
  }

 private:
  ByteReader& in_;
  uint64_t size_;
  bool eof_ = false;
};

// ---- Rabin fingerprinting ----
//
// The algorithm of restic's chunker as Kubo uses it (boxo chunker/rabin.go
// over whyrusleeping/chunker): polynomial 0x3DF305DFB2A805 of degree 53, a
// 16-byte window, a cut where the fingerprint's low log2(avg) bits are zero.
// Each chunk starts by skipping min-16 bytes without fingerprinting them;
// the window restarts as if the byte 1 had just been slid in.

constexpr uint64_t kRabinPolynomial = 17437180132763653ULL;
constexpr int kWindowSize = 16;

int degree(uint64_t p) { return p == 0 ? -1 : 63 - std::countl_zero(p); }

uint64_t poly_mod(uint64_t x, uint64_t d) {
  const int dd = degree(d);
  while (degree(x) >= dd) x ^= d << (degree(x) - dd);
  return x;
}

struct RabinTables {
  std::array<uint64_t, 256> out;
  std::array<uint64_t, 256> mod;
  RabinTables() {
    auto append_byte = [](uint64_t h, uint8_t b) { return poly_mod((h << 8) | b, kRabinPolynomial); };
    for (int b = 0; b < 256; ++b) {
      uint64_t h = append_byte(0, static_cast<uint8_t>(b));
      for (int i = 0; i < kWindowSize - 1; ++i) h = append_byte(h, 0);
      out[b] = h;
    }
    const int k = degree(kRabinPolynomial);
    for (uint64_t b = 0; b < 256; ++b) mod[b] = poly_mod(b << k, kRabinPolynomial) | (b << k);
  }
};

const RabinTables& rabin_tables() {
  static const RabinTables t;
  return t;
}

// A read buffer for content-defined chunkers: bytes read but not yet emitted.
class Pending {
 public:
  explicit Pending(size_t capacity) : buf_(capacity) {}
  const uint8_t* data() const { return buf_.data() + start_; }
  size_t size() const { return end_ - start_; }
  // Reads more input; returns false at the end of the input.
  Result<bool> fill(ByteReader& in, size_t want) {
    if (start_ > 0 && (buf_.size() - end_) < want) {
      std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    size_t room = std::min(want, buf_.size() - end_);
    if (room == 0) return true;
    size_t n = TRY(in.read_full(buf_.data() + end_, room));
    end_ += n;
    return n > 0;
  }
  bool full() const { return start_ == 0 && end_ == buf_.size(); }
  void consume(size_t n) {
    start_ += n;
    if (start_ == end_) start_ = end_ = 0;
  }

 private:
  std::vector<uint8_t> buf_;
  size_t start_ = 0, end_ = 0;
};

class RabinChunker final : public Chunker {
 public:
  RabinChunker(ByteReader& in, const ChunkSpec& s)
      : in_(in), t_(rabin_tables()), min_(s.min), max_(s.max), pending_(kRead * 2 + s.max_chunk()) {
    int sizepow = static_cast<int>(std::floor(std::log2(static_cast<double>(s.avg))));
    mask_ = (uint64_t{1} << sizepow) - 1;
    reset();
  }

  Result<size_t> next(uint8_t* out, size_t capacity) override {
    for (;;) {
      // Scan the bytes we hold that belong to the current chunk.
      const uint8_t* p = pending_.data();
      while (scanned_ < pending_.size()) {
        if (pre_ > 0) {
          uint64_t skip = std::min<uint64_t>(pre_, pending_.size() - scanned_);
          pre_ -= skip;
          scanned_ += skip;
          continue;
        }
        uint8_t b = p[scanned_++];
        uint8_t leaving = window_[wpos_];
        window_[wpos_] = b;
        digest_ ^= t_.out[leaving];
        wpos_ = (wpos_ + 1) % kWindowSize;
        uint64_t index = digest_ >> kPolShift;
        digest_ = ((digest_ << 8) | b) ^ t_.mod[index];
        if (scanned_ < min_) continue;
        if ((digest_ & mask_) == 0 || scanned_ >= max_) return emit(scanned_, out, capacity);
      }
      if (!eof_) {
        if (pending_.full()) return invalid_argument("object size limit exceeded: chunk over " +
                                                     std::to_string(pending_.size()) + " bytes");
        eof_ = !TRY(pending_.fill(in_, kRead));
        continue;
      }
      if (pending_.size() == 0) return 0;
      return emit(pending_.size(), out, capacity);  // the tail after the last cut
    }
  }

 private:
  static constexpr size_t kRead = 512 * 1024;
  static constexpr int kPolShift = 53 - 8;

  void reset() {
    window_.fill(0);
    wpos_ = 0;
    digest_ = 0;
    // Slide in the byte 1 (boxo's reset() does the same).
    window_[0] = 1;
    wpos_ = 1;
    digest_ = 1;
    pre_ = min_ - kWindowSize;  // wraps like Go's uint64 when min < 16
    scanned_ = 0;
  }

  Result<size_t> emit(size_t n, uint8_t* out, size_t capacity) {
    if (n > capacity) return invalid_argument("object size limit exceeded: chunk of " + std::to_string(n) + " bytes");
    std::memcpy(out, pending_.data(), n);
    pending_.consume(n);
    reset();
    return n;
  }

  ByteReader& in_;
  const RabinTables& t_;
  uint64_t min_, max_, mask_ = 0;
  Pending pending_;
  bool eof_ = false;
  std::array<uint8_t, kWindowSize> window_{};
  int wpos_ = 0;
  uint64_t digest_ = 0;
  uint64_t pre_ = 0;
  size_t scanned_ = 0;  // bytes of pending_ that belong to the current chunk
};

// ---- buzhash ----
//
// Kubo's buzhash (boxo chunker/buzhash.go): a 32-byte rolling window over a
// fixed table of 256 random 32-bit values; cut where the low 17 bits are zero,
// never before 128 KiB, always by 512 KiB.

constexpr size_t kBuzMin = 128 << 10;
constexpr size_t kBuzMax = 512 << 10;
constexpr uint32_t kBuzMask = (1u << 17) - 1;

constexpr uint32_t kBuzTable[256] = {
    0x6236e7d5, 0x10279b0b, 0x72818182, 0xdc526514, 0x2fd41e3d, 0x777ef8c8,
    0x83ee5285, 0x2c8f3637, 0x2f049c1a, 0x57df9791, 0x9207151f, 0x9b544818,
    0x74eef658, 0x2028ca60, 0x0271d91a, 0x27ae587e, 0xecf9fa5f, 0x236e71cd,
    0xf43a8a2e, 0x0bb13380, 0x9e57912c, 0x89a26cdb, 0x9fcf3d71, 0xa86da6f1,
    0x9c49f376, 0x346aecc7, 0xf094a9ee, 0xea99e9cb, 0xb01713c6, 0x088acffb,
    0x2960a0fb, 0x344a626c, 0x7ff22a46, 0x6d7a1aa5, 0x6a714916, 0x41d454ca,
    0x8325b830, 0x0b65f563, 0x447fecca, 0xf9d0ea5e, 0xc1d9d3d4, 0xcb5ec574,
    0x55aae902, 0x86edc0e7, 0x0d3a9e33, 0xe70dc1e1, 0xe3c5f639, 0x9b43140a,
    0xc6490ac5, 0x5e4030fb, 0x8e976dd5, 0xa87468ea, 0xf830ef6f, 0xcc1ed5a5,
    0x611f4e78, 0xddd11905, 0xf2613904, 0x566c67b9, 0x905a5ccc, 0x7b37b3a4,
    0x4b53898a, 0x6b8fd29d, 0xaad81575, 0x511be414, 0x3cfac1e7, 0x8029a179,
    0xd40efeda, 0x07380e02, 0xdc9beffd, 0x2d049082, 0x99bc7831, 0xff5002a8,
    0x21ce7646, 0x01cd049b, 0x0f43994f, 0xc3c6c5a5, 0xbbda5f50, 0x0ec15ec7,
    0x9adb19b6, 0x0c1e80b9, 0xb9b52968, 0xae162419, 0x2542b405, 0x91a42e9d,
    0x6be0f668, 0x6ed7a6b9, 0xbc2777b4, 0xe162ce56, 0x4266aad5, 0x60fdb704,
    0x66f832a5, 0x9595f6ca, 0xfee83ced, 0x55228d99, 0x12bf0e28, 0x66896459,
    0x0789afda, 0x0282baa8, 0x2367a343, 0x591491b0, 0x2ff1a4b1, 0x410739b6,
    0x9b7055a0, 0x2e0eb229, 0x24fc8252, 0x3327d3df, 0xb0782669, 0x1c62e069,
    0x7f503101, 0xf50593ae, 0xd9eb275d, 0xe00eb678, 0x5917ccde, 0x97b9660a,
    0xdd06202d, 0xed229e22, 0xa9c735bf, 0xd6316fe6, 0x6fc72e4c, 0x0206dfa2,
    0xd6b15c5a, 0x69d87b49, 0x09c97745, 0x13445d61, 0x35a975aa, 0x859aa9b9,
    0x65380013, 0xd1fb6391, 0xc29255fd, 0x784a3b91, 0xb9e74c26, 0x63ce4d40,
    0xc07cbe9e, 0xe6e4529e, 0x0fb3632f, 0x9438d9c9, 0x682f94a8, 0xf8fd4611,
    0x257ec1ed, 0x475ce3d6, 0x60ee2db1, 0x2afab002, 0x2b9e4878, 0x86b340de,
    0x1482fdca, 0xfe41b3bf, 0xd4a412b0, 0xe09db98c, 0xc1af5d53, 0x7e55e25f,
    0xd3346b38, 0xb7a12cbd, 0x9c6827ba, 0x71f78bee, 0x8c3a0f52, 0x150491b0,
    0xf26de912, 0x233e3a4e, 0xd309ebba, 0xa0a9e0ff, 0xca2b5921, 0xeeb9893c,
    0x33829e88, 0x9870cc2a, 0x23c4b9d0, 0xeba32ea3, 0xbdac4d22, 0x3bc8c44c,
    0x1e8d0397, 0xf9327735, 0x783b009f, 0x0eb83742, 0x2621dc71, 0xed017d03,
    0x5c760aa1, 0x5a69814b, 0x96e3047f, 0xa93c9cde, 0x615c86f5, 0xb4322aa5,
    0x4225534d, 0x0d2e2de3, 0xccfccc4b, 0x0bac2a57, 0xf0a06d04, 0xbc78d737,
    0xf2d1f766, 0xf5a7953c, 0xbcdfda85, 0x5213b7d5, 0xbce8a328, 0xd38f5f18,
    0xdb094244, 0xfe571253, 0x317fa7ee, 0x4a324f43, 0x3ffc39d9, 0x51b3fa8e,
    0x7a4bee9f, 0x78bbc682, 0x9f5c0350, 0x02fe286c, 0x245ab686, 0xed6bf7d7,
    0x0ac4988a, 0x3fe010fa, 0xc65fe369, 0xa45749cb, 0x2b84e537, 0xde9ff363,
    0x20540f9a, 0xaa8c9b34, 0x5bc476b3, 0x1d574bd7, 0x929100ad, 0x4721de4d,
    0x27df1b05, 0x58b18546, 0xb7e76764, 0xdf904e58, 0x97af57a1, 0xbd4dc433,
    0xa6256dfd, 0xf63998f3, 0xf1e05833, 0xe20acf26, 0xf57fd9d6, 0x90300b4d,
    0x89df4290, 0x68d01cbc, 0xcf893ee3, 0xcc42a046, 0x778e181b, 0x67265c76,
    0xe981a4c4, 0x82991da1, 0x708f7294, 0xe6e2ae62, 0xfc441870, 0x95e1b0b6,
    0x0445f825, 0x5a93b47f, 0x5e9cf4be, 0x84da71e7, 0x9d9582b0, 0x9bf835ef,
    0x591f61e2, 0x43325985, 0x5d2de32e, 0x8d8fbf0f, 0x95b30f38, 0x07ad5b6e,
    0x4e934edf, 0x3cd4990e, 0x9053e259, 0x5c41857d,
};

class BuzhashChunker final : public Chunker {
 public:
  explicit BuzhashChunker(ByteReader& in) : in_(in), pending_(kBuzMax) {}

  Result<size_t> next(uint8_t* out, size_t capacity) override {
    if (capacity < kBuzMax) return internal_error("chunk buffer too small");
    if (!eof_ && pending_.size() < kBuzMax) {
      // Top the buffer up to 512 KiB, as io.ReadFull does in boxo.
      while (pending_.size() < kBuzMax) {
        if (!TRY(pending_.fill(in_, kBuzMax - pending_.size()))) {
          eof_ = true;
          break;
        }
      }
    }
    const size_t n = pending_.size();
    if (n == 0) return 0;
    if (n < kBuzMin) return emit(n, out);
    const uint8_t* buf = pending_.data();
    uint32_t state = 0;
    size_t i = kBuzMin - 32;
    for (; i < kBuzMin; ++i) state = std::rotl(state, 1) ^ kBuzTable[buf[i]];
    const size_t last = n - 32 - 1;
    for (i = kBuzMin - 32; i <= last; ++i) {
      if ((state & kBuzMask) == 0) break;
      state = std::rotl(state, 1) ^ kBuzTable[buf[i]] ^ kBuzTable[buf[i + 32]];
    }
    return emit(i + 32, out);
  }

 private:
  size_t emit(size_t n, uint8_t* out) {
    std::memcpy(out, pending_.data(), n);
    pending_.consume(n);
    return n;
  }

  ByteReader& in_;
  Pending pending_;
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<Chunker> make_chunker(const ChunkSpec& spec, ByteReader& input) {
  switch (spec.kind) {
    case ChunkSpec::Kind::kFixed: return std::make_unique<FixedChunker>(input, spec.size);
    case ChunkSpec::Kind::kRabin: return std::make_unique<RabinChunker>(input, spec);
    case ChunkSpec::Kind::kBuzhash: return std::make_unique<BuzhashChunker>(input);
  }
  return nullptr;
}

}  // namespace ipfskit::unixfs
