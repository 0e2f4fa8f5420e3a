// ipfs-kit add: import files into UnixFS, with Kubo's flags and output.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/output.h"
#include "client/upload.h"
#include "core/add_options.h"
#include "core/node.h"
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
  bool pin = true, parallel = false;
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

// The add's query parameters for the daemon's RPC (Kubo's names; the walk
// options stay here: the walk happens on this side).
std::vector<std::pair<std::string, std::string>> rpc_params(const AddFlags& f, const core::AddParams& p,
                                                            const core::AddOptions& add) {
  std::vector<std::pair<std::string, std::string>> q;
  auto flag = [&](const char* k, bool v) { q.emplace_back(k, v ? "true" : "false"); };
  if (p.profile) q.emplace_back("profile", *p.profile);
  if (p.chunker) q.emplace_back("chunker", *p.chunker);
  if (p.hash) q.emplace_back("hash", *p.hash);
  if (p.cid_version) q.emplace_back("cid-version", std::to_string(*p.cid_version));
  if (p.raw_leaves) flag("raw-leaves", *p.raw_leaves);
  if (p.trickle) flag("trickle", *p.trickle);
  if (p.max_links) q.emplace_back("max-file-links", std::to_string(*p.max_links));
  if (p.inline_cids) {
    flag("inline", true);
    q.emplace_back("inline-limit", std::to_string(p.inline_limit));
  }
  if (p.wrap) flag("wrap-with-directory", true);
  flag("pin", add.pin);
  if (add.pin_name) q.emplace_back("pin-name", *add.pin_name);
  if (!add.pin_meta.empty()) q.emplace_back("pin-metadata", nlohmann::json(add.pin_meta).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (f.quieter) flag("quieter", true);
  if (f.silent) flag("silent", true);
  return q;
}

// Sends one upload to the daemon's `add`, reporting each added entry.
Status add_through_daemon(Context& ctx, unixfs::UploadSource& upload,
                          const std::vector<std::pair<std::string, std::string>>& params,
                          const unixfs::AddedFn& on_added) {
  return ctx.rpc_call(
      "add", params,
      [&](const nlohmann::json& j) -> Status {
        if (!j.is_object() || !j.contains("Hash")) return {};  // progress lines
        if (!j["Hash"].is_string() || !j.value("Name", nlohmann::json()).is_string())
          return corruption("the daemon sent a malformed add reply");
        unixfs::AddedEntry e;
        e.name = j["Name"].get<std::string>();
        e.cid = TRY(Cid::parse(j["Hash"].get<std::string>()));
        if (j.contains("Size") && j["Size"].is_string()) e.size = std::strtoull(j["Size"].get<std::string>().c_str(), nullptr, 10);
        on_added(e);
        return {};
      }, &upload);
}

Status run_add(AddFlags& f, Context& ctx) {
  core::AddOptions add;
  add.only_hash = f.only_hash;
  add.pin = f.pin && !f.only_hash;
  if (f.pin_name_opt->count() > 0) {
    if (!f.pin) return invalid_argument("pin-name option requires pin to be set");
    add.pin_name = f.pin_name;
  }
  for (const std::string& kv : f.pin_meta) {
    auto [k, v] = TRY(parse_key_value(kv));
    add.pin_meta[k] = v;
  }
  const core::AddParams params = add_params(f);
  // A running daemon owns the repository: writes go through it. (--only-hash
  // writes nothing and is computed here.)
  const bool remote = !f.only_hash && TRY(ctx.running_daemon()).has_value();
  core::Node* node = nullptr;
  if (remote) {
    // The walk options, for walking here; the daemon resolves the rest.
    add.import.recursive = params.recursive;
    add.import.hidden = params.hidden;
    add.import.wrap = params.wrap;
    add.import.empty_dirs = params.empty_dirs;
    add.import.dereference_args = params.dereference_args;
  } else {
    node = TRY(ctx.node());
    add.import = TRY(core::resolve_import_options(params, node->repo().config(), ctx.workers));
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

  std::vector<std::string> paths = f.parallel ? split_commas(f.paths) : f.paths;
  const bool reading_stdin = paths.empty();
  // Refuse what the add would refuse (missing paths, special files) before
  // anything is stored or sent. A single local add_paths() scans first itself.
  if (!reading_stdin && (remote || f.parallel)) TRY_STATUS(unixfs::Importer::scan(paths, add.import, false));
  const bool show_progress = f.progress_opt->count() > 0
                                 ? f.progress
                                 : (!f.quiet && !f.quieter && !f.silent && !ctx.json && stderr_is_terminal());
  std::unique_ptr<ProgressBar> bar;
  if (show_progress)
    bar = std::make_unique<ProgressBar>(reading_stdin ? 0 : unixfs::Importer::scan(paths, add.import, true).value_or(0));

  std::mutex out_mu;
  Cid last_cid;
  auto on_added = [&](const unixfs::AddedEntry& e) {
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
  unixfs::ProgressFn progress;
  if (bar) progress = [&](uint64_t n) {
    std::lock_guard lock(out_mu);
    bar->add(n);
  };

  // One add: of standard input (no paths), or of `list` as one upload.
  auto add_one = [&](const std::vector<std::string>& list, const core::AddOptions& opts) -> Status {
    if (remote) {
      auto q = rpc_params(f, params, opts);
      if (list.empty()) {
        client::FilesUpload upload({""}, f.stdin_name);
        return add_through_daemon(ctx, upload, q, on_added);
      }
      auto upload = TRY(unixfs::LocalUpload::open(list, opts.import));
      upload->on_progress(progress);
      return add_through_daemon(ctx, *upload, q, on_added);
    }
    if (list.empty()) {
      FdReader in(STDIN_FILENO, "standard input");
      TRY(node->add_stream(in, f.stdin_name, opts, on_added, progress));
      return {};
    }
    TRY(node->add_paths(list, opts, on_added, progress));
    return {};
  };

  Status result;
  if (!reading_stdin && f.parallel && paths.size() > 1 && !f.wrap) {
    // The seeds' batch: each input is its own add (and pin), run side by side.
    if (remote) TRY(ctx.rpc());  // look the daemon up once, before the threads
    const size_t workers = node != nullptr ? node->workers() : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    std::vector<Status> results(paths.size());
    std::atomic<size_t> next{0};
    const size_t n = std::min(paths.size(), workers);
    core::AddOptions each = add;
    each.import.workers = std::max<size_t>(1, workers / n);
    for (size_t t = 0; t < n; ++t)
      threads.emplace_back([&] {
        for (size_t i = next++; i < paths.size(); i = next++) {
          Status st = add_one({paths[i]}, each);
          if (!st) results[i] = tl::unexpected(st.error().wrap(paths[i]));
        }
      });
    for (auto& t : threads) t.join();
    for (auto& r : results)
      if (!r) result = r;
  } else {
    result = add_one(paths, add);
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
  cmd->add_flag("--parallel", f->parallel, "treat comma-separated paths (a,b,c) as separate adds, run in parallel");
  cmd->callback([f, &ctx, &action] { action = [f, &ctx] { return run_add(*f, ctx); }; });
}

}  // namespace ipfskit::cli
