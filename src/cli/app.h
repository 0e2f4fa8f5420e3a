// The `ipfs-kit` command line: global options, the command table and the
// mapping from errors to exit statuses. Commands are thin: they parse their
// flags, call the library, and format the result.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/client.h"
#include "base/error.h"
#include "cli/batch.h"
#include "config/config.h"
#include "daemon/lifecycle.h"

namespace ipfskit::cli {

// State shared by commands: global options and lazily opened resources.
class Context {
 public:
  std::string repo_flag;    // --repo
  std::string config_flag;  // --config
  bool json = false;        // --json / --enc=json
  bool debug = false;       // --debug
  size_t workers = 0;       // --workers (0: one per CPU)

  // The repository directory: --repo, else $IPFS_KIT_PATH, else ~/.ipfs-kit.
  std::string repo_path() const;
  std::string config_path() const;

  // The configuration (defaults when the file does not exist yet).
  Result<const Config*> config();

  // The client API for this repository (api::open: through the daemon when
  // one runs, the repository directly otherwise), opened on first use.
  // Commands call only this; they never ask where the work happens.
  Result<api::Client*> client();

 private:
  std::optional<Config> config_;
  std::unique_ptr<api::Client> client_;
};

// What a command does once its flags are parsed.
using Action = std::function<Status()>;

// Each command module adds its subcommands to `app`; the chosen one stores
// its action in `action`.
void register_add(CLI::App& app, Context& ctx, Action& action);
void register_cid(CLI::App& app, Context& ctx, Action& action);
void register_content(CLI::App& app, Context& ctx, Action& action);  // cat, get, ls, refs
void register_node(CLI::App& app, Context& ctx, Action& action);     // init, id
void register_block(CLI::App& app, Context& ctx, Action& action);
void register_dag(CLI::App& app, Context& ctx, Action& action);
void register_pin(CLI::App& app, Context& ctx, Action& action);
void register_repo(CLI::App& app, Context& ctx, Action& action);
void register_config(CLI::App& app, Context& ctx, Action& action);
void register_daemon(CLI::App& app, Context& ctx, Action& action);   // daemon start|stop|restart|status
void register_ops(CLI::App& app, Context& ctx, Action& action);      // metrics
void register_psa(CLI::App& app, Context& ctx, Action& action);      // psa token
void register_mcp(CLI::App& app, Context& ctx, Action& action);      // mcp stdio|serve
void register_diag(CLI::App& app, Context& ctx, Action& action);     // diag healthy
// The hidden `completion bash|zsh`; `app` is the root command, walked when it runs.
void register_completion(CLI::App& app, Action& action);
void register_files(CLI::App& app, Context& ctx, Action& action);    // files (MFS)
void register_vfs(CLI::App& app, Context& ctx, Action& action);      // vfs mount|list|unmount (FUSE)
void register_backend(CLI::App& app, Context& ctx, Action& action);  // backend, health, log
void register_restore(CLI::App& app, Context& ctx, Action& action);  // backend restore (after register_backend)
void register_replication(CLI::App& app, Context& ctx, Action& action);  // replication, route

// Parses "key=value" into the pair; InvalidArgument otherwise.
Result<std::pair<std::string, std::string>> parse_key_value(const std::string& kv);
// Splits the seeds' comma-separated batch spelling ("a,b,c").
std::vector<std::string> split_commas(const std::vector<std::string>& args);
// Reads whitespace-separated words from standard input (CIDs for pin add, ...).
std::vector<std::string> read_stdin_words();
// A CID argument: a CID, or a path ("CID/a/b", "/ipfs/...") resolved through the client.
Result<Cid> resolve_arg(api::Client& client, const std::string& arg);
// Prints a JSON value on one line.
void print_json(const nlohmann::json& j);

// Runs the command line and returns the process exit status.
int run(int argc, char** argv);

}  // namespace ipfskit::cli
