#include "ipld/ipld.h"

#include "base/utf8.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "codec/dagpb.h"
#include "multiformats/multibase.h"
#include "multiformats/multicodec.h"

namespace ipfskit::ipld {

std::string Int::to_string() const {
  if (!negative) return std::to_string(magnitude);
  // -1 - magnitude; -2^64 does not fit in 64 bits.
  if (magnitude == UINT64_MAX) return "-18446744073709551616";
  return "-" + std::to_string(magnitude + 1);
}

const Value* Value::find(std::string_view key) const {
  if (kind() != Kind::kMap) return nullptr;
  for (const auto& [k, v] : as_map())
    if (k == key) return &v;
  return nullptr;
}

bool Value::operator==(const Value& o) const {
  if (kind() != o.kind()) return false;
  switch (kind()) {
    case Kind::kNull: return true;
    case Kind::kBool: return as_bool() == o.as_bool();
    case Kind::kInt: return as_int() == o.as_int();
    case Kind::kFloat: return as_float() == o.as_float();
    case Kind::kString: return as_string() == o.as_string();
    case Kind::kBytes: return as_bytes() == o.as_bytes();
    case Kind::kList: return as_list() == o.as_list();
    case Kind::kMap: {
      // Codecs order keys differently; equality is by content.
      if (as_map().size() != o.as_map().size()) return false;
      for (const auto& [k, v] : as_map()) {
        const Value* other = o.find(k);
        if (other == nullptr || !(*other == v)) return false;
      }
      return true;
    }
    case Kind::kLink: return as_link() == o.as_link();
  }
  return false;
}

std::string_view kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kFloat: return "float";
    case Value::Kind::kString: return "string";
    case Value::Kind::kBytes: return "bytes";
    case Value::Kind::kList: return "list";
    case Value::Kind::kMap: return "map";
    case Value::Kind::kLink: return "link";
  }
  return "?";
}

