// ipfs-kit cat, get, ls, refs: reading content out of the repository.
#include <unistd.h>

#include <cstdio>

#include "cli/app.h"
#include "cli/output.h"
#include "dag/dag.h"

namespace ipfskit::cli {

namespace {

Status write_stdout(ByteView b) { return write_all(STDOUT_FILENO, b, "standard output"); }

// Formats rows as Go's tabwriter with padding 1: columns as wide as their widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i + 1 < r.size(); ++i) {
      if (width.size() <= i) width.resize(i + 1, 0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 1, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

void register_content(CLI::App& app, Context& ctx, Action& action) {
  // cat
  struct CatFlags {
    std::vector<std::string> paths;
    int64_t offset = 0;
    int64_t length = -1;
    CLI::Option* length_opt = nullptr;
  };
  auto cf = std::make_shared<CatFlags>();
  CLI::App* cat = app.add_subcommand("cat", "Print the contents of files (CID or CID/path)");
  cat->add_option("paths", cf->paths, "CIDs or paths; read from standard input when none");
  cat->add_option("-o,--offset", cf->offset, "byte offset to start at");
  cf->length_opt = cat->add_option("-l,--length", cf->length, "maximum number of bytes to read");
  cat->callback([cf, &ctx, &action] {
    action = [cf, &ctx]() -> Status {
      if (cf->offset < 0) return invalid_argument("cannot specify negative offset");
      if (cf->length_opt->count() > 0 && cf->length < 0) return invalid_argument("cannot specify negative length");
      api::Client* client = TRY(ctx.client());
      std::vector<std::string> paths = cf->paths.empty() ? read_stdin_words() : cf->paths;
      if (paths.empty()) return invalid_argument("argument \"ipfs-path\" is required");
      // As Kubo: the offset and length apply to the concatenation of all inputs.
      uint64_t skip = static_cast<uint64_t>(cf->offset);
      std::optional<uint64_t> left;
      if (cf->length_opt->count() > 0) left = static_cast<uint64_t>(cf->length);
      for (const auto& p : paths) {
        if (left && *left == 0) break;
        Cid cid = TRY(client->resolve(p));
        auto info = TRY(client->stat(cid.to_string()));
        if (info.kind != unixfs::NodeKind::kFile)
          return invalid_argument(p + (info.kind == unixfs::NodeKind::kOther ? " is not a UnixFS file" : " is not a file"));
        if (skip >= info.size) {
          skip -= info.size;
          continue;
        }
        uint64_t n = info.size - skip;
        if (left) n = std::min(n, *left);
        TRY_STATUS(client->cat(cid.to_string(), skip, n, write_stdout));
        skip = 0;
        if (left) *left -= n;
      }
      return {};
    };
  });

  // get
  struct GetFlags {
    std::string path, output;
    bool progress = false;
  };
  auto gf = std::make_shared<GetFlags>();
  CLI::App* get = app.add_subcommand("get", "Write a file or directory tree to the local file system");
  get->add_option("path", gf->path, "CID or CID/path")->required();
  get->add_option("-o,--output", gf->output, "where to write it (default: the last path segment)");
  get->add_flag("-p,--progress", gf->progress, "show a progress bar");
  get->callback([gf, &ctx, &action] {
    action = [gf, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      std::string out = gf->output;
      if (out.empty()) {
        std::string p = gf->path;
        while (!p.empty() && p.back() == '/') p.pop_back();
        out = p.substr(p.rfind('/') == std::string::npos ? 0 : p.rfind('/') + 1);
      }
      Cid cid = TRY(client->resolve(gf->path));
      TRY_STATUS(client->stat(cid.to_string()));  // fail before announcing anything when the root is missing
      std::printf("Saving file(s) to %s\n", out.c_str());
      std::fflush(stdout);
      std::unique_ptr<ProgressBar> bar;
      unixfs::ProgressFn progress;
      if (gf->progress || stderr_is_terminal()) {
        bar = std::make_unique<ProgressBar>(0);
        progress = [&](uint64_t n) { bar->add(n); };
      }
      Status st = client->get(cid.to_string(), out, progress);
      if (bar) bar->finish();
      return st;
    };
  });

  // ls
  struct LsFlags {
    std::vector<std::string> paths;
    bool headers = false;
    bool size = true;
  };
  auto lf = std::make_shared<LsFlags>();
  CLI::App* ls = app.add_subcommand("ls", "List the links of directories (or of file nodes)");
  ls->add_option("paths", lf->paths, "CIDs or paths")->required();
  ls->add_flag("-v,--headers", lf->headers, "print table headers (Hash, Size, Name)");
  ls->add_flag("--size", lf->size, "resolve linked objects to find out their file size (default true)");
  ls->callback([lf, &ctx, &action] {
    action = [lf, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      nlohmann::json objects = nlohmann::json::array();
      for (size_t i = 0; i < lf->paths.size(); ++i) {
        Cid cid = TRY(client->resolve(lf->paths[i]));
        auto info = TRY(client->stat(cid.to_string()));
        std::vector<std::vector<std::string>> rows;
        if (lf->headers) rows.push_back(lf->size ? std::vector<std::string>{"Hash", "Size", "Name"}
                                                 : std::vector<std::string>{"Hash", "Name"});
        nlohmann::json links = nlohmann::json::array();
        auto add_row = [&](const std::string& name, const Cid& c, uint64_t tsize) -> Status {
          auto child = client->stat(c.to_string());
          bool dir = child && (child->kind == unixfs::NodeKind::kDirectory || child->kind == unixfs::NodeKind::kHAMTDirectory);
          uint64_t size = child && child->kind == unixfs::NodeKind::kFile ? child->size : tsize;
          links.push_back({{"Name", name}, {"Hash", c.to_string()}, {"Size", size}, {"Type", dir ? 1 : 2}});
          std::string shown = escape_nonprint(name) + (dir ? "/" : "");
          if (lf->size) rows.push_back({c.to_string(), dir ? "-" : std::to_string(size), shown});
          else rows.push_back({c.to_string(), shown});
          return {};
        };
        if (info.kind == unixfs::NodeKind::kDirectory || info.kind == unixfs::NodeKind::kHAMTDirectory) {
          TRY_STATUS(client->ls(cid.to_string(), [&](const unixfs::DirEntry& e) { return add_row(e.name, e.cid, e.tsize); }));
        } else {
          Bytes block = TRY(client->block_get(cid));
          for (const Cid& l : TRY(dag::links_of(cid, block))) TRY_STATUS(add_row("", l, 0));
        }
        if (ctx.json) {
          objects.push_back({{"Hash", lf->paths[i]}, {"Links", links}});
          continue;
        }
        if (lf->paths.size() > 1) std::printf("%s%s:\n", i > 0 ? "\n" : "", lf->paths[i].c_str());
        print_table(rows);
      }
      if (ctx.json) print_json({{"Objects", objects}});
      return {};
    };
  });

  // refs
  struct RefsFlags {
    std::vector<std::string> paths;
    bool recursive = false, unique = false;
  };
  auto rf = std::make_shared<RefsFlags>();
  CLI::App* refs = app.add_subcommand("refs", "List the links (references) of objects");
  refs->add_option("paths", rf->paths, "CIDs or paths");
  refs->add_flag("-r,--recursive", rf->recursive, "recursively list links of child nodes");
  refs->add_flag("-u,--unique", rf->unique, "omit duplicate refs");
  CLI::App* local = refs->add_subcommand("local", "List every block in the local store");
  local->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      return client->refs_local([&](const Cid& c) -> Status {
        if (ctx.json) print_json({{"Ref", c.to_string()}, {"Err", ""}});
        else std::printf("%s\n", c.to_string().c_str());
        return {};
      });
    };
  });
  refs->callback([rf, refs, &ctx, &action] {
    if (refs->got_subcommand("local")) return;
    action = [rf, &ctx]() -> Status {
      if (rf->paths.empty()) return invalid_argument("argument \"ipfs-path\" is required");
      api::Client* client = TRY(ctx.client());
      for (const auto& p : rf->paths) {
        Cid cid = TRY(client->resolve(p));
        TRY_STATUS(client->refs(cid.to_string(), rf->recursive, rf->unique, [&](const Cid& c) -> Status {
          if (ctx.json) print_json({{"Ref", c.to_string()}, {"Err", ""}});
          else std::printf("%s\n", c.to_string().c_str());
          return {};
        }));
      }
      return {};
    };
  });
}

}  // namespace ipfskit::cli
