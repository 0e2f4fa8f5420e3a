// ipfs-kit config show|get|set: typed, validated configuration.
#include <sys/stat.h>

#include <cstdio>

#include "cli/app.h"

namespace ipfskit::cli {

void register_config(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* config = app.add_subcommand("config", "Show and change the configuration");
  config->require_subcommand(1);

  CLI::App* show = config->add_subcommand("show", "Print the whole configuration");
  show->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      std::printf("%s\n", TRY(client->config_show()).dump(2).c_str());
      return {};
    };
  });

  auto get_key = std::make_shared<std::string>();
  CLI::App* get = config->add_subcommand("get", "Print one key (or section)");
  get->add_option("key", *get_key, "dotted key, e.g. daemon.api_address")->required();
  get->callback([get_key, &ctx, &action] {
    action = [get_key, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      auto v = TRY(client->config_get(*get_key));
      std::printf("%s\n", v.is_string() && !ctx.json ? v.get<std::string>().c_str() : v.dump(2).c_str());
      return {};
    };
  });

  struct SetArgs {
    std::string key, value;
  };
  auto sa = std::make_shared<SetArgs>();
  CLI::App* set = config->add_subcommand("set", "Change one key; the file is left as it was when the value is bad");
  set->add_option("key", sa->key, "dotted key")->required();
  set->add_option("value", sa->value, "new value (JSON, or a bare string)")->required();
  set->callback([sa, &ctx, &action] {
    action = [sa, &ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      auto v = TRY(client->config_set(sa->key, sa->value));
      std::printf("%s = %s\n", sa->key.c_str(), v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return {};
    };
  });
}

}  // namespace ipfskit::cli