namespace {

// dag-cbor's map key order: shorter keys first, then bytewise.
bool cbor_key_less(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

// ---------------- dag-cbor ----------------

class CborDecoder {
 public:
  explicit CborDecoder(ByteView in) : in_(in) {}

  Result<Value> value(int depth) {
    if (depth > kMaxDepth) return invalid_argument("dag-cbor: nesting deeper than " + std::to_string(kMaxDepth));
    uint8_t major;
    uint64_t arg;
    uint8_t info;
    TRY_STATUS(head(major, info, arg));
    switch (major) {
      case 0: return Value::integer(Int{false, arg});
      case 1: return Value::integer(Int{true, arg});
      case 2: {
        ByteView b = TRY(take(arg));
        return Value::bytes(Bytes(b.begin(), b.end()));
      }
      case 3: {
        ByteView b = TRY(take(arg));
        std::string s(reinterpret_cast<const char*>(b.data()), b.size());
        if (!valid_utf8(s)) return invalid_argument("dag-cbor: string is not valid UTF-8");
        return Value::string(std::move(s));
      }
      case 4: {
        if (arg > remaining()) return invalid_argument("dag-cbor: list longer than the input");
        List l;
        l.reserve(arg);
        for (uint64_t i = 0; i < arg; ++i) l.push_back(TRY(value(depth + 1)));
        return Value::list(std::move(l));
      }
      case 5: {
        if (arg > remaining() / 2) return invalid_argument("dag-cbor: map longer than the input");
        Map m;
        m.reserve(arg);
        for (uint64_t i = 0; i < arg; ++i) {
          uint8_t kmajor, kinfo;
          uint64_t klen;
          TRY_STATUS(head(kmajor, kinfo, klen));
          if (kmajor != 3) return invalid_argument("dag-cbor: map keys must be strings");
          ByteView kb = TRY(take(klen));
          std::string key(reinterpret_cast<const char*>(kb.data()), kb.size());
          if (!valid_utf8(key)) return invalid_argument("dag-cbor: map key is not valid UTF-8");
          if (!m.empty() && !cbor_key_less(m.back().first, key))
            return invalid_argument(m.back().first == key ? "dag-cbor: duplicate map key \"" + key + "\""
                                                          : "dag-cbor: map keys out of canonical order");
          Value v = TRY(value(depth + 1));
          m.emplace_back(std::move(key), std::move(v));
        }
        return Value::map(std::move(m));
      }
      case 6: {
        if (arg != 42) return invalid_argument("dag-cbor: tag " + std::to_string(arg) + " is not allowed (only 42)");
        uint8_t bmajor, binfo;
        uint64_t blen;
        TRY_STATUS(head(bmajor, binfo, blen));
        if (bmajor != 2) return invalid_argument("dag-cbor: tag 42 must wrap a byte string");
        ByteView b = TRY(take(blen));
        if (b.empty() || b[0] != 0x00) return invalid_argument("dag-cbor: CID bytes must start with 0x00");
        Cid c = TRY(Cid::from_bytes(b.subspan(1)).map_error([](Error e) { return e.wrap("dag-cbor link"); }));
        return Value::link(std::move(c));
      }
      case 7: {
        if (info == 20) return Value::boolean(false);
        if (info == 21) return Value::boolean(true);
        if (info == 22) return Value::null();
        if (info == 27) {
          double d;
          uint64_t bits = arg;
          std::memcpy(&d, &bits, sizeof d);
          if (std::isnan(d) || std::isinf(d)) return invalid_argument("dag-cbor: NaN and infinities are not allowed");
          return Value::floating(d);
        }
        if (info == 25 || info == 26) return invalid_argument("dag-cbor: floats must be 64-bit");
        return invalid_argument("dag-cbor: simple value " + std::to_string(info) + " is not allowed");
      }
    }
    return invalid_argument("dag-cbor: bad major type");
  }

  size_t remaining() const { return in_.size() - pos_; }

 private:
  Status head(uint8_t& major, uint8_t& info, uint64_t& arg) {
    if (pos_ >= in_.size()) return invalid_argument("dag-cbor: unexpected end of input");
    uint8_t b = in_[pos_++];
    major = b >> 5;
    info = b & 31;
    if (info < 24) {
      arg = info;
      return {};
    }
    int n = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
    if (n == 0) return invalid_argument("dag-cbor: indefinite lengths and reserved values are not allowed");
    if (remaining() < static_cast<size_t>(n)) return invalid_argument("dag-cbor: unexpected end of input");
    arg = 0;
    for (int i = 0; i < n; ++i) arg = arg << 8 | in_[pos_++];
    if (major == 7) return {};  // floats carry their bits here
    // Shortest form: each width only for values that need it.
    const uint64_t min = n == 1 ? 24 : n == 2 ? 0x100 : n == 4 ? 0x10000 : 0x100000000ULL;
    if (arg < min) return invalid_argument("dag-cbor: integer or length not in its shortest form");
    return {};
  }

  Result<ByteView> take(uint64_t n) {
    if (n > remaining()) return invalid_argument("dag-cbor: unexpected end of input");
    ByteView v = in_.subspan(pos_, n);
    pos_ += n;
    return v;
  }

  ByteView in_;
  size_t pos_ = 0;
};

void cbor_head(Bytes& out, uint8_t major, uint64_t arg) {
  const uint8_t m = static_cast<uint8_t>(major << 5);
  if (arg < 24) {
    out.push_back(m | static_cast<uint8_t>(arg));
  } else if (arg <= 0xFF) {
    out.push_back(m | 24);
    out.push_back(static_cast<uint8_t>(arg));
  } else if (arg <= 0xFFFF) {
    out.push_back(m | 25);
    for (int s = 8; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(arg >> s));
  } else if (arg <= 0xFFFFFFFFULL) {
    out.push_back(m | 26);
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(arg >> s));
  } else {
    out.push_back(m | 27);
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(arg >> s));
  }
}

void cbor_encode(Bytes& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: out.push_back(0xF6); return;
    case Value::Kind::kBool: out.push_back(v.as_bool() ? 0xF5 : 0xF4); return;
    case Value::Kind::kInt: cbor_head(out, v.as_int().negative ? 1 : 0, v.as_int().magnitude); return;
    case Value::Kind::kFloat: {
      out.push_back(0xFB);
      uint64_t bits;
      double d = v.as_float();
      std::memcpy(&bits, &d, sizeof bits);
      for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(bits >> s));
      return;
    }
    case Value::Kind::kString:
      cbor_head(out, 3, v.as_string().size());
      out.insert(out.end(), v.as_string().begin(), v.as_string().end());
      return;
    case Value::Kind::kBytes:
      cbor_head(out, 2, v.as_bytes().size());
      out.insert(out.end(), v.as_bytes().begin(), v.as_bytes().end());
      return;
    case Value::Kind::kList:
      cbor_head(out, 4, v.as_list().size());
      for (const Value& e : v.as_list()) cbor_encode(out, e);
      return;
    case Value::Kind::kMap: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& e : v.as_map()) entries.push_back(&e);
      std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return cbor_key_less(a->first, b->first); });
      cbor_head(out, 5, entries.size());
      for (auto* e : entries) {
        cbor_head(out, 3, e->first.size());
        out.insert(out.end(), e->first.begin(), e->first.end());
        cbor_encode(out, e->second);
      }
      return;
    }
    case Value::Kind::kLink: {
      ByteView cid = v.as_link().bytes();
      cbor_head(out, 6, 42);
      cbor_head(out, 2, cid.size() + 1);
      out.push_back(0x00);
      out.insert(out.end(), cid.begin(), cid.end());
      return;
    }
  }
}

