#!/usr/bin/env bash
# Builds ipfs-kit (Release) into build/ and leaves the binary at build/ipfs-kit.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DIPFSKIT_WERROR=ON "$@" > /dev/null
cmake --build build
