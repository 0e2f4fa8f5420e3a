// The `ipfs-kit` command line: global options, the command table and the
// mapping from errors to exit statuses. Commands are thin: they parse their
// flags, call the library, and format the result.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "blockstore/flat.h"
#include "config/config.h"

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

  // Opens the block store, creating the repository on first use.
  Result<BlockStore*> blocks();

 private:
  std::optional<Config> config_;
  std::unique_ptr<FlatBlockStore> blocks_;
};

// What a command does once its flags are parsed.
using Action = std::function<Status()>;

// Each command module adds its subcommands to `app`; the chosen one stores
// its action in `action`.
void register_add(CLI::App& app, Context& ctx, Action& action);
void register_cid(CLI::App& app, Context& ctx, Action& action);

// Runs the command line and returns the process exit status.
int run(int argc, char** argv);

}  // namespace ipfskit::cli