// ---------------- dag-json ----------------

class JsonDecoder {
 public:
  explicit JsonDecoder(std::string_view in) : in_(in) {}

  Result<Value> document() {
    Value v = TRY(value(0));
    skip_ws();
    if (pos_ != in_.size()) return error("unexpected data after the value");
    return v;
  }

 private:
  tl::unexpected<Error> error(const std::string& what) const {
    return invalid_argument("dag-json: " + what + " at byte " + std::to_string(pos_));
  }

  void skip_ws() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Result<Value> value(int depth) {
    if (depth > kMaxDepth) return error("nesting deeper than " + std::to_string(kMaxDepth));
    skip_ws();
    if (pos_ >= in_.size()) return error("unexpected end of input");
    char c = in_[pos_];
    if (c == '{') return object(depth);
    if (c == '[') {
      ++pos_;
      List l;
      skip_ws();
      if (pos_ < in_.size() && in_[pos_] == ']') {
        ++pos_;
        return Value::list(std::move(l));
      }
      for (;;) {
        l.push_back(TRY(value(depth + 1)));
        skip_ws();
        if (pos_ < in_.size() && in_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < in_.size() && in_[pos_] == ']') {
          ++pos_;
          return Value::list(std::move(l));
        }
        return error("expected ',' or ']'");
      }
    }
    if (c == '"') return Value::string(TRY(string()));
    if (literal("true")) return Value::boolean(true);
    if (literal("false")) return Value::boolean(false);
    if (literal("null")) return Value::null();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    return error("unexpected character");
  }

