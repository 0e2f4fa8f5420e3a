// Helpers shared by the tool and resource tables (internal to src/mcp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/error.h"
#include "mcp/tools.h"
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

// ---- argument access (the arguments were validated against the schema) ----
std::string arg_string(const nlohmann::json& a, const char* k, std::string def = "");
std::optional<std::string> opt_string(const nlohmann::json& a, const char* k);
bool arg_bool(const nlohmann::json& a, const char* k, bool def);
std::optional<int64_t> opt_int(const nlohmann::json& a, const char* k);
Result<Cid> parse_cid(const std::string& text, const char* what = "cid");
Result<std::vector<Cid>> parse_cids(const nlohmann::json& a, const char* k);

// ---- paging by offset (lists that are walked anyway) ----
// A page of a list: `offset` from the cursor, `limit` from the arguments.
struct Page {
  uint64_t offset = 0;
  uint64_t limit = 100;
};
Result<Page> page_of(const nlohmann::json& a, const char* what, const Policy& p);

// Collects a page from a callback-driven list: skips `offset` items, keeps
// `limit`, and stops the walk once it knows a next page exists.
class Pager {
 public:
  explicit Pager(Page page) : page_(page) {}
  // Returns an error to stop the walk once the page is full and one more exists.
  template <typename F>
  Status take(F&& keep) {
    const uint64_t i = seen_++;
    if (i < page_.offset) return {};
    if (i >= page_.offset + page_.limit) {
      more_ = true;
      return make_error(Code::kCancelled, "page full");
    }
    keep();
    return {};
  }
  // The walk's outcome, with the page-full stop turned back into success.
  Status finish(Status st) const;
  void annotate(nlohmann::json& out, const char* what) const;

 private:
  Page page_;
  uint64_t seen_ = 0;
  bool more_ = false;
};

// Schema pieces every list and content tool shares.
nlohmann::json page_props();
nlohmann::json with(nlohmann::json props, const nlohmann::json& more);
nlohmann::json next_cursor_prop();
nlohmann::json encoding_out();

// ---- ranged reads (cat, files_read) ----
// A file's bytes a piece at a time: {path, offset, length, encoding} in,
// {cid, offset, length, size, eof, encoding, content} out, at most the
// policy's content limit per call.
nlohmann::json ranged_read_input(const nlohmann::json& path_schema);
nlohmann::json ranged_read_output();
// Reads `length` bytes at `offset`, handing each piece to the sink.
using RangeReader = std::function<Status(uint64_t offset, uint64_t length, const std::function<Status(ByteView)>& sink)>;
// Clamps the requested range to the file and the limit, reads it through
// `read` (checking for cancellation between pieces) and encodes the result.
Result<nlohmann::json> read_range(const nlohmann::json& a, ToolEnv& env, const Cid& cid, uint64_t size,
                                  const char* what, const RangeReader& read);

// The MFS tools (tools_files.cc), added to the table by tools.cc.
void add_files_tools(std::vector<Tool>& table);

// Decodes {<key>, encoding} arguments (text or base64), bounded by the policy.
Result<Bytes> content_arg(const nlohmann::json& a, const char* key, const Policy& p);


}  // namespace ipfskit::mcp
