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

new_tmp() {
  TMP=$(mktemp -d /tmp/ipfskit-cli-XXXXXX)
  trap 'rm -rf "$TMP"' EXIT
  export IPFS_KIT_PATH="$TMP/repo"
}
