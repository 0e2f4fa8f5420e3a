#include "core/add_options.h"

#include "unixfs/profile.h"

namespace ipfskit::core {

Result<unixfs::ImportOptions> resolve_import_options(const AddParams& p, const Config& cfg, size_t workers) {
  auto conf = [&](const char* key) { return *cfg.get(key); };
  std::string profile_name = p.profile.value_or(conf("import.profile").get<std::string>());
  unixfs::Profile profile = TRY(unixfs::profile_by_name(profile_name));

  unixfs::ImportOptions o;
  o.dag = profile.dag;
  o.workers = workers;
  o.recursive = p.recursive;
  o.hidden = p.hidden;
  o.wrap = p.wrap;
  o.empty_dirs = p.empty_dirs;
  o.dereference_args = p.dereference_args;

  // CID version: explicit (flag or config) or the profile's.
  std::optional<int> version = p.cid_version;
  if (!version && !conf("import.cid_version").is_null()) version = conf("import.cid_version").get<int>();
  if (version && *version != 0 && *version != 1) return invalid_argument("unknown CID version: " + std::to_string(*version));
  o.dag.cid_version = version ? static_cast<uint64_t>(*version) : profile.dag.cid_version;

  // Hash function.
  std::string hash = p.hash.value_or("");
  if (hash.empty() && !conf("import.hash").is_null()) hash = conf("import.hash").get<std::string>();
  if (!hash.empty()) {
    auto info = multihash::by_name(hash);
    if (!info || !info->implemented) return invalid_argument("unrecognized hash function: \"" + hash + "\"");
    o.dag.hash = info->code;
  }
  if (o.dag.hash != multihash::kSha2_256) {
    if (version && *version == 0) return invalid_argument("CIDv0 only supports sha2-256");
    o.dag.cid_version = 1;
  }

  // Raw leaves.
  std::optional<bool> raw = p.raw_leaves;
  if (!raw && !conf("import.raw_leaves").is_null()) raw = conf("import.raw_leaves").get<bool>();
  if (!raw) raw = profile.raw_leaves;
  o.dag.raw_leaves = raw ? *raw : o.dag.cid_version > 0;

  // Chunker.
  std::string chunker = p.chunker.value_or("");
  if (chunker.empty() && !conf("import.chunker").is_null()) chunker = conf("import.chunker").get<std::string>();
  o.chunker = TRY(unixfs::parse_chunker(chunker, profile.chunk_size));

  // Layout and links.
  bool trickle = p.trickle.value_or(false);
  if (!p.trickle && !conf("import.layout").is_null()) trickle = conf("import.layout").get<std::string>() == "trickle";
  o.dag.layout = trickle ? unixfs::Layout::kTrickle : unixfs::Layout::kBalanced;
  if (p.max_links) o.dag.max_links = *p.max_links;

  o.dag.inline_cids = p.inline_cids;
  o.dag.inline_limit = p.inline_limit;
  TRY_STATUS(unixfs::validate(o.dag));
  return o;
}

}  // namespace ipfskit::core
