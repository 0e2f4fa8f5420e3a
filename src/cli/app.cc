#include "cli/app.h"

#include "base/version.h"
#include "api/open.h"
#include "cli/output.h"

#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace ipfskit::cli {

std::string Context::repo_path() const {
  if (!repo_flag.empty()) return repo_flag;
  if (const char* env = std::getenv("IPFS_KIT_PATH"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.ipfs-kit";
}

std::string Context::config_path() const {
  if (!config_flag.empty()) return config_flag;
  return repo_path() + "/config.json";
}

Result<const Config*> Context::config() {
  if (!config_) config_ = TRY(Config::load_or_default(config_path()));
  return &*config_;
}

Result<api::Client*> Context::client() {
  if (!client_) client_ = TRY(api::open(api::OpenOptions{repo_path(), config_flag, workers}));
  return client_.get();
}

Result<Cid> resolve_arg(api::Client& client, const std::string& arg) {
  auto parsed = Cid::parse(arg);
  if (parsed) return parsed;
  return client.resolve(arg);
}

Result<std::pair<std::string, std::string>> parse_key_value(const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return invalid_argument("expected key=value, got \"" + kv + "\"");
  return std::make_pair(kv.substr(0, eq), kv.substr(eq + 1));
}

std::vector<std::string> split_commas(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    size_t start = 0;
    for (;;) {
      size_t comma = a.find(',', start);
      std::string part = a.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

std::vector<std::string> read_stdin_words() {
  std::vector<std::string> out;
  std::string w;
  while (std::cin >> w) out.push_back(w);
  return out;
}

void print_json(const nlohmann::json& j) { std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str()); }

int run(int argc, char** argv) {
  // A closed pipe (`ipfs-kit cat x | head`) must end the command quietly,
  // through write errors, not kill it mid-write.
  std::signal(SIGPIPE, SIG_IGN);

  Context ctx;
  Action action;
  CLI::App app{"ipfs-kit: IPFS infrastructure in one binary", "ipfs-kit"};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("ipfs-kit ") + kVersion);
  app.set_help_all_flag("--help-all", "Print the help of every command and exit (the man page is made from it)");
  app.add_option("--repo", ctx.repo_flag, "repository directory (default $IPFS_KIT_PATH or ~/.ipfs-kit)");
  app.add_option("--config", ctx.config_flag, "configuration file (default <repo>/config.json)");
  app.add_flag("--json", ctx.json, "machine-readable JSON output");
  std::string enc;
  app.add_option("--enc", enc, "output encoding: text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", ctx.debug, "verbose logging");
  app.add_option("--workers", ctx.workers, "worker threads (default: one per CPU)")->check(CLI::Range(1, 1024));
  std::string timeout;
  app.add_option("--timeout", timeout, "give up after this long (e.g. 30s, 5m, 1h30m); exit status 7");

  register_node(app, ctx, action);
  register_add(app, ctx, action);
  register_content(app, ctx, action);
  register_block(app, ctx, action);
  register_dag(app, ctx, action);
  register_pin(app, ctx, action);
  register_repo(app, ctx, action);
  register_config(app, ctx, action);
  register_cid(app, ctx, action);
  register_daemon(app, ctx, action);
  register_ops(app, ctx, action);
  register_psa(app, ctx, action);
  register_mcp(app, ctx, action);
  register_diag(app, ctx, action);
  register_files(app, ctx, action);
  register_vfs(app, ctx, action);
  register_backend(app, ctx, action);
  register_restore(app, ctx, action);
  register_replication(app, ctx, action);
  // The seeds' `ipfs add|get|cat|id` group: the same commands under `ipfs`.
  CLI::App* ipfs = app.add_subcommand("ipfs", "IPFS operations (the seeds' spelling of add, get, cat, id)");
  ipfs->require_subcommand(1);
  register_add(*ipfs, ctx, action);
  register_content(*ipfs, ctx, action);
  register_node(*ipfs, ctx, action);
  register_completion(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "Error: %s (see 'ipfs-kit --help')\n", e.what());
    return exit_status(Code::kInvalidArgument);
  }
  if (enc == "json") ctx.json = true;
  if (!action) return exit_status(Code::kInternal);
  if (!timeout.empty()) {
    auto limit = parse_duration(timeout);
    if (!limit) {
      std::fprintf(stderr, "Error: --timeout: %s\n", limit.error().message().c_str());
      return exit_status(Code::kInvalidArgument);
    }
    // --timeout bounds the whole command, whatever it waits on (a daemon, a
    // disk, a network): a watchdog ends the process. Stopping a write at any
    // moment is safe: the repository is crash-safe by design, and a daemon
    // discards an upload that stops short.
    std::thread([limit = *limit, timeout] {
      std::this_thread::sleep_for(limit);
      std::fprintf(stderr, "%sError: timed out after %s (--timeout)\n", stderr_is_terminal() ? "\r\033[2K" : "",
                   timeout.c_str());
      std::fflush(stderr);
      std::_Exit(exit_status(Code::kTimeout));
    }).detach();
  }

  Status st = action();
  std::fflush(stdout);
  if (!st) {
    std::fprintf(stderr, "Error: %s\n", st.error().message().c_str());
    return exit_status(st.error().code());
  }
  if (std::ferror(stdout)) {
    std::fprintf(stderr, "Error: writing output: %s\n", std::strerror(errno));
    return exit_status(Code::kIOError);
  }
  return 0;
}

}  // namespace ipfskit::cli
