#include "mcp/options.h"

namespace ipfskit::mcp {

namespace {

// The schema validated these keys (lists of strings, an integer), but a
// value of the wrong shape is skipped rather than trusted.
std::vector<std::string> strings(const Config& config, const char* key) {
  std::vector<std::string> out;
  auto v = config.get(key);
  if (!v || !v->is_array()) return out;
  for (const auto& s : *v)
    if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

}  // namespace

ServerOptions server_options_from(const Config& config) {
  ServerOptions o;
  o.policy.allowed_roots = strings(config, "mcp.allowed_roots");
  auto max = config.get("mcp.max_content_bytes");
  if (max && max->is_number_integer() && max->get<int64_t>() > 0) o.policy.max_content_bytes = max->get<size_t>();
  return o;
}

std::vector<std::string> allowed_hosts_from(const Config& config) { return strings(config, "mcp.allowed_hosts"); }

}  // namespace ipfskit::mcp
