// ipfs-kit init, id: the repository and the node's identity.
#include <cstdio>

#include "cli/app.h"
#include "base/version.h"
#include "repo/repo.h"

namespace ipfskit::cli {

void register_node(CLI::App& app, Context& ctx, Action& action) {
  if (app.get_name() == "ipfs-kit") {
    CLI::App* init = app.add_subcommand("init", "Create the repository (config, block store, index, identity)");
    init->callback([&ctx, &action] {
      action = [&ctx]() -> Status {
        repo::Repo::Options o;
        o.config_path = ctx.config_flag;
        auto r = TRY(repo::Repo::init(ctx.repo_path(), o));
        std::printf("initialized ipfs-kit repository at %s\npeer identity: %s\n", r->path().c_str(),
                    r->identity().peer_id.c_str());
        return {};
      };
    });
  }
  CLI::App* id = app.add_subcommand("id", "Show the node's identity (peer ID and public key)");
  auto format = std::make_shared<std::string>();
  id->add_option("-f,--format", *format, "print the peer ID only when \"<id>\"");
  id->callback([&ctx, &action, format] {
    action = [&ctx, format]() -> Status {
      api::Client* client = TRY(ctx.client());
      nlohmann::json j = TRY(client->id());
      if (*format == "<id>") {
        std::printf("%s\n", j.value("ID", std::string()).c_str());
        return {};
      }
      std::printf("%s\n", ctx.json ? j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str() : j.dump(1, '\t').c_str());
      return {};
    };
  });
}

}  // namespace ipfskit::cli
