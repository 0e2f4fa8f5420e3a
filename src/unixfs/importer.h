// Imports files, directories and symlinks from the local file system into
// UnixFS, with `ipfs add`'s options and output.
#pragma once

#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/io.h"
#include "blockstore/blockstore.h"
#include "unixfs/chunker.h"
#include "unixfs/dag.h"
#include "unixfs/file_builder.h"

namespace ipfskit::unixfs {

struct ImportOptions {
  DagOptions dag;
  ChunkSpec chunker;
  bool recursive = false;        // -r: directories allowed
  bool hidden = false;           // -H: include names starting with '.'
  bool wrap = false;             // -w: wrap everything in one directory
  bool empty_dirs = true;        // keep empty directories below the top level
  bool dereference_args = false; // follow symlinks given on the command line
  size_t workers = 0;            // hashing threads; 0 = one per CPU
};

// One line of `ipfs add` output: an imported file or directory.
struct AddedEntry {
  std::string name;  // path relative to what was given ("dir/sub/file"); "" for the -w wrapper
  Cid cid;
  uint64_t size = 0;  // cumulative DAG size (Tsize)
};

using AddedFn = std::function<void(const AddedEntry&)>;

// One entry of an upload (the parts of Kubo's multipart `add`): its path in
// the upload and its kind. Paths are untrusted: "a/b/c" with no empty, "."
// or ".." components; "" names a lone nameless file (printed as its CID).
struct UploadEntry {
  enum class Kind { kFile, kDirectory, kSymlink };
  Kind kind = Kind::kFile;
  std::string path;
  ByteReader* content = nullptr;  // a file's content; a symlink's target
};

// Yields upload entries in order; nullopt at the end. An entry's content
// is read before the next entry is asked for.
class UploadSource {
 public:
  virtual ~UploadSource() = default;
  virtual Result<std::optional<UploadEntry>> next() = 0;
};

class Importer {
 public:
  // `sink` may be null (--only-hash). `on_added` receives entries in Kubo's
  // order: files as they finish, then directories depth first, children
  // before parents, names sorted. `progress` receives bytes read.
  Importer(ImportOptions options, BlockSink* sink, AddedFn on_added, ProgressFn progress = nullptr);
  ~Importer();

  // Adds each path as `ipfs add` does and returns the last root (the wrapper with -w).
  Result<NodeRef> add_paths(const std::vector<std::string>& paths);

  // Adds one stream as a file. Its output name is `name`, or its CID when empty.
  Result<NodeRef> add_stream(ByteReader& input, const std::string& name);

  // Adds the entries of an upload, streaming each file's content. Parent
  // directories need not be listed. Files are reported as they finish, then
  // directories children first, names sorted, then the -w wrapper; the
  // returned root is the last entry reported.
  // Each top-level entry is its own add (as `ipfs add a b` adds a and b):
  // its files as they finish, then its directories. Entries under one
  // top-level name must come together (Kubo's clients send them so).
  Result<NodeRef> add_entries(UploadSource& source);

  // The roots of the last add: one per top-level argument or entry, or the
  // one -w wrapper. Every one of them is pinned.
  const std::vector<NodeRef>& roots() const { return roots_; }

  // Walks `paths` as the import will, without reading file contents: fails on
  // what the import would refuse (a special file, an unreadable directory)
  // before anything is stored or printed, and returns the bytes to read (for
  // a progress bar). add_paths() runs it first.
  // The byte count is only computed when `count_bytes` (it costs a stat per file).
  struct ScanOptions {
    bool recursive, hidden, dereference_args, count_bytes;
  };
  static Result<uint64_t> scan(const std::vector<std::string>& paths, const ScanOptions& options);
  static Result<uint64_t> scan(const std::vector<std::string>& paths, const ImportOptions& options, bool count_bytes) {
    return scan(paths, ScanOptions{options.recursive, options.hidden, options.dereference_args, count_bytes});
  }

 private:
  // A file or symlink in walk order. Small files are imported on a worker
  // while the walk goes on; `node` is set once the entry is finished.
  // Small files go to workers in groups (fewer thread handoffs, and their
  // blocks are written together).
  struct Group {
    std::vector<std::string> paths;
    std::vector<Result<std::optional<NodeRef>>> results;  // nullopt: too big for one piece
    std::shared_future<Status> done;
  };
  // An entry of the walk, queued in post-order (children before their
  // directory), finished as the queue drains.
  struct Queued {
    std::string fs_path, out_name;
    std::shared_ptr<Group> group;  // a file: the group importing it
    size_t index = 0;
    // A directory: its entries, and its slot in the directory events.
    bool is_dir = false;
    std::vector<std::pair<std::string, std::shared_ptr<Queued>>> children;
    std::vector<AddedEntry>* dirs = nullptr;
    size_t dir_index = 0;
    std::optional<NodeRef> node;
  };
  Result<NodeRef> add_file(const std::string& path);
  // Imports a file in one piece if it fits in one chunk; nullopt otherwise.
  Result<std::optional<NodeRef>> add_small_file(const std::string& path, BlockSink* sink);
  void submit_group();
  Result<std::shared_ptr<Queued>> add_tree(const std::string& fs_path, const std::string& out_name,
                                           std::vector<AddedEntry>& dirs, unsigned char type_hint);
  // Finishes queued entries in walk order, emitting their events, until at
  // most `keep` remain.
  Status drain(size_t keep);
  Status finish(Queued& q);

  std::vector<NodeRef> roots_;
  std::deque<std::shared_ptr<Queued>> queue_;
  std::shared_ptr<Group> open_group_;  // collecting, not yet submitted

  ImportOptions o_;
  BlockSink* sink_;
  AddedFn on_added_;
  ProgressFn progress_;
  CidBuilder cids_;
  std::unique_ptr<ImportContext> ctx_;
};

// Local paths as an upload, the way `ipfs add` sends them to a daemon: each
// argument under its base name, then (a directory) its entries depth first
// in name order, each directory before its contents. Applies the walk
// options (-r, -H, --empty-dirs, --dereference-args) as add_paths() does, so
// that the daemon's add yields the same entries; run Importer::scan() first
// to refuse what add_paths() would refuse before anything is sent.
class LocalUpload : public UploadSource {
 public:
  static Result<std::unique_ptr<LocalUpload>> open(const std::vector<std::string>& paths, const ImportOptions& options);
  Result<std::optional<UploadEntry>> next() override;
  // Called with the bytes of file content as they are read.
  void on_progress(ProgressFn progress) { progress_ = std::move(progress); }

 private:
  struct Item {
    std::string fs_path, out_name;
    unsigned char type_hint;
  };
  class CountingReader : public ByteReader {
   public:
    CountingReader(int fd, std::string name, const ProgressFn& progress) : in_(fd, std::move(name)), progress_(progress) {}
    Result<size_t> read(uint8_t* buf, size_t n) override;

   private:
    FdReader in_;
    const ProgressFn& progress_;
  };
  ImportOptions o_;
  std::vector<Item> stack_;  // next entry at the back
  UniqueFd fd_;              // the current file
  std::unique_ptr<CountingReader> file_;
  std::string link_target_;
  std::unique_ptr<MemoryReader> link_;
  ProgressFn progress_;
};

}  // namespace ipfskit::unixfs
