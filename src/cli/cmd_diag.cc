// ipfs-kit diag healthy: the container and service health check.
// ipfs-kit completion bash|zsh (hidden): completion scripts from the command tree.
#include <cstdio>

#include "api/open.h"
#include "cli/app.h"
#include "client/http_client.h"
#include "cli/completion.h"

namespace ipfskit::cli {

namespace {

// Kubo's container health check resolves this through the running node.
constexpr const char* kEmptyDirectory = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";

struct HealthReport {
  int pid = 0;
  std::string health;  // what /health said
};

// Healthy means: a daemon runs on this repository, its /health says its
// repository opens and answers, and its RPC resolves the empty directory.
// Each failure names the step that failed.
Result<HealthReport> check_healthy(Context& ctx, long timeout_ms) {
  api::OpenOptions o;
  o.repo_path = ctx.repo_path();
  o.config_flag = ctx.config_flag;
  auto endpoints = TRY(api::find_daemon(o));
  if (!endpoints) return make_error(Code::kUnavailable, "unhealthy: no daemon is running on " + ctx.repo_path());
  HealthReport report;

  // The daemon's own endpoints, with a bound on each request: a hung daemon
  // is unhealthy, not a hung health check.
  client::HttpClient api("http://" + endpoints->api, endpoints->token);
  api.set_timeout_ms(timeout_ms);
  auto health = api.get("/health");
  if (!health) return make_error(health.error().code(), "unhealthy: the management API does not answer: " + health.error().message());
  auto j = nlohmann::json::parse(health->body, nullptr, false);
  if (!j.is_discarded() && j.contains("status") && j["status"].is_string()) report.health = j["status"].get<std::string>();
  if (!j.is_discarded() && j.contains("pid") && j["pid"].is_number_integer()) report.pid = j["pid"].get<int>();
  if (health->status != 200 || report.health != "healthy")
    return make_error(Code::kUnavailable, "unhealthy: /health answered " + std::to_string(health->status) + " (" +
                                              (report.health.empty() ? "no status" : report.health) + ")");

  client::HttpClient rpc("http://" + endpoints->rpc, endpoints->token);
  rpc.set_timeout_ms(timeout_ms);
  auto stat = rpc.post(std::string("/api/v0/dag/stat?arg=") + kEmptyDirectory + "&progress=false");
  if (!stat) return make_error(stat.error().code(), "unhealthy: the RPC does not answer: " + stat.error().message());
  if (stat->status != 200)
    return make_error(Code::kUnavailable, std::string("unhealthy: the RPC cannot resolve ") + kEmptyDirectory + " (" +
                                              std::to_string(stat->status) + ": " + client::rpc_error(*stat).message() + ")");
  return report;
}

}  // namespace

void register_diag(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* diag = app.add_subcommand("diag", "Diagnostics of a running daemon");
  diag->require_subcommand(1);
  auto timeout = std::make_shared<int>(10);
  CLI::App* healthy = diag->add_subcommand(
      "healthy", "Exit 0 only when the daemon runs, its repository opens and the empty directory resolves");
  healthy->add_option("--timeout", *timeout, "seconds each request may take")->check(CLI::Range(1, 3600));
  healthy->callback([timeout, &ctx, &action] {
    action = [timeout, &ctx]() -> Status {
      HealthReport r = TRY(check_healthy(ctx, *timeout * 1000L));
      if (ctx.json) print_json({{"healthy", true}, {"pid", r.pid}, {"empty_directory", kEmptyDirectory}});
      else std::printf("healthy (daemon pid %d; %s resolves)\n", r.pid, kEmptyDirectory);
      return {};
    };
  });
}

void register_completion(CLI::App& app, Action& action) {
  CLI::App* completion = app.add_subcommand("completion", "Print a shell completion script (bash or zsh)");
  completion->group("");  // hidden: for packagers and `cmake --install`
  auto shell = std::make_shared<std::string>();
  completion->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  completion->callback([shell, &app, &action] {
    action = [shell, &app]() -> Status {
      const std::string script = *shell == "bash" ? bash_completion(app) : zsh_completion(app);
      std::fwrite(script.data(), 1, script.size(), stdout);
      return {};
    };
  });
}

}  // namespace ipfskit::cli