  Result<Value> object(int depth) {
    ++pos_;  // '{'
    Map m;
    skip_ws();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return Value::map(std::move(m));
    }
    for (;;) {
      skip_ws();
      if (pos_ >= in_.size() || in_[pos_] != '"') return error("expected a string key");
      std::string key = TRY(string());
      skip_ws();
      if (pos_ >= in_.size() || in_[pos_] != ':') return error("expected ':'");
      ++pos_;
      Value v = TRY(value(depth + 1));
      for (const auto& [k, unused] : m)
        if (k == key) return error("duplicate map key \"" + key + "\"");
      m.emplace_back(std::move(key), std::move(v));
      skip_ws();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == '}') {
        ++pos_;
        break;
      }
      return error("expected ',' or '}'");
    }
    // The reserved "/" key: a link or bytes.
    if (m.size() == 1 && m[0].first == "/") {
      const Value& inner = m[0].second;
      if (inner.kind() == Value::Kind::kString) {
        auto cid = Cid::parse(inner.as_string());
        if (!cid) return error("invalid link: " + cid.error().message());
        return Value::link(std::move(*cid));
      }
      if (inner.kind() == Value::Kind::kMap && inner.as_map().size() == 1 && inner.as_map()[0].first == "bytes" &&
          inner.as_map()[0].second.kind() == Value::Kind::kString) {
        const std::string& b64 = inner.as_map()[0].second.as_string();
        bool padded = !b64.empty() && b64.back() == '=';
        auto bytes = multibase::decode_raw(padded ? multibase::Base::kBase64Pad : multibase::Base::kBase64, b64);
        if (!bytes) return error("invalid base64 bytes");
        return Value::bytes(std::move(*bytes));
      }
      return error("a map with the reserved key \"/\" must be a link or bytes");
    }
    std::sort(m.begin(), m.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return Value::map(std::move(m));
  }

  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | cp >> 12);
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | cp >> 18);
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Result<uint32_t> hex4() {
    if (pos_ + 4 > in_.size()) return error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return error("bad \\u escape");
    }
    return v;
  }

  Result<std::string> string() {
    ++pos_;  // '"'
    std::string out;
    for (;;) {
      if (pos_ >= in_.size()) return error("unterminated string");
      char c = in_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) return error("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= in_.size()) return error("unterminated string");
      char e = in_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = TRY(hex4());
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!literal("\\u")) return error("unpaired surrogate");
            uint32_t lo = TRY(hex4());
            if (lo < 0xDC00 || lo > 0xDFFF) return error("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return error("unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: return error("bad escape");
      }
    }
    if (!valid_utf8(out)) return error("string is not valid UTF-8");
    return out;
  }

  Result<Value> number() {
    size_t start = pos_;
    bool neg = in_[pos_] == '-';
    if (neg) ++pos_;
    size_t digits = pos_;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    if (pos_ == digits) return error("bad number");
    if (in_[digits] == '0' && pos_ - digits > 1) return error("leading zero in a number");
    bool is_float = false;
    if (pos_ < in_.size() && in_[pos_] == '.') {
      is_float = true;
      ++pos_;
      size_t f = pos_;
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
      if (pos_ == f) return error("bad number");
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      is_float = true;
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      size_t f = pos_;
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
      if (pos_ == f) return error("bad number");
    }
    std::string_view text = in_.substr(start, pos_ - start);
    if (is_float) {
      double d;
      auto r = std::from_chars(text.data(), text.data() + text.size(), d);
      if (r.ec != std::errc() || std::isinf(d) || std::isnan(d)) return error("number out of range");
      return Value::floating(d);
    }
    uint64_t mag;
    std::string_view ds = in_.substr(digits, pos_ - digits);
    auto r = std::from_chars(ds.data(), ds.data() + ds.size(), mag);
    if (r.ec != std::errc()) {
      // -2^64 is CBOR's smallest integer; anything further out has no encoding.
      if (neg && ds == "18446744073709551616") return Value::integer(Int{true, UINT64_MAX});
      return error("integer out of range");
    }
    if (!neg) return Value::integer(Int{false, mag});
    if (mag == 0) return Value::integer(Int{false, 0});
    return Value::integer(Int{true, mag - 1});
  }

  std::string_view in_;
  size_t pos_ = 0;
};

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void json_encode(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: out += "null"; return;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += v.as_int().to_string(); return;
    case Value::Kind::kFloat: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_float());
      std::string s(buf, r.ptr);
      if (s.find_first_of(".eE") == std::string::npos) s += ".0";
      out += s;
      return;
    }
    case Value::Kind::kString: json_string(out, v.as_string()); return;
    case Value::Kind::kBytes:
      out += "{\"/\":{\"bytes\":\"";
      out += multibase::encode_raw(multibase::Base::kBase64, v.as_bytes());
      out += "\"}}";
      return;
    case Value::Kind::kList: {
      out += '[';
      bool first = true;
      for (const Value& e : v.as_list()) {
        if (!first) out += ',';
        first = false;
        json_encode(out, e);
      }
      out += ']';
      return;
    }
    case Value::Kind::kMap: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& e : v.as_map()) entries.push_back(&e);
      std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
      out += '{';
      bool first = true;
      for (auto* e : entries) {
        if (!first) out += ',';
        first = false;
        json_string(out, e->first);
        out += ':';
        json_encode(out, e->second);
      }
      out += '}';
      return;
    }
    case Value::Kind::kLink:
      out += "{\"/\":\"";
      out += v.as_link().to_string();
      out += "\"}";
      return;
  }
}

}  // namespace

Result<Value> decode_dag_cbor(ByteView bytes) {
  CborDecoder d(bytes);
  Value v = TRY(d.value(0));
  if (d.remaining() != 0) return invalid_argument("dag-cbor: unexpected data after the value");
  return v;
}

Bytes encode_dag_cbor(const Value& v) {
  Bytes out;
  cbor_encode(out, v);
  return out;
}

Result<Value> decode_dag_json(std::string_view text) { return JsonDecoder(text).document(); }

std::string encode_dag_json(const Value& v) {
  std::string out;
  json_encode(out, v);
  return out;
}

