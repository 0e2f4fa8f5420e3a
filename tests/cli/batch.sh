#!/usr/bin/env bash
# The seeds' batch options, the same on every multi-target command, with and
# without a daemon (the one client API under both): comma-separated lists,
# --parallel, --progress, a failing item reported without stopping the
# others (a summary and the first failure's exit status), and the global
# --timeout (its own exit status, 7).
# Usage: batch.sh IPFS_KIT
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
new_tmp
cd "$TMP" || exit 1
trap '"$K" daemon stop > /dev/null 2>&1; rm -rf "$TMP"' EXIT
for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
missing=QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nx

batches() {  # batches LABEL: every check, on whatever the repository is served by now
  local mode=$1
  local a b c
  a=$(echo "a-$mode" | "$K" add -Q --pin=false)
  b=$(echo "b-$mode" | "$K" add -Q --pin=false)
  c=$(echo "c-$mode" | "$K" add -Q --pin=false)

  # pin add a,missing,b: a and b pinned, the missing one reported, exit 3 (not found)
  "$K" pin add "$a,$missing,$b" > out.txt 2> err.txt; code=$?
  expect_eq "$mode: pin add with a missing item exits 3" 3 $code
  grep -q "^pinned $a recursively$" out.txt && grep -q "^pinned $b recursively$" out.txt && pass \
    || fail "$mode: the good items were pinned: $(cat out.txt)"
  grep -q "^Error: .*$missing" err.txt && pass || fail "$mode: the failing item is named: $(cat err.txt)"
  grep -q "^Error: 1 of 3 pins failed" err.txt && pass || fail "$mode: a summary: $(cat err.txt)"
  expect_eq "$mode: both pins recorded" 2 "$("$K" pin ls --type=recursive | grep -c -e "$a" -e "$b")"

  # A batch of one fails as the single command always did: one line.
  "$K" pin add "$missing" > out.txt 2> err.txt; code=$?
  expect_eq "$mode: a batch of one exits 3" 3 $code
  expect_eq "$mode: a batch of one prints one line" 1 "$(wc -l < err.txt)"

  # Items from standard input, --parallel and --progress.
  printf '%s\n%s\n' "$c" "$a" | "$K" pin add --parallel --progress --name batch > out.txt 2> err.txt \
    && pass || fail "$mode: pin add --parallel from stdin: $(cat err.txt)"
  expect_eq "$mode: --parallel pinned both" 2 "$(grep -c '^pinned ' out.txt)"
  grep -q "2/2 pins" err.txt && pass || fail "$mode: --progress shows done/total: $(cat err.txt)"
  expect_eq "$mode: named batch" 2 "$("$K" pin ls --name batch | grep -c -e "$a" -e "$c")"

  # pin rm a,missing: a unpinned, the other reported.
  "$K" pin rm "$a,$missing" > out.txt 2> err.txt; code=$?
  expect_eq "$mode: pin rm with an unpinned item exits 3" 3 $code
  grep -q "^unpinned $a$" out.txt && pass || fail "$mode: pin rm removed the good item: $(cat out.txt)"
  grep -q "1 of 2 pins failed" err.txt && pass || fail "$mode: pin rm summary: $(cat err.txt)"

  # block rm x,bad-cid,y: both removed, the malformed one reported (exit 2).
  local x y
  x=$(printf 'x-%s' "$mode" | "$K" block put)
  y=$(printf 'y-%s' "$mode" | "$K" block put)
  "$K" block rm "$x,not-a-cid,$y" > out.txt 2> err.txt; code=$?
  expect_eq "$mode: block rm with a malformed CID exits 2" 2 $code
  expect_eq "$mode: block rm removed the others" 2 "$(grep -c '^removed ' out.txt)"
  "$K" block stat "$x" > /dev/null 2>&1 && fail "$mode: $x still stored" || pass

  # add --parallel f1,f2,f3: three adds side by side, each pinned.
  for f in f1 f2 f3; do echo "$f-$mode" > "$f"; done
  "$K" add --parallel -q f1,f2,f3 > out.txt 2> err.txt && pass || fail "$mode: add --parallel: $(cat err.txt)"
  expect_eq "$mode: add --parallel added three" 3 "$(wc -l < out.txt)"
  while read -r cid; do "$K" pin ls "$cid" < /dev/null > /dev/null 2>&1 && pass || fail "$mode: $cid not pinned"; done < out.txt
  # A missing input is refused before anything is added.
  "$K" add --parallel f1,nothing-here > out.txt 2> err.txt; code=$?
  expect_eq "$mode: add --parallel with a missing path exits 3" 3 $code
  [ -s out.txt ] && fail "$mode: added something before refusing: $(cat out.txt)" || pass

  # dag import good.car bad.car: the good one imported, the bad one reported.
  "$K" dag export "$c" > good.car
  printf 'not a car' > bad.car
  "$K" dag import good.car bad.car > out.txt 2> err.txt; code=$?
  [ $code -ne 0 ] && pass || fail "$mode: dag import with a bad CAR exits non-zero"
  grep -q "Pinned root	$c	success" out.txt && pass || fail "$mode: the good CAR was imported: $(cat out.txt)"
  grep -q "1 of 2 CAR files failed" err.txt && pass || fail "$mode: dag import summary: $(cat err.txt)"
}

batches local
"$K" daemon start --detach > /dev/null || fail "daemon start"
batches daemon
"$K" daemon stop > /dev/null

# --timeout bounds any command; running out is exit 7 with a clear message.
start=$(date +%s%3N)
"$K" --timeout 500ms pin add < <(sleep 30) > out.txt 2> err.txt; code=$?
elapsed=$(( $(date +%s%3N) - start ))
expect_eq "--timeout exits 7" 7 $code
grep -q "^Error: timed out after 500ms (--timeout)$" err.txt && pass || fail "--timeout message: $(cat err.txt)"
[ "$elapsed" -lt 5000 ] && pass || fail "--timeout took ${elapsed} ms"
"$K" --timeout 1m repo stat > /dev/null && pass || fail "a command within its --timeout succeeds"
"$K" --timeout soon repo stat > out.txt 2> err.txt; code=$?
expect_eq "a malformed --timeout exits 2" 2 $code
grep -q "^Error: --timeout: invalid duration" err.txt && pass || fail "malformed --timeout message: $(cat err.txt)"
finish
