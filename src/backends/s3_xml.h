// The two S3 XML documents the s3 backend reads: a ListObjectsV2 page and an
// error. Parsed with expat; the input is untrusted (any server, any proxy),
// so sizes are capped and a document type declaration is refused outright
// (no entity expansion at all).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace ipfskit::backends::s3xml {

struct Object {
  std::string key;
  uint64_t size = 0;
};

struct ListPage {
  std::vector<Object> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken
};

// A ListBucketResult document. Corruption when it is not one.
Result<ListPage> parse_list(std::string_view xml);

struct ErrorDoc {
  std::string code;     // "NoSuchKey", "SignatureDoesNotMatch", ...
  std::string message;
};
// An <Error> document; nullopt when `xml` is not one.
std::optional<ErrorDoc> parse_error(std::string_view xml);

}  // namespace ipfskit::backends::s3xml
