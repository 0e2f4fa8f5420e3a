// The IPLD data model (https://ipld.io/docs/data-model/) and its codecs:
// dag-cbor, dag-json, and dag-pb seen through the data model. Used by the RPC's
// `dag get|put|resolve`.
//
// Decoders are strict, as the codec specs require of a canonical encoding:
//  - dag-cbor: shortest-form integers and lengths, no indefinite lengths,
//    64-bit floats only (no NaN or infinities), tag 42 only, text map keys in
//    length-first order without duplicates, nothing after the value;
//  - dag-json: JSON with `{"/": "cid"}` links and `{"/": {"bytes": "b64"}}`
//    bytes; keys unique;
// and every decoder bounds nesting (kMaxDepth) so hostile input cannot
// exhaust the stack. Encoders produce the canonical form (sorted keys).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "multiformats/cid.h"

namespace ipfskit::ipld {

constexpr int kMaxDepth = 256;

// An integer in CBOR's range [-2^64, 2^64-1]: the value is `magnitude` when
// !negative, and -1 - magnitude when negative.
struct Int {
  bool negative = false;
  uint64_t magnitude = 0;
  static Int of(int64_t v) {
    return v < 0 ? Int{true, static_cast<uint64_t>(-(v + 1))} : Int{false, static_cast<uint64_t>(v)};
  }
  std::string to_string() const;
  bool operator==(const Int&) const = default;
};

class Value;
using List = std::vector<Value>;
using Map = std::vector<std::pair<std::string, Value>>;  // kept in canonical order by the codecs

class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kBytes, kList, kMap, kLink };

  Value() = default;
  static Value null() { return Value(); }
  static Value boolean(bool b) { return Value(Storage(b)); }
  static Value integer(Int i) { return Value(Storage(i)); }
  static Value integer(int64_t i) { return Value(Storage(Int::of(i))); }
  static Value floating(double d) { return Value(Storage(d)); }
  static Value string(std::string s) { return Value(Storage(StringBox{std::move(s)})); }
  static Value bytes(Bytes b) { return Value(Storage(std::move(b))); }
  static Value list(List l) { return Value(Storage(std::make_shared<List>(std::move(l)))); }
  static Value map(Map m) { return Value(Storage(std::make_shared<Map>(std::move(m)))); }
  static Value link(Cid c) { return Value(Storage(std::move(c))); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool as_bool() const { return std::get<bool>(v_); }
  const Int& as_int() const { return std::get<Int>(v_); }
  double as_float() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<StringBox>(v_).s; }
  const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
  const List& as_list() const { return *std::get<std::shared_ptr<List>>(v_); }
  const Map& as_map() const { return *std::get<std::shared_ptr<Map>>(v_); }
  const Cid& as_link() const { return std::get<Cid>(v_); }

  // The map entry with this key, or null.
  const Value* find(std::string_view key) const;

  bool operator==(const Value& o) const;

 private:
  struct StringBox {
    std::string s;
  };
  using Storage = std::variant<std::monostate, bool, Int, double, StringBox, Bytes, std::shared_ptr<List>,
                               std::shared_ptr<Map>, Cid>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

std::string_view kind_name(Value::Kind k);

// ---- codecs ----
Result<Value> decode_dag_cbor(ByteView bytes);
Bytes encode_dag_cbor(const Value& v);

Result<Value> decode_dag_json(std::string_view text);
std::string encode_dag_json(const Value& v);

// dag-pb as the data model: {"Data": bytes?, "Links": [{"Hash": link, "Name": string?, "Tsize": int?}]}.
Result<Value> decode_dag_pb(ByteView bytes);
Result<Bytes> encode_dag_pb(const Value& v);

// Decodes or encodes with the codec named by its multicodec code (dag-pb,
// dag-cbor, dag-json, raw = bytes).
Result<Value> decode(uint64_t codec, ByteView bytes);
Result<Bytes> encode(uint64_t codec, const Value& v);

// ---- paths ----

// Follows one path segment inside a value: a map key, a list index, or for a
// dag-pb node a link name. Returns null when the segment does not exist.
const Value* step(const Value& v, std::string_view segment, bool dag_pb);

}  // namespace ipfskit::ipld
