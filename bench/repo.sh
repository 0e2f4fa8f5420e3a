#!/usr/bin/env bash
# Issue 3's repository targets, each measured against its reference in the same run:
#   add of a 1 GiB file, durable on return   <= 1.5 x  `cp FILE DST && sync`
#   add -r of 20,000 files of 1 KiB          <= 0.2 x  the JS reference importer (blocks in memory)
#   cat of that 1 GiB file                   <= 1.0 x  `openssl dgst -sha256 FILE`
#   pin ls --limit 100 on 1,000,000 pins     <  50 ms
#   pin add of 100,000 CIDs from stdin       <  10 s
# Usage: bench/repo.sh [BUILD_DIR]   (RUNS=7 by default; BENCH_DIR for the data, default /tmp/ipfskit-bench)
# TIMES_<label> and RSS_<label> are set by measure() (lib.sh) through eval.
# shellcheck disable=SC2154
cd "$(dirname "$0")" || exit 1
. ./lib.sh
BUILD=$(realpath "${1:-../build}")
K=$BUILD/ipfs-kit
T=$BUILD/ipfskit-testdata
RUNS=${RUNS:-7}
DATA=${BENCH_DIR:-/tmp/ipfskit-bench}
mkdir -p "$DATA"
FILE=$DATA/1gib.bin
[ -s "$FILE" ] && [ "$(stat -c %s "$FILE")" = 1073741824 ] || "$T" bytes bench-1gib 1073741824 > "$FILE"
[ -d "$DATA/small/tree" ] || { mkdir -p "$DATA/small" && "$T" small-files "$DATA/small/tree" 20000 1024; }
warm "$FILE"
find "$DATA/small/tree" -type f -exec cat {} + > /dev/null
REPO=$DATA/repo-bench
export IPFS_KIT_PATH=$REPO

echo "== durable add of 1 GiB vs cp + sync (interleaved, $RUNS runs each) =="
add_times="" cp_times=""
for _ in $(seq "$RUNS"); do
  rm -rf "$REPO" "$DATA/cp-copy"; sync
  /usr/bin/time -f "%e" -o /tmp/ipfskit-bench-t.$$ sh -c "cp '$FILE' '$DATA/cp-copy' && sync"
  cp_times="$cp_times $(cat /tmp/ipfskit-bench-t.$$)"
  rm -f "$DATA/cp-copy"; sync
  /usr/bin/time -f "%e" -o /tmp/ipfskit-bench-t.$$ "$K" add -Q "$FILE" > /dev/null
  add_times="$add_times $(cat /tmp/ipfskit-bench-t.$$)"
done
t_add=$(median "$add_times")
t_cp=$(median "$cp_times")
printf '  %-28s %8s s   runs:%s\n' "cp FILE DST && sync" "$t_cp" "$cp_times"
printf '  %-28s %8s s   runs:%s\n' "ipfs-kit add (durable)" "$t_add" "$add_times"
ROOT=$("$K" add -Q -n "$FILE")

echo "== cat of the 1 GiB file vs openssl dgst -sha256 =="
measure openssl "$RUNS" openssl dgst -sha256 "$FILE"
measure cat "$RUNS" "$K" cat "$ROOT"
t_openssl=$(median "$TIMES_openssl")
t_cat=$(median "$TIMES_cat")
printf '  %-28s %8s s   runs:%s\n' "openssl dgst -sha256" "$t_openssl" "$TIMES_openssl"
printf '  %-28s %8s s   runs:%s\n' "ipfs-kit cat" "$t_cat" "$TIMES_cat"
"$K" cat "$ROOT" | cmp - "$FILE" || { echo "FAIL: cat does not give back the file"; exit 1; }

echo "== add -r of 20,000 files of 1 KiB vs the JS reference importer =="
ours=$("$K" add -r -Q -n "$DATA/small/tree")
ref=$(node ref-add-tree.mjs "$DATA/small/tree")
echo "  CIDs: ipfs-kit $ours, JS reference $ref"
[ "$ours" = "$ref" ] || { echo "FAIL: the CIDs differ"; exit 1; }
tree_times=""
for _ in $(seq "$RUNS"); do
  rm -rf "$REPO"; sync
  /usr/bin/time -f "%e" -o /tmp/ipfskit-bench-t.$$ "$K" add -r -Q "$DATA/small/tree" > /dev/null
  tree_times="$tree_times $(cat /tmp/ipfskit-bench-t.$$)"
done
measure js 5 node ref-add-tree.mjs "$DATA/small/tree"
t_tree=$(median "$tree_times")
t_js=$(median "$TIMES_js")
printf '  %-28s %8s s   runs:%s\n' "ipfs-kit add -r (durable)" "$t_tree" "$tree_times"
printf '  %-28s %8s s   runs:%s\n' "JS reference (in memory)" "$t_js" "$TIMES_js"

echo "== pin index: 1,000,000 pins =="
PINS=$DATA/pins
mkdir -p "$PINS"
[ -s "$PINS/m.car" ] || "$T" car-many "$PINS/m.car" "$PINS/m.txt" 1000000
export IPFS_KIT_PATH=$PINS/repo
if [ "$("$K" repo stat --json 2>/dev/null | sed 's/.*"Pins":\([0-9]*\).*/\1/')" != 1000000 ]; then
  rm -rf "$PINS/repo"
  "$K" dag import --pin-roots=false "$PINS/m.car" > /dev/null
  head -n 100000 "$PINS/m.txt" > "$PINS/first.txt"
  tail -n +100001 "$PINS/m.txt" > "$PINS/rest.txt"
  /usr/bin/time -f "%e" -o "$PINS/pin-add-100k.time" sh -c "'$K' pin add < '$PINS/first.txt' > /dev/null"
  "$K" pin add < "$PINS/rest.txt" > /dev/null
fi
t_pin_add=$(cat "$PINS/pin-add-100k.time")
measure pinls 7 "$K" pin ls --limit 100
t_pinls=$(median "$TIMES_pinls")
printf '  %-28s %8s s\n' "pin add of 100,000 CIDs" "$t_pin_add"
printf '  %-28s %8s s   runs:%s\n' "pin ls --limit 100" "$t_pinls" "$TIMES_pinls"
[ "$("$K" pin ls --limit 100 | wc -l)" = 100 ] || { echo "FAIL: pin ls --limit 100 did not list 100 pins"; exit 1; }

echo
echo "Targets"
check "durable add 1 GiB / (cp + sync)" "$(ratio "$t_add" "$t_cp")" "<=" 1.5
check "add -r 20k x 1 KiB / JS reference importer" "$(ratio "$t_tree" "$t_js")" "<=" 0.2
check "cat 1 GiB / openssl dgst -sha256" "$(ratio "$t_cat" "$t_openssl")" "<=" 1.0
check "pin ls --limit 100 on 1M pins (ms)" "$(awk -v t="$t_pinls" 'BEGIN { printf "%.1f", t * 1000 }')" "<" 50
check "pin add of 100,000 CIDs (s)" "$t_pin_add" "<" 10
rm -rf "$REPO"
[ "$BENCH_FAILURES" -eq 0 ]
