// ipfs-kit mcp stdio | serve: the MCP server alone (the seeds' mcp-only
// mode). `stdio` is what desktop MCP clients spawn: stdout carries only
// protocol messages, logs go to stderr. `serve` listens on mcp.address
// (Streamable HTTP at /mcp, the seeds' /api REST). Both use api::open(): with
// a daemon running, writes and operations go through it; without one, the
// repository directly. The daemon serves the same on daemon.mcp_address.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "api/open.h"
#include "cli/app.h"
#include "mcp/listener.h"
#include "mcp/options.h"
#include "mcp/stdio.h"

namespace ipfskit::cli {

namespace {

Result<mcp::ServerOptions> server_options(Context& ctx) {
  const Config* cfg = TRY(ctx.config());
  return mcp::server_options_from(*cfg);
}

}  // namespace

void register_mcp(CLI::App& app, Context& ctx, Action& action) {
  CLI::App* mcp = app.add_subcommand("mcp", "The MCP server for AI agents (stdio, or Streamable HTTP alone)");
  mcp->require_subcommand(1);

  CLI::App* stdio = mcp->add_subcommand("stdio", "Speak MCP on stdin/stdout (what desktop MCP clients spawn)");
  stdio->callback([&ctx, &action] {
    action = [&ctx]() -> Status {
      api::Client* client = TRY(ctx.client());
      mcp::Server server(*client, TRY(server_options(ctx)));
      ::signal(SIGPIPE, SIG_IGN);
      const int status = mcp::serve_stdio(server, STDIN_FILENO, STDOUT_FILENO);
      if (status != 0) return make_error(Code::kIOError, "stdio transport failed");
      return {};
    };
  });

  auto address = std::make_shared<std::string>();
  CLI::App* serve = mcp->add_subcommand("serve", "Serve MCP over Streamable HTTP (http://127.0.0.1:8888/mcp)");
  serve->add_option("--address", *address, "host:port to listen on (default: mcp.address)");
  serve->callback([&ctx, &action, address] {
    action = [&ctx, address]() -> Status {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGTERM);
      sigaddset(&set, SIGINT);
      ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
      ::signal(SIGPIPE, SIG_IGN);
      const Config* cfg = TRY(ctx.config());
      api::Client* client = TRY(ctx.client());
      mcp::Server server(*client, TRY(server_options(ctx)));
      mcp::ListenerOptions lo;
      lo.address = !address->empty() ? *address : cfg->get("mcp.address")->get<std::string>();
      const auto token = cfg->get("daemon.api_token");
      const std::string token_text = token && token->is_string() ? token->get<std::string>() : "";
      lo.token = [token_text] { return token_text; };
      lo.allowed_hosts = mcp::allowed_hosts_from(*cfg);
      mcp::Listener listener(server, lo);
      TRY_STATUS(listener.listen());
      listener.start();
      std::printf("MCP server listening on http://%s/mcp (REST at /api/health, /api/pins)\n", listener.address().c_str());
      std::fflush(stdout);
      int sig = 0;
      ::sigwait(&set, &sig);
      server.shutdown();
      listener.stop();
      return {};
    };
  });
}

}  // namespace ipfskit::cli
