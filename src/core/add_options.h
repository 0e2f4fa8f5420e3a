// How `add` turns its flags into import options, shared by the command line
// and the RPC so that both give the same CIDs for the same request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "config/config.h"
#include "unixfs/importer.h"

namespace ipfskit::core {

// What a user asked for; unset means "not given" (config, then profile decide).
struct AddParams {
  std::optional<std::string> profile, chunker, hash;
  std::optional<int> cid_version;
  std::optional<bool> raw_leaves, trickle;
  std::optional<uint64_t> max_links;
  bool inline_cids = false;
  uint64_t inline_limit = 32;
  bool recursive = false, hidden = false, wrap = false, empty_dirs = true, dereference_args = false;
};

// Kubo's rules: flags beat config, config beats the profile; a hash other
// than sha2-256 implies CIDv1; CIDv1 implies raw leaves unless set explicitly.
Result<unixfs::ImportOptions> resolve_import_options(const AddParams& params, const Config& config, size_t workers);

}  // namespace ipfskit::core
