// Helpers shared by the tool and resource tables (internal to src/mcp).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "multiformats/cid.h"
#include "unixfs/exporter.h"

namespace ipfskit::mcp::schema {

using nlohmann::json;

// Schema builders: every object is closed (additionalProperties false)
// unless said otherwise, so a misspelt argument is an error, not ignored.
json string(std::string description);
json integer(std::string description, int64_t minimum, int64_t maximum);
json boolean(std::string description, bool default_value);
json enumeration(std::string description, std::vector<std::string> values, std::string default_value = "");
json array(json items, std::string description, size_t min_items = 0, size_t max_items = 0);
json string_map(std::string description);  // {"k": "v", ...}
json object(json properties, std::vector<std::string> required = {});
json open_object(std::string description);  // any object (documents we pass through)
json nullable(json schema);

}  // namespace ipfskit::mcp::schema

namespace ipfskit::mcp {

// Content as JSON: text when it is valid UTF-8 and `encoding` allows,
// else base64. `encoding` is "auto", "text" or "base64".
struct EncodedContent {
  std::string encoding;
  std::string content;
};
Result<EncodedContent> encode_content(ByteView data, const std::string& encoding);

nlohmann::json node_info_json(const unixfs::NodeInfo& info);

}  // namespace ipfskit::mcp
