#!/usr/bin/env bash
# The main job: build ipfs-kit, then add the given files (or this README) to
# the repository at $IPFS_KIT_PATH (default ~/.ipfs-kit) and print their CIDs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
if [ $# -eq 0 ]; then set -- README.md; fi
exec ./build/ipfs-kit add "$@"
