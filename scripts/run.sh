#!/usr/bin/env bash
# The main job: build ipfs-kit, start its daemon on the repository at
# $IPFS_KIT_PATH (default ~/.ipfs-kit) and print where to reach it: the
# management API, the Kubo RPC, the gateway and MCP. Runs in the foreground (Ctrl-C
# stops it gracefully); with --detach it returns once the daemon listens.
# Any other arguments go to `ipfs-kit daemon start`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
exec ./build/ipfs-kit daemon start "$@"
