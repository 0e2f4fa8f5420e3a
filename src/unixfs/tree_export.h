// Writing UnixFS content out to the local file system (`get`), safely:
// names from a DAG are untrusted, so an unsafe name refuses the directory,
// nothing is written outside the output path, no symlink is followed and
// nothing existing is replaced.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "unixfs/exporter.h"
#include "unixfs/file_builder.h"

namespace ipfskit::unixfs {

// A name that may be written as one path component: not empty, ".", "..",
// and without '/' or NUL.
bool safe_entry_name(std::string_view name);

// A directory's entries, refusing the whole directory when any name is unsafe
// (`shown` names the directory in the message).
Result<std::vector<DirEntry>> list_safe(Exporter& ex, const Cid& dir, const std::string& shown);

// Writes the file, directory or symlink `root` to the path `out`, which must
// not exist (its parent must). `progress` gets file bytes as they are written.
Status write_tree(Exporter& ex, const Cid& root, const std::string& out, const ProgressFn& progress);

}  // namespace ipfskit::unixfs
