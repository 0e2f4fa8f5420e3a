// ipfs-kit add: import files into UnixFS, with Kubo's flags and output.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/output.h"
#include "core/add_options.h"
#include "unixfs/importer.h"

namespace ipfskit::cli {

namespace {

struct AddFlags {
  std::vector<std::string> paths;
  bool recursive = false, quiet = false, quieter = false, silent = false, only_hash = false;
  bool hidden = false, wrap = false, trickle = false, inline_cids = false, dereference_args = false;
  bool progress = false, empty_dirs = true, upgrade_v0 = true;
  int cid_version = -1;
  bool raw_leaves = false;
  uint64_t inline_limit = 32;
  uint64_t max_file_links = 0;
  std::string chunker, profile, hash, cid_base, stdin_name, pin_name;
  std::vector<std::string> pin_meta;
  bool pin = true;
  BatchFlags batch;
  CLI::Option* pin_name_opt = nullptr;
  CLI::Option* raw_leaves_opt = nullptr;
  CLI::Option* cid_version_opt = nullptr;
  CLI::Option* progress_opt = nullptr;
  CLI::Option* trickle_opt = nullptr;
  CLI::Option* max_links_opt = nullptr;
  CLI::Option* upgrade_opt = nullptr;
};

// The flags as core::AddParams (unset when the user did not give them).
core::AddParams add_params(const AddFlags& f) {
  core::AddParams p;
  if (!f.profile.empty()) p.profile = f.profile;
  if (!f.chunker.empty()) p.chunker = f.chunker;
  if (!f.hash.empty()) p.hash = f.hash;
  if (f.cid_version_opt->count() > 0) p.cid_version = f.cid_version;
  if (f.raw_leaves_opt->count() > 0) p.raw_leaves = f.raw_leaves;
  if (f.trickle_opt->count() > 0) p.trickle = f.trickle;
  if (f.max_links_opt->count() > 0) p.max_links = f.max_file_links;
  p.inline_cids = f.inline_cids;
  p.inline_limit = f.inline_limit;
  p.recursive = f.recursive;
  p.hidden = f.hidden;
  p.wrap = f.wrap;
  p.empty_dirs = f.empty_dirs;
  p.dereference_args = f.dereference_args;
  return p;
}

Status run_add(AddFlags& f, Context& ctx) {
  api::AddRequest req;
  req.params = add_params(f);
  req.only_hash = f.only_hash;
  req.pin = f.pin && !f.only_hash;
  if (f.pin_name_opt->count() > 0) {
    if (!f.pin) return invalid_argument("pin-name option requires pin to be set");
    req.pin_name = f.pin_name;
  }
  for (const std::string& kv : f.pin_meta) {
    auto [k, v] = TRY(parse_key_value(kv));
    req.pin_meta[k] = v;
  }
  std::optional<multibase::Base> base;
  if (!f.cid_base.empty()) {
    base = multibase::base_by_name(f.cid_base);
    if (!base) return invalid_argument("unknown multibase \"" + f.cid_base + "\"");
  }
  auto format_cid = [&](const Cid& c) -> std::string {
    if (!base) return c.to_string();
    if (c.version() == 0 && (*base != multibase::Base::kBase58Btc) && f.upgrade_v0) return *c.to_v1().to_string(*base);
    auto s = c.to_string(*base);
    return s ? *s : c.to_string();
  };

  std::vector<std::string> paths = f.batch.parallel ? split_commas(f.paths) : f.paths;
  const bool reading_stdin = paths.empty();
  // The walk options, for the scan below (the client applies them to the add).
  unixfs::ImportOptions walk;
  walk.recursive = req.params.recursive;
  walk.hidden = req.params.hidden;
  walk.dereference_args = req.params.dereference_args;
  const bool batch = !reading_stdin && f.batch.parallel && paths.size() > 1 && !f.wrap;
  // A batch refuses a missing path up front, before anything is stored, like a single add.
  if (batch) TRY_STATUS(unixfs::Importer::scan(paths, walk, false));
  api::Client* client = TRY(ctx.client());

  const bool show_progress = f.progress_opt->count() > 0
                                 ? f.progress
                                 : (!f.quiet && !f.quieter && !f.silent && !ctx.json && stderr_is_terminal());
  std::unique_ptr<ProgressBar> bar;
  if (show_progress)
    bar = std::make_unique<ProgressBar>(reading_stdin ? 0 : unixfs::Importer::scan(paths, walk, true).value_or(0));

  std::mutex out_mu;
  Cid last_cid;
  req.on_added = [&](const unixfs::AddedEntry& e) {
    std::lock_guard lock(out_mu);
    last_cid = e.cid;
    if (f.silent || f.quieter) return;
    std::string hash = format_cid(e.cid);
    if (bar) bar->clear_line();
    if (ctx.json) {
      print_json({{"Name", e.name}, {"Hash", hash}, {"Size", std::to_string(e.size)}});
    } else if (f.quiet) {
      std::printf("%s\n", hash.c_str());
    } else {
      std::printf("added %s %s\n", hash.c_str(), escape_nonprint(e.name).c_str());
    }
    std::fflush(stdout);
  };
  if (bar) req.progress = [&](uint64_t n) {
    std::lock_guard lock(out_mu);
    bar->add(n);
  };

  Status result;
  if (batch) {
    // The seeds' batch: each input is its own add (and pin), run side by side;
    // a failing input does not stop the others.
    BatchFlags flags = f.batch;
    flags.progress_opt = nullptr;  // the byte progress bar above is the add's
    BatchReport report(paths.size(), "files", flags);
    const size_t workers = ctx.workers > 0 ? ctx.workers : std::max(1u, std::thread::hardware_concurrency());
    api::AddRequest each = req;
    each.params.wrap = false;
    result = run_items(paths, f.batch, workers, report, [&](const std::string& path) -> Status {
      api::AddRequest one = each;
      one.paths = {path};
      auto root = client->add(one);
      if (!root) return tl::unexpected(root.error().wrap(path));
      return {};
    });
  } else if (reading_stdin) {
    FdReader in(STDIN_FILENO, "standard input");
    req.stream = &in;
    req.stream_name = f.stdin_name;
    result = client->add(req).map([](const Cid&) {});
  } else {
    req.paths = paths;
    result = client->add(req).map([](const Cid&) {});
  }
  if (bar) bar->finish();
  if (!result) return result;
  if (f.quieter && !f.silent) std::printf("%s\n", format_cid(last_cid).c_str());
  return {};
}

}  // namespace

void register_add(CLI::App& app, Context& ctx, Action& action) {
  auto f = std::make_shared<AddFlags>();
  CLI::App* cmd = app.add_subcommand("add", "Add files or directories to the repository (like `ipfs add`)");
  cmd->add_option("paths", f->paths, "files or directories to add; standard input when none");
  cmd->add_flag("-r,--recursive", f->recursive, "add directories recursively");
  cmd->add_flag("-q,--quiet", f->quiet, "print only the CIDs");
  cmd->add_flag("-Q,--quieter", f->quieter, "print only the final root CID");
  cmd->add_flag("--silent", f->silent, "print nothing");
  cmd->add_flag("-n,--only-hash", f->only_hash, "compute CIDs without storing anything");
  f->cid_version_opt = cmd->add_option("--cid-version", f->cid_version, "CID version (0 or 1)");
  f->raw_leaves_opt = cmd->add_flag("--raw-leaves", f->raw_leaves, "use raw blocks for leaves (--raw-leaves=false to disable)");
  cmd->add_option("-s,--chunker", f->chunker, "size-N, rabin[-min-avg-max] or buzhash");
  f->trickle_opt = cmd->add_flag("-t,--trickle", f->trickle, "use the trickle DAG layout");
  cmd->add_flag("--inline", f->inline_cids, "inline small blocks into identity CIDs");
  cmd->add_option("--inline-limit", f->inline_limit, "largest block to inline (at most 128)");
  cmd->add_flag("-w,--wrap-with-directory", f->wrap, "wrap the inputs in a directory");
  cmd->add_flag("-H,--hidden", f->hidden, "include files whose names start with a dot");
  cmd->add_option("--profile", f->profile, "IPIP-499 profile: unixfs-v0-2015 (default) or unixfs-v1-2025");
  f->progress_opt = cmd->add_flag("-p,--progress", f->progress, "show a progress bar");
  cmd->add_option("--hash", f->hash, "hash function (default sha2-256)");
  f->max_links_opt = cmd->add_option("--max-file-links", f->max_file_links, "children per file node");
  cmd->add_option("--cid-base", f->cid_base, "multibase for printed CIDs (CIDv0 is shown as CIDv1)");
  f->upgrade_opt = cmd->add_flag("--upgrade-cidv0-in-output", f->upgrade_v0, "show CIDv0 as CIDv1 with --cid-base");
  cmd->add_flag("--empty-dirs", f->empty_dirs, "keep empty directories (--empty-dirs=false to skip)");
  cmd->add_flag("--dereference-args", f->dereference_args, "follow symlinks named on the command line");
  cmd->add_option("--stdin-name", f->stdin_name, "name for content read from standard input");
  cmd->add_flag("--pin", f->pin, "pin the root (default true; --pin=false to skip)");
  f->pin_name_opt = cmd->add_option("--pin-name", f->pin_name, "name for the root's pin");
  cmd->add_option("--pin-meta", f->pin_meta, "key=value metadata for the root's pin (repeatable)")
      ->allow_extra_args(false)
      ->take_all();
  cmd->add_flag("--parallel", f->batch.parallel, "treat comma-separated paths (a,b,c) as separate adds, run side by side");
  cmd->callback([f, &ctx, &action] { action = [f, &ctx] { return run_add(*f, ctx); }; });
}

}  // namespace ipfskit::cli
