// Shell completion scripts generated from the command tree itself, so they
// cannot drift from the commands: every visible subcommand and option of the
// CLI11 app, at every level. `ipfs-kit completion bash|zsh` prints them;
// `cmake --install` runs it to install them.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace ipfskit::cli {

// A bash script defining _ipfs_kit and `complete -F _ipfs_kit ipfs-kit`:
// subcommands at each level, that level's options plus the global ones after
// "-", and file names where a command takes paths.
std::string bash_completion(const CLI::App& app);

// A zsh #compdef script with the same table, subcommands and options described.
std::string zsh_completion(const CLI::App& app);

}  // namespace ipfskit::cli
