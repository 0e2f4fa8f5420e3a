#!/usr/bin/env bash
# Builds ipfs-kit and runs every test:
#   1. unit, command-line and operations tests (ctest) on the Release build
#      (operations: install/.deb, systemd notify, containers, monitoring, lint);
#   2. interop tests against the JS reference implementations (npm ci in tests/interop);
#   3. the same unit and command-line tests under AddressSanitizer and UndefinedBehaviorSanitizer;
#   4. every fuzz target replays its corpus, then fuzzes briefly (FUZZ_SECONDS, default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=$(nproc)
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
step() { echo; echo "=== $* ==="; }

step "setup"
./scripts/setup.sh

step "release build"
# Prefix /usr: the install test builds and installs the .deb from this build.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DIPFSKIT_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr > /dev/null
cmake --build build

step "unit and command-line tests"
ctest --test-dir build --output-on-failure -j "$JOBS"

step "interop tests (JS reference implementations)"
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
# The pinning-service compliance suite lives apart: its kubo dependency's install script downloads a binary.
(cd tests/interop/psa-compliance && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
(cd tests/interop && IPFS_KIT="$ROOT/build/ipfs-kit" IPFS_KIT_TESTDATA="$ROOT/build/ipfskit-testdata" \
  node --test --test-concurrency=1)

step "sanitizer build (ASan + UBSan) and tests"
# One build for all the sanitizer tests; -O1 with line tables only: quick to build, fast enough to run,
# usable stack traces. No packaging (IPFSKIT_DIST=OFF); the operations checks that only read files or
# package the release build (label ops) ran above, except the notify protocol, which runs here too.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DIPFSKIT_SANITIZE=ON \
  -DIPFSKIT_DIST=OFF > /dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS" -E '^ops_(lint|containers|monitoring)$'

step "fuzz targets (clang, libFuzzer + ASan + UBSan)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" \
  -DIPFSKIT_FUZZ=ON > /dev/null
targets=()
for t in fuzz/corpus/*/; do targets+=("fuzz_$(basename "$t")"); done
cmake --build build-fuzz --target "${targets[@]}"
for target in fuzz/corpus/*/; do
  name=$(basename "$target")
  work=$(mktemp -d)
  echo "fuzz_$name: replaying $(find "$target" -maxdepth 1 -type f | wc -l) corpus inputs, then fuzzing ${FUZZ_SECONDS}s"
  ./build-fuzz/fuzz/fuzz_"$name" -runs=0 "$target" > "$work/replay.log" 2>&1 || { cat "$work/replay.log"; exit 1; }
  ./build-fuzz/fuzz/fuzz_"$name" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" "$work" "$target" > "$work/fuzz.log" 2>&1 || { tail -50 "$work/fuzz.log"; exit 1; }
  rm -rf "$work"
done

echo
echo "all tests passed"
