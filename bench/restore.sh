#!/usr/bin/env bash
# Restore and reads that fall back, each measured beside its reference in the same run:
#   backend restore of a SIZE DAG from a filesystem backend into a fresh repository
#                                      <= 1.5 x `ipfs-kit dag import` of the same DAG's CAR into a
#                                         fresh repository (the same bytes, verified, written durably,
#                                         pinned: restore adds walking the DAG block by block)
#   cat of the DAG from an empty repository, every block fetched from the filesystem backend
#   (retrieval.cache false)           <= 2.0 x `ipfs-kit cat` of it from a repository that holds it
# Usage: bench/restore.sh [BUILD_DIR]
#   RUNS (default 3) runs per command; SIZE (default 268435456) bytes; BENCH_DIR for data.
cd "$(dirname "$0")" || exit 1
. ./lib.sh
BUILD=$(realpath "${1:-../build}")
K=$BUILD/ipfs-kit
T=$BUILD/ipfskit-testdata
RUNS=${RUNS:-3}
SIZE=${SIZE:-268435456}
DATA=${BENCH_DIR:-/tmp/ipfskit-bench}/restore
rm -rf "$DATA"; mkdir -p "$DATA"
MAIN=$DATA/main
export IPFS_KIT_PATH=$MAIN
trap '"$K" daemon stop > /dev/null 2>&1' EXIT
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
# fresh DIR: an empty repository at DIR that knows the backend
fresh() {
  rm -rf "$1"
  IPFS_KIT_PATH=$1 "$K" backend add disk --type filesystem "path=$DATA/flat" > /dev/null
}

for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
"$K" backend add disk --type filesystem "path=$DATA/flat" > /dev/null
"$T" bytes restore-bench "$SIZE" > "$DATA/input.bin"
cid=$("$K" add -Q --pin-name bench "$DATA/input.bin")
"$K" daemon start --detach > /dev/null || exit 1
"$K" backend push disk "$cid" --verify=false > /dev/null || { echo "backend push failed" >&2; exit 1; }
"$K" daemon stop > /dev/null
"$K" dag export "$cid" > "$DATA/dag.car"
blocks=$(find "$DATA/flat" -name '*.data' | wc -l)
warm "$DATA/dag.car"
find "$DATA/flat" -name '*.data' -exec cat {} + > /dev/null

RESTORE="" IMPORT="" FALLBACK="" LOCAL=""
for run in $(seq "$RUNS"); do
  # Alternate which goes first, so that neither always gets the warmer machine.
  order="restore import"
  [ $((run % 2)) = 0 ] && order="import restore"
  for what in $order; do
    fresh "$DATA/fresh"
    sync
    s=$(now)
    if [ "$what" = restore ]; then
      IPFS_KIT_PATH=$DATA/fresh "$K" backend restore disk > /dev/null || { echo "restore failed" >&2; exit 1; }
      RESTORE="$RESTORE $(secs "$s" "$(now)")"
    else
      IPFS_KIT_PATH=$DATA/fresh "$K" dag import "$DATA/dag.car" > /dev/null || { echo "dag import failed" >&2; exit 1; }
      IMPORT="$IMPORT $(secs "$s" "$(now)")"
    fi
  done
  IPFS_KIT_PATH=$DATA/fresh "$K" cat "$cid" | cmp -s - "$DATA/input.bin" || { echo "restored content differs" >&2; exit 1; }
done
fresh "$DATA/empty"
IPFS_KIT_PATH=$DATA/empty "$K" config set retrieval.cache false > /dev/null
for _ in $(seq "$RUNS"); do
  s=$(now)
  IPFS_KIT_PATH=$DATA/empty "$K" cat "$cid" > /dev/null || { echo "fallback cat failed" >&2; exit 1; }
  FALLBACK="$FALLBACK $(secs "$s" "$(now)")"
  s=$(now)
  "$K" cat "$cid" > /dev/null
  LOCAL="$LOCAL $(secs "$s" "$(now)")"
done

echo "== restore: $SIZE bytes, $blocks blocks, from a filesystem backend (median of $RUNS runs each) =="
echo "  ipfs-kit backend restore (s):      $RESTORE"
echo "  ipfs-kit dag import of its CAR (s): $IMPORT"
echo
echo "== cat with every block from the backend (retrieval.cache false) =="
echo "  cat from an empty repository (s):  $FALLBACK"
echo "  cat from the repository (s):       $LOCAL"
RESTORE_RATIO=$(ratio "$(median "$RESTORE")" "$(median "$IMPORT")")
FALLBACK_RATIO=$(ratio "$(median "$FALLBACK")" "$(median "$LOCAL")")
echo
echo "== targets =="
check "backend restore / dag import (time)" "$RESTORE_RATIO" "<=" 1.5
check "cat through the fallback / local cat (time)" "$FALLBACK_RATIO" "<=" 2.0
rm -rf "$DATA"
[ "$BENCH_FAILURES" -eq 0 ]
