// The version of ipfs-kit, as the CLI, the RPC and the API report it.
#pragma once

namespace ipfskit {

inline constexpr const char* kVersion = "0.1.0";
inline constexpr const char* kAgentVersion = "ipfs-kit/0.1.0";

}  // namespace ipfskit
