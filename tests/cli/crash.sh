#!/usr/bin/env bash
# Crash safety: `ipfs-kit add` is killed with SIGKILL at random moments.
# Afterwards `repo verify` must pass, every add that reported success must read
# back byte for byte and stay pinned, and the next adds must work. Then a
# byte is flipped inside blocks/: `repo verify` must name the damaged block
# and `cat` must refuse to serve it.
# Usage: crash.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1

ROUNDS=${CRASH_ROUNDS:-25}
declare -A good   # CID -> file it came from
i=0
for round in $(seq "$ROUNDS"); do
  # Content that was acknowledged before this round.
  "$T" bytes "crash-$round" "$(( (RANDOM % 8 + 1) * 1048576 + RANDOM ))" > "in-$round.bin"
  if [ $((round % 3)) = 0 ]; then
    # Also a tree of small files, to hit directory and batch-write paths.
    mkdir -p "tree-$round" && "$T" tree "tree-$round" "crash-tree-$round" 60 300000
    target=(-r "tree-$round")
  else
    target=("in-$round.bin")
  fi
  "$K" add -Q "${target[@]}" > "out-$round.txt" 2> "err-$round.txt" &
  pid=$!
  # Kill at a random moment: before, during or after the write.
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
  status=$?
  if [ "$status" = 0 ] && [ -s "out-$round.txt" ] && [ $((round % 3)) != 0 ]; then
    good[$(cat "out-$round.txt")]=in-$round.bin
    i=$((i + 1))
  fi
  # A clean add after every crash must always succeed and be readable.
  "$T" bytes "after-$round" 300000 > "after-$round.bin"
  c=$("$K" add -Q "after-$round.bin") || fail "add after crash $round failed"
  good[$c]=after-$round.bin
done
echo "$ROUNDS kills, $i adds completed before their kill"

"$K" repo verify > verify.txt 2>&1 || fail "repo verify failed after crashes: $(cat verify.txt)"
pass
for c in "${!good[@]}"; do
  if "$K" cat "$c" | cmp -s - "${good[$c]}"; then pass; else fail "acknowledged content $c does not read back"; fi
  "$K" pin ls "$c" > /dev/null 2>&1 && pass || fail "acknowledged add $c is not pinned"
done
"$K" pin verify > /dev/null 2>&1 && pass || fail "pin verify failed after crashes"
"$K" repo gc -q > /dev/null && pass || fail "gc failed after crashes"
"$K" repo verify > /dev/null 2>&1 && pass || fail "repo verify failed after gc"
for c in "${!good[@]}"; do
  "$K" cat "$c" | cmp -s - "${good[$c]}" && pass || fail "pinned content $c lost in gc"
done

# A flipped bit in blocks/ is detected and never served.
victim=victim.bin
# Text without newlines, so that grep can find it inside the pack file.
yes "flip-victim-$RANDOM" | tr -d '\n' | head -c 3000000 > "$victim"
vc=$("$K" add -Q --raw-leaves --chunker=size-1048576 "$victim")
pattern=$(head -c 24 "$victim" | od -An -tx1 | tr -d ' \n' | sed 's/../\\x&/g')
pack="" offset=""
for p in "$IPFS_KIT_PATH"/blocks/pack-*.dat; do
  offset=$(LC_ALL=C grep -obUaP "$pattern" "$p" | head -1 | cut -d: -f1)
  if [ -n "$offset" ]; then pack=$p; break; fi
done
[ -n "$offset" ] || { fail "could not find the victim's bytes in any pack"; finish; exit; }
printf '\x00' | dd of="$pack" bs=1 seek=$((offset + 1000)) conv=notrunc status=none
if "$K" repo verify > verify.txt 2>&1; then
  fail "repo verify did not notice a flipped byte"
else
  grep -q "was corrupt" verify.txt && pass || fail "repo verify did not name the bad block: $(cat verify.txt)"
fi
if "$K" cat "$vc" > served.bin 2> cat-err.txt; then
  fail "cat served damaged content"
else
  grep -q "corrupt" cat-err.txt && pass || fail "cat error does not say corrupt: $(cat cat-err.txt)"
  [ ! -s served.bin ] || cmp -s served.bin <(head -c "$(stat -c %s served.bin)" "$victim") || fail "cat wrote damaged bytes"
  pass
fi
finish
