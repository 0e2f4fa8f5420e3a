#include "mcp/json_schema.h"

#include <cmath>
#include <set>

#include "base/utf8.h"

namespace ipfskit::mcp {

using nlohmann::json;

namespace {

// Code points, not bytes: JSON Schema lengths count characters.
size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_type(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  if (t == "number") return v.is_number();
  if (t == "integer") {
    if (v.is_number_integer()) return true;
    if (v.is_number_float()) {
      double d = v.get<double>();
      return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
  }
  return false;
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string where(const std::string& ptr) { return ptr.empty() ? "(arguments)" : ptr; }

// "pattern": only the character-class form we use, "^[set]*$" / "^[set]+$"
// with ranges and literal characters; anything else is refused by
// unsupported_keyword() so a schema cannot silently go unchecked.
struct SimplePattern {
  std::set<unsigned char> allowed;
  bool plus = false;
};

std::optional<SimplePattern> parse_pattern(const std::string& p) {
  if (p.size() < 6 || p.front() != '^' || p.back() != '$') return std::nullopt;
  char q = p[p.size() - 2];
  if ((q != '*' && q != '+') || p[1] != '[' || p[p.size() - 3] != ']') return std::nullopt;
  SimplePattern sp;
  sp.plus = q == '+';
  std::string set = p.substr(2, p.size() - 5);
  for (size_t i = 0; i < set.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(set[i]);
    if (c == '\\') {
      if (i + 1 >= set.size()) return std::nullopt;
      sp.allowed.insert(static_cast<unsigned char>(set[++i]));
    } else if (i + 2 < set.size() && set[i + 1] == '-') {
      for (unsigned ch = c; ch <= static_cast<unsigned char>(set[i + 2]); ++ch) sp.allowed.insert(static_cast<unsigned char>(ch));
      i += 2;
    } else {
      sp.allowed.insert(c);
    }
  }
  return sp;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  std::optional<std::string> check(const json& s, const json& v, const std::string& ptr, int depth) {
    if (depth > 32) return where(ptr) + ": schema nesting too deep";
    if (s.is_boolean()) {
      if (s.get<bool>()) return std::nullopt;
      return where(ptr) + ": no value is allowed here";
    }
    if (!s.is_object()) return std::nullopt;
    if (auto r = s.find("$ref"); r != s.end() && r->is_string()) {
      const std::string& ref = r->get_ref<const std::string&>();
      if (ref.rfind("#/", 0) != 0) return where(ptr) + ": unresolvable $ref " + ref;
      json::json_pointer jp(ref.substr(1));
      if (!root_.contains(jp)) return where(ptr) + ": unresolvable $ref " + ref;
      if (auto e = check(root_[jp], v, ptr, depth + 1)) return e;
    }
    if (auto t = s.find("type"); t != s.end()) {
      bool ok = false;
      std::string names;
      if (t->is_string()) {
        ok = is_type(v, t->get<std::string>());
        names = t->get<std::string>();
      } else if (t->is_array()) {
        for (const auto& x : *t) {
          if (!x.is_string()) continue;
          ok = ok || is_type(v, x.get<std::string>());
          names += (names.empty() ? "" : " or ") + x.get<std::string>();
        }
      }
      if (!ok) return where(ptr) + ": expected " + names + ", got " + std::string(v.type_name());
    }
    if (auto e = s.find("enum"); e != s.end() && e->is_array()) {
      bool found = false;
      for (const auto& x : *e) found = found || x == v;
      if (!found) {
        std::string list;
        for (const auto& x : *e) list += (list.empty() ? "" : ", ") + x.dump();
        return where(ptr) + ": must be one of " + list;
      }
    }
    if (auto c = s.find("const"); c != s.end() && *c != v) return where(ptr) + ": must be " + c->dump();
    if (v.is_number()) {
      double d = v.get<double>();
      if (auto m = s.find("minimum"); m != s.end() && m->is_number() && d < m->get<double>())
        return where(ptr) + ": must be at least " + m->dump();
      if (auto m = s.find("maximum"); m != s.end() && m->is_number() && d > m->get<double>())
        return where(ptr) + ": must be at most " + m->dump();
    }
    if (v.is_string()) {
      const std::string& str = v.get_ref<const std::string&>();
      size_t len = utf8_length(str);
      if (auto m = s.find("minLength"); m != s.end() && m->is_number_unsigned() && len < m->get<size_t>())
        return where(ptr) + ": must be at least " + m->dump() + " characters";
      if (auto m = s.find("maxLength"); m != s.end() && m->is_number_unsigned() && len > m->get<size_t>())
        return where(ptr) + ": must be at most " + m->dump() + " characters";
      if (auto p = s.find("pattern"); p != s.end() && p->is_string()) {
        auto sp = parse_pattern(p->get<std::string>());
        bool ok = sp.has_value() && (!sp->plus || !str.empty());
        if (ok)
          for (unsigned char ch : str) ok = ok && sp->allowed.count(ch) > 0;
        if (!ok) return where(ptr) + ": must match " + p->get<std::string>();
      }
    }
    if (v.is_array()) {
      if (auto m = s.find("minItems"); m != s.end() && m->is_number_unsigned() && v.size() < m->get<size_t>())
        return where(ptr) + ": needs at least " + m->dump() + " items";
      if (auto m = s.find("maxItems"); m != s.end() && m->is_number_unsigned() && v.size() > m->get<size_t>())
        return where(ptr) + ": takes at most " + m->dump() + " items";
      if (auto it = s.find("items"); it != s.end()) {
        for (size_t i = 0; i < v.size(); ++i)
          if (auto e = check(*it, v[i], ptr + "/" + std::to_string(i), depth + 1)) return e;
      }
    }
    if (v.is_object()) {
      const json* props = nullptr;
      if (auto p = s.find("properties"); p != s.end() && p->is_object()) props = &*p;
      if (auto r = s.find("required"); r != s.end() && r->is_array()) {
        for (const auto& k : *r)
          if (k.is_string() && !v.contains(k.get<std::string>()))
            return where(ptr) + ": missing required property \"" + k.get<std::string>() + "\"";
      }
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string child = ptr + "/" + escape_pointer(it.key());
        if (props != nullptr && props->contains(it.key())) {
          if (auto e = check((*props)[it.key()], it.value(), child, depth + 1)) return e;
          continue;
        }
        if (auto ap = s.find("additionalProperties"); ap != s.end()) {
          if (ap->is_boolean() && !ap->get<bool>())
            return where(ptr) + ": unknown property \"" + it.key() + "\"";
          if (auto e = check(*ap, it.value(), child, depth + 1)) return e;
        }
      }
    }
    if (auto o = s.find("oneOf"); o != s.end() && o->is_array()) {
      int matches = 0;
      std::string first;
      for (const auto& alt : *o) {
        auto e = check(alt, v, ptr, depth + 1);
        if (!e) ++matches;
        else if (first.empty()) first = *e;
      }
      if (matches != 1)
        return matches == 0 ? first : where(ptr) + ": matches more than one alternative";
    }
    if (auto a = s.find("anyOf"); a != s.end() && a->is_array()) {
      std::string first;
      bool any = false;
      for (const auto& alt : *a) {
        auto e = check(alt, v, ptr, depth + 1);
        if (!e) {
          any = true;
          break;
        }
        if (first.empty()) first = *e;
      }
      if (!any) return first;
    }
    return std::nullopt;
  }

 private:
  const json& root_;
};

const std::set<std::string>& known_keywords() {
  static const std::set<std::string> k = {
      // validated
      "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const",
      "minimum", "maximum", "minLength", "maxLength", "pattern", "oneOf", "anyOf", "$ref", "$defs",
      // annotations
      "$schema", "$id", "title", "description", "default", "examples", "format", "readOnly", "writeOnly",
      "contentEncoding", "contentMediaType", "deprecated"};
  return k;
}

std::optional<std::string> find_unsupported(const json& s, const std::string& at) {
  if (!s.is_object()) return std::nullopt;
  for (auto it = s.begin(); it != s.end(); ++it) {
    const std::string& k = it.key();
    if (k.rfind("x-", 0) == 0) continue;
    if (!known_keywords().count(k)) return at + "/" + k;
    if (k == "pattern" && (!it->is_string() || !parse_pattern(it->get<std::string>())))
      return at + "/pattern (only ^[set]*$ / ^[set]+$ are implemented)";
    if (k == "$ref" && (!it->is_string() || it->get<std::string>().rfind("#/$defs/", 0) != 0)) return at + "/$ref";
    if (k == "properties" || k == "$defs") {
      if (!it->is_object()) return at + "/" + k;
      for (auto p = it->begin(); p != it->end(); ++p)
        if (auto e = find_unsupported(p.value(), at + "/" + k + "/" + p.key())) return e;
    } else if (k == "items" || k == "additionalProperties") {
      if (auto e = find_unsupported(it.value(), at + "/" + k)) return e;
    } else if (k == "oneOf" || k == "anyOf") {
      if (!it->is_array()) return at + "/" + k;
      for (size_t i = 0; i < it->size(); ++i)
        if (auto e = find_unsupported((*it)[i], at + "/" + k + "/" + std::to_string(i))) return e;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_schema(const json& schema, const json& instance) {
  Validator v(schema);
  return v.check(schema, instance, "", 0);
}

std::optional<std::string> unsupported_keyword(const json& schema) { return find_unsupported(schema, ""); }

}  // namespace ipfskit::mcp