Result<Value> decode_dag_pb(ByteView bytes) {
  dagpb::Node node = TRY(dagpb::decode(bytes));
  List links;
  links.reserve(node.links.size());
  for (const dagpb::Link& l : node.links) {
    Map m;
    m.emplace_back("Hash", Value::link(l.hash));
    if (l.name) m.emplace_back("Name", Value::string(*l.name));
    if (l.tsize) m.emplace_back("Tsize", Value::integer(Int{false, *l.tsize}));
    links.push_back(Value::map(std::move(m)));
  }
  Map root;
  if (node.data) root.emplace_back("Data", Value::bytes(Bytes(node.data->begin(), node.data->end())));
  root.emplace_back("Links", Value::list(std::move(links)));
  return Value::map(std::move(root));
}

Result<Bytes> encode_dag_pb(const Value& v) {
  if (v.kind() != Value::Kind::kMap) return invalid_argument("dag-pb: a node must be a map");
  dagpb::Node node;
  const Value* links = nullptr;
  for (const auto& [k, val] : v.as_map()) {
    if (k == "Data") {
      if (val.kind() != Value::Kind::kBytes) return invalid_argument("dag-pb: Data must be bytes");
      node.data = ByteView(val.as_bytes());
    } else if (k == "Links") {
      if (val.kind() != Value::Kind::kList) return invalid_argument("dag-pb: Links must be a list");
      links = &val;
    } else {
      return invalid_argument("dag-pb: unknown field \"" + k + "\" (only Data and Links)");
    }
  }
  if (links == nullptr) return invalid_argument("dag-pb: a node needs Links (possibly empty)");
  for (const Value& l : links->as_list()) {
    if (l.kind() != Value::Kind::kMap) return invalid_argument("dag-pb: a link must be a map");
    dagpb::Link link;
    bool has_hash = false;
    for (const auto& [k, val] : l.as_map()) {
      if (k == "Hash" && val.kind() == Value::Kind::kLink) {
        link.hash = val.as_link();
        has_hash = true;
      } else if (k == "Name" && val.kind() == Value::Kind::kString) {
        link.name = val.as_string();
      } else if (k == "Tsize" && val.kind() == Value::Kind::kInt && !val.as_int().negative) {
        link.tsize = val.as_int().magnitude;
      } else {
        return invalid_argument("dag-pb: bad link field \"" + k + "\"");
      }
    }
    if (!has_hash) return invalid_argument("dag-pb: a link needs a Hash");
    node.links.push_back(std::move(link));
  }
  return dagpb::encode(node);
}

Result<Value> decode(uint64_t codec, ByteView bytes) {
  switch (codec) {
    case multicodec::kDagPb: return decode_dag_pb(bytes);
    case multicodec::kDagCbor: return decode_dag_cbor(bytes);
    case multicodec::kDagJson:
      return decode_dag_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    case multicodec::kRaw: return Value::bytes(Bytes(bytes.begin(), bytes.end()));
    default: return unsupported("no IPLD codec for " + multicodec::codec_name(codec));
  }
}

Result<Bytes> encode(uint64_t codec, const Value& v) {
  switch (codec) {
    case multicodec::kDagPb: return encode_dag_pb(v);
    case multicodec::kDagCbor: return encode_dag_cbor(v);
    case multicodec::kDagJson: {
      std::string s = encode_dag_json(v);
      return Bytes(s.begin(), s.end());
    }
    case multicodec::kRaw:
      if (v.kind() != Value::Kind::kBytes) return invalid_argument("raw: only bytes can be stored as raw");
      return v.as_bytes();
    default: return unsupported("no IPLD codec for " + multicodec::codec_name(codec));
  }
}

const Value* step(const Value& v, std::string_view segment, bool dag_pb) {
  if (v.kind() == Value::Kind::kMap) {
    if (const Value* f = v.find(segment)) return f;
    if (dag_pb) {
      // Kubo's named links: "CID/name" through a dag-pb node.
      if (const Value* links = v.find("Links"); links != nullptr && links->kind() == Value::Kind::kList)
        for (const Value& l : links->as_list())
          if (const Value* n = l.find("Name"); n != nullptr && n->kind() == Value::Kind::kString && n->as_string() == segment)
            return l.find("Hash");
    }
    return nullptr;
  }
  if (v.kind() == Value::Kind::kList) {
    size_t index;
    auto r = std::from_chars(segment.data(), segment.data() + segment.size(), index);
    if (r.ec != std::errc() || r.ptr != segment.data() + segment.size()) return nullptr;
    if (index >= v.as_list().size()) return nullptr;
    return &v.as_list()[index];
  }
  return nullptr;
}

}  // namespace ipfskit::ipld
