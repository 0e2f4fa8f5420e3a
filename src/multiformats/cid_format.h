// Kubo's `ipfs cid format` / `cid base32`: convert a CID (version, codec,
// multibase) and print it with go-cidutil's printf-style format string.
// Shared by the command line and the RPC.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "multiformats/cid.h"

namespace ipfskit {

struct CidFormatOptions {
  std::string format = "%s";  // %s %S %b %B %v %V %c %C %h %H %L %m %M %d %D %P %%
  std::string version;        // "", "0" or "1"
  std::string codec;          // multicodec name or number to convert to
  std::string base;           // multibase name or prefix to print in
};

class CidFormatter {
 public:
  // Validates the options (unknown codec or base, impossible CIDv0 requests).
  static Result<CidFormatter> make(const CidFormatOptions& options);
  // `cid base32`: CIDv1 in base32.
  static CidFormatter base32();

  // Parses `text`, converts it and formats it.
  Result<std::string> format(std::string_view text) const;

 private:
  std::string format_ = "%s";
  std::optional<uint64_t> codec_;
  std::optional<multibase::Base> base_;
  int to_version_ = -1;
};

// go-cidutil's Format of one CID in one base.
Result<std::string> format_cid(std::string_view fmt, multibase::Base base, const Cid& c);

}  // namespace ipfskit
