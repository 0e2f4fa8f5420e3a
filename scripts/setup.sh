#!/usr/bin/env bash
# Installs what building and testing ipfs-kit needs on Debian 12, using only
# Debian's packages (and npm for the interop test tooling, see tests/interop;
# Chromium runs the dashboard's browser tests).
# Safe to run repeatedly: it only calls apt when something is missing.
#   scripts/setup.sh               everything ./scripts/test.sh needs
#   scripts/setup.sh --build-only  what building the binary and its .deb needs (the Dockerfile's build stage)
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config file
  libssl-dev libboost-dev libboost-system-dev nlohmann-json3-dev libexpected-dev libcli11-dev libspdlog-dev
  libsqlite3-dev libcurl4-openssl-dev libsystemd-dev libfuse3-dev libexpat1-dev
  help2man
  gzip  # compresses the dashboard's files into the binary
)
TEST_PACKAGES=(
  ccache clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  time curl ca-certificates python3 prometheus
  awscli  # the S3 reference client (tests/interop/backends.test.mjs, bench/backends.sh)
  # operations checks: units, packaging, completions, man page, containers, compose and manifests
  systemd man-db zsh shellcheck yamllint docker-compose util-linux
  # `script` (a terminal for tests/cli/sync_progress.sh's progress bar; essential, listed for clarity)
  bsdutils
  # the FUSE mount's tests: fusermount3, getfattr, rsync
  fuse3 attr rsync
  # the dashboard's browser tests
  chromium
)
PACKAGES=("${BUILD_PACKAGES[@]}")
if [ "${1:-}" != "--build-only" ]; then
  PACKAGES+=("${TEST_PACKAGES[@]}")
  command -v node > /dev/null || PACKAGES+=(nodejs)
  command -v npm > /dev/null || PACKAGES+=(npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
