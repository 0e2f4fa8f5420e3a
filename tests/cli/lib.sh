# shellcheck shell=bash
# Helpers for command-line tests. Each test script sources this file.
set -u
FAILURES=0
CHECKS=0

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
pass() { CHECKS=$((CHECKS + 1)); }

# expect_eq NAME WANT GOT
expect_eq() {
  if [ "$2" = "$3" ]; then pass; else fail "$1: want '$2', got '$3'"; fi
}

finish() {
  echo "$CHECKS checks passed, $FAILURES failed"
  [ "$FAILURES" -eq 0 ]
}

# field EXPR: EXPR (Python, over the JSON document on stdin as j), printed.
field() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# wait_for SECONDS COMMAND...: until the command succeeds
wait_for() {
  local n=$(($1 * 10)); shift
  for _ in $(seq "$n"); do "$@" > /dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

new_tmp() {
  TMP=$(mktemp -d /tmp/ipfskit-cli-XXXXXX)
  trap 'rm -rf "$TMP"' EXIT
  export IPFS_KIT_PATH="$TMP/repo"
}

# damage_pack REPO FILE: zeroes one byte of FILE's content where the repository
# REPO stores it (500 bytes after the first 24 bytes of FILE, found in a pack);
# fails when those bytes are in no pack.
damage_pack() {
  local pattern p offset
  pattern=$(head -c 24 "$2" | od -An -tx1 | tr -d ' \n' | sed 's/../\\x&/g')
  for p in "$1"/blocks/pack-*.dat; do
    offset=$(LC_ALL=C grep -obUaP "$pattern" "$p" | head -1 | cut -d: -f1)
    if [ -n "$offset" ]; then
      printf '\x00' | dd of="$p" bs=1 seek=$((offset + 500)) conv=notrunc status=none
      return 0
    fi
  done
  return 1
}
