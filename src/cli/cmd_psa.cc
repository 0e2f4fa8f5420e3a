// ipfs-kit psa token create|rm|ls: access tokens of the Pinning Service API
// the daemon serves at <api_address>/psa.
#include <cstdio>
#include <ctime>

#include "cli/app.h"

namespace ipfskit::cli {

void register_psa(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* psa = app.add_subcommand("psa", "The Pinning Service API this node serves (at <api_address>/psa)");
  psa->require_subcommand(1);
  CLI::App* token = psa->add_subcommand("token", "Access tokens of the Pinning Service API");
  token->require_subcommand(1);

  auto create_name = std::make_shared<std::string>();
  CLI::App* create = token->add_subcommand("create", "Make a token (printed once; only its hash is kept)");
  create->add_option("name", *create_name, "a name for the token (its requests are its own)")->required();
  create->callback([create_name, &ctx, &action] {
    action = [create_name, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      std::string t = TRY(client->psa_token_create(*create_name));
      if (ctx.json) print_json({{"name", *create_name}, {"token", t}});
      else std::printf("%s\n", t.c_str());
      return {};
    };
  });

  auto rm_name = std::make_shared<std::string>();
  CLI::App* rm = token->add_subcommand("rm", "Revoke a token (its pin requests go with it)");
  rm->add_option("name", *rm_name, "the token's name")->required();
  rm->callback([rm_name, &ctx, &action] {
    action = [rm_name, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      TRY_STATUS(client->psa_token_remove(*rm_name));
      if (ctx.json) print_json({{"name", *rm_name}, {"removed", true}});
      else std::printf("removed token %s\n", rm_name->c_str());
      return {};
    };
  });

  CLI::App* ls = token->add_subcommand("ls", "List the tokens (names, not the tokens)");
  ls->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      nlohmann::json tokens = TRY(client->psa_tokens());
      if (ctx.json) {
        print_json(tokens);
        return {};
      }
      for (const auto& t : tokens) {
        std::time_t created = static_cast<std::time_t>(t.value("created", int64_t{0}));
        char when[32];
        std::tm tm{};
        ::gmtime_r(&created, &tm);
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        std::printf("%s\t%s\n", t.value("name", std::string()).c_str(), when);
      }
      return {};
    };
  });
}

}  // namespace ipfskit::cli
