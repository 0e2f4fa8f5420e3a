// ipfs-kit repo gc|stat|verify.
#include <cstdio>

#include "cli/app.h"
#include "cli/output.h"

namespace ipfskit::cli {

void register_repo(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* repo = app.add_subcommand("repo", "Manage the repository");
  repo->require_subcommand(1);

  struct GcFlags {
    bool quiet = false, silent = false;
  };
  auto gf = std::make_shared<GcFlags>();
  CLI::App* gc = repo->add_subcommand("gc", "Remove every block that no pin keeps");
  gc->add_flag("-q,--quiet", gf->quiet, "print only the removed CIDs");
  gc->add_flag("--silent", gf->silent, "print nothing");
  gc->callback([gf, &ctx, &action] {
    action = [gf, &ctx]() -> Status {
      auto on_removed = [&](const std::string& c) {
        if (gf->silent) return;
        if (ctx.json) print_json({{"Key", {{"/", c}}}});
        else std::printf("%s%s\n", gf->quiet ? "" : "removed ", c.c_str());
      };
      api::Client* client = TRY(ctx.client());
      core::GcReport report = TRY(client->gc([&](const Cid& c) { on_removed(c.to_string()); }));
      if (!gf->silent && !gf->quiet && !ctx.json)
        std::fprintf(stderr, "freed %llu blocks (%s); %s of disk space returned\n",
                     static_cast<unsigned long long>(report.removed_blocks), human_bytes(report.removed_bytes).c_str(),
                     human_bytes(report.reclaimed_bytes).c_str());
      return {};
    };
  });

  auto human = std::make_shared<bool>(false);
  CLI::App* stat = repo->add_subcommand("stat", "Show repository statistics");
  stat->add_flag("-H,--human", *human, "human-readable sizes");
  stat->callback([human, &ctx, &action] {
    action = [human, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      auto s = TRY(client->repo_stat());
      if (ctx.json) {
        print_json({{"NumObjects", s.blocks}, {"RepoSize", s.disk_bytes}, {"BlockBytes", s.block_bytes},
                    {"Pins", s.pins}, {"RepoPath", s.path}, {"Version", "ipfs-kit-repo@1"}});
        return {};
      }
      auto size = [&](uint64_t v) { return *human ? human_bytes(v) : std::to_string(v); };
      std::printf("NumObjects: %llu\nRepoSize:   %s\nBlockBytes: %s\nPins:       %llu\nRepoPath:   %s\nVersion:    ipfs-kit-repo@1\n",
                  static_cast<unsigned long long>(s.blocks), size(s.disk_bytes).c_str(), size(s.block_bytes).c_str(),
                  static_cast<unsigned long long>(s.pins), s.path.c_str());
      return {};
    };
  });

  CLI::App* verify = repo->add_subcommand("verify", "Re-hash every block; fail if any is damaged");
  verify->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      auto report = TRY(client->repo_verify([&](const Cid& c, const Error& e) {
        if (ctx.json) print_json({{"Cid", c.to_string()}, {"Msg", e.message()}});
        else std::printf("block %s was corrupt (%s)\n", c.to_string().c_str(), e.message().c_str());
      }));
      if (report.bad > 0)
        return corruption(std::to_string(report.bad) + " of " + std::to_string(report.checked) + " blocks are damaged");
      if (ctx.json) print_json({{"Msg", "verified repo integrity"}, {"Checked", report.checked}});
      else std::printf("verified repo integrity (%llu blocks)\n", static_cast<unsigned long long>(report.checked));
      return {};
    };
  });
}

}  // namespace ipfskit::cli
