#!/usr/bin/env bash
# Issue 2's speed targets for `ipfs-kit add -Q -n` on a 1 GiB file:
#   time  <= 0.75 x `openssl dgst -sha256` on the same file (parallel hashing beats one core)
#   time  <= 0.25 x the JS reference importer on the same file
#   peak RSS < 64 MiB
# Usage: bench/add_hashing.sh [BUILD_DIR]   (RUNS=5 by default)
# TIMES_<label> and RSS_<label> are set by measure() (lib.sh) through eval.
# shellcheck disable=SC2154
cd "$(dirname "$0")" || exit 1
. ./lib.sh
BUILD=$(realpath "${1:-../build}")
K=$BUILD/ipfs-kit
RUNS=${RUNS:-5}
DATA=${BENCH_DIR:-/tmp/ipfskit-bench}
mkdir -p "$DATA"
FILE=$DATA/1gib.bin
[ -s "$FILE" ] && [ "$(stat -c %s "$FILE")" = 1073741824 ] || "$BUILD/ipfskit-testdata" bytes bench-1gib 1073741824 > "$FILE"
warm "$FILE"
export IPFS_KIT_PATH=$DATA/repo

ours=$("$K" add -Q -n "$FILE")
ref=$(node ref-add.mjs "$FILE")
echo "CIDs: ipfs-kit $ours, JS reference $ref"
[ "$ours" = "$ref" ] || { echo "FAIL: the CIDs differ"; exit 1; }

measure openssl "$RUNS" openssl dgst -sha256 "$FILE"
measure ours "$RUNS" "$K" add -Q -n "$FILE"
measure js 3 node ref-add.mjs "$FILE"

t_openssl=$(median "$TIMES_openssl")
t_ours=$(median "$TIMES_ours")
t_js=$(median "$TIMES_js")
rss_ours=$(max_of "$RSS_ours")
echo
echo "1 GiB file, median of $RUNS runs (JS: 3), $(nproc) CPUs"
printf '  %-36s %8s s   runs:%s\n' "openssl dgst -sha256" "$t_openssl" "$TIMES_openssl"
printf '  %-36s %8s s   runs:%s\n' "ipfs-kit add -Q -n" "$t_ours" "$TIMES_ours"
printf '  %-36s %8s s   runs:%s\n' "JS reference importer" "$t_js" "$TIMES_js"
echo
check "add -n time / openssl dgst time" "$(ratio "$t_ours" "$t_openssl")" "<=" 0.75
check "add -n time / JS reference importer time" "$(ratio "$t_ours" "$t_js")" "<=" 0.25
check "add -n peak RSS (MiB)" "$(awk -v k="$rss_ours" 'BEGIN { printf "%.1f", k / 1024 }')" "<" 64
[ "$BENCH_FAILURES" -eq 0 ]
