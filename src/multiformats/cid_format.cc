#include "multiformats/cid_format.h"

#include "multiformats/multicodec.h"

namespace ipfskit {

Result<std::string> format_cid(std::string_view fmt, multibase::Base base, const Cid& c) {
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) return invalid_argument("premature end of format string");
    const Multihash& mh = c.multihash();
    switch (fmt[i]) {
      case '%': out += '%'; break;
      case 'b': out += multibase::base_name(base); break;
      case 'B': out += static_cast<char>(base); break;
      case 'v': out += "cidv" + std::to_string(c.version()); break;
      case 'V': out += std::to_string(c.version()); break;
      case 'c': out += multicodec::codec_name(c.codec()); break;
      case 'C': out += std::to_string(c.codec()); break;
      case 'h': out += multihash::name_of(mh.code()); break;
      case 'H': out += std::to_string(mh.code()); break;
      case 'L': out += std::to_string(mh.digest().size()); break;
      case 'm': out += multibase::encode(base, mh.bytes()); break;
      case 'M': out += multibase::encode_raw(base, mh.bytes()); break;
      case 'd': out += multibase::encode(base, mh.digest()); break;
      case 'D': out += multibase::encode_raw(base, mh.digest()); break;
      case 's': out += TRY(c.to_string(base)); break;
      case 'S': out += multibase::encode_raw(base, c.bytes()); break;
      case 'P':
        out += "cidv" + std::to_string(c.version()) + "-" + multicodec::codec_name(c.codec()) + "-" +
               multihash::name_of(mh.code()) + "-" + std::to_string(mh.digest().size());
        break;
      default:
        return invalid_argument(std::string("unrecognized specifier in format string: %") + fmt[i]);
    }
  }
  return out;
}

CidFormatter CidFormatter::base32() {
  CidFormatter f;
  f.base_ = multibase::Base::kBase32;
  f.to_version_ = 1;
  return f;
}

Result<CidFormatter> CidFormatter::make(const CidFormatOptions& o) {
  CidFormatter f;
  f.format_ = o.format;
  if (o.format.find('%') == std::string::npos) return invalid_argument("invalid format string: \"" + o.format + "\"");
  if (!o.codec.empty()) {
    f.codec_ = multicodec::codec_by_name(o.codec);
    if (!f.codec_) return invalid_argument("unknown multicodec \"" + o.codec + "\"");
  }
  if (!o.base.empty()) {
    f.base_ = multibase::base_by_name(o.base);
    if (!f.base_) return invalid_argument("unknown multibase \"" + o.base + "\"");
  }
  if (o.version == "0") {
    if (f.codec_ && *f.codec_ != multicodec::kDagPb)
      return invalid_argument("cannot convert to CIDv0 with any codec other than dag-pb");
    if (f.base_ && *f.base_ != multibase::Base::kBase58Btc)
      return invalid_argument("cannot convert to CIDv0 with any multibase other than the implicit base58btc");
    f.to_version_ = 0;
  } else if (o.version == "1" || (o.version.empty() && f.base_)) {
    f.to_version_ = 1;
  } else if (!o.version.empty()) {
    return invalid_argument("invalid cid version: \"" + o.version + "\"");
  }
  return f;
}

Result<std::string> CidFormatter::format(std::string_view text) const {
  Cid c = TRY(Cid::parse(text));
  if (codec_ && *codec_ != c.codec()) c = Cid::v1(*codec_, c.multihash());
  if (to_version_ == 0) c = TRY(c.to_v0());
  if (to_version_ == 1) c = c.to_v1();
  multibase::Base b;
  if (base_) b = *base_;
  else if (c.version() == 0) b = multibase::Base::kBase58Btc;
  else b = multibase::base_by_prefix(text[0]).value_or(multibase::Base::kBase32);
  return format_cid(format_, b, c);
}

}  // namespace ipfskit
