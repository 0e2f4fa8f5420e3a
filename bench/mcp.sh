#!/usr/bin/env bash
# Issue 9's MCP targets, with the reference measured in the same run:
#   tools/call pin_ls (limit 100) over Streamable HTTP on 1,000,000 pins   median < 20 ms
#     (reference: the same page through `ipfs-kit pin ls --limit 100`, a process per call);
#     the same call for a page in the middle and at the end of the list (keyset cursors)
#   `mcp stdio` answers initialize, from process start                     < 50 ms
#     (reference: /bin/cat, which answers the same line as soon as it runs, measured the same way)
# The 1,000,000 pins: a generated CAR of 1,000,000 raw blocks, imported without pins, then every CID pinned
# with `pin add` from standard input.
# Usage: bench/mcp.sh [BUILD_DIR]   (RUNS=21 by default; BENCH_DIR for the data, default /tmp/ipfskit-bench)
cd "$(dirname "$0")" || exit 1
. ./lib.sh
BUILD=$(realpath "${1:-../build}")
K=$BUILD/ipfs-kit
T=$BUILD/ipfskit-testdata
RUNS=${RUNS:-21}
DATA=${BENCH_DIR:-/tmp/ipfskit-bench}
BENCH_FAILURES=0

"$K" mcp --help > /dev/null 2>&1 || { echo "FAIL: $K has no mcp command"; exit 1; }

echo "== 1,000,000 pins =="
PINS=$DATA/pins
mkdir -p "$PINS"
[ -s "$PINS/m.car" ] || "$T" car-many "$PINS/m.car" "$PINS/m.txt" 1000000
export IPFS_KIT_PATH=$PINS/repo
if [ "$("$K" repo stat --json 2> /dev/null | sed 's/.*"Pins":\([0-9]*\).*/\1/')" != 1000000 ]; then
  rm -rf "$PINS/repo"
  start=$(date +%s.%N)
  "$K" dag import --pin-roots=false "$PINS/m.car" > /dev/null || { echo "FAIL: dag import"; exit 1; }
  "$K" pin add < "$PINS/m.txt" > /dev/null || { echo "FAIL: pin add"; exit 1; }
  echo "  built in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
fi
"$K" repo stat

echo "== tools/call pin_ls over HTTP (mcp serve) =="
"$K" mcp serve --address 127.0.0.1:0 > "$PINS/mcp.out" 2> "$PINS/mcp.err" &
SERVER=$!
trap 'kill "$SERVER" 2> /dev/null' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$PINS/mcp.out" 2> /dev/null && break; sleep 0.05; done
URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$PINS/mcp.out")
[ -n "$URL" ] || { echo "FAIL: mcp serve did not start"; cat "$PINS/mcp.err"; exit 1; }
H=(-H 'content-type: application/json' -H 'accept: application/json, text/event-stream')
SID=$(curl -sS -D - -o /dev/null "${H[@]}" "$URL" \
  -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
  tr -d '\r' | sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii]d: //p')
curl -sS -o /dev/null "${H[@]}" -H "mcp-session-id: $SID" "$URL" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
# call ARGUMENTS: the tools/call request of pin_ls with these arguments.
call() { printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pin_ls","arguments":%s}}' "$1"; }
# timed LABEL ARGUMENTS: RUNS calls, their times (seconds) in TIMES_<LABEL>, after checking one answer.
timed() {
  local label=$1 request times="" t n
  request=$(call "$2")
  n=$(curl -sS "${H[@]}" -H "mcp-session-id: $SID" "$URL" -d "$request" | grep -o '"cid"' | wc -l)
  [ "$n" -ge 100 ] || { echo "FAIL: pin_ls $2 returned $n pins"; exit 1; }
  for _ in $(seq "$RUNS"); do
    t=$(curl -sS -o /dev/null -w '%{time_total}' "${H[@]}" -H "mcp-session-id: $SID" "$URL" -d "$request")
    times="$times $t"
  done
  printf -v "TIMES_$label" '%s' "$times"
}
# The cursor of a page is opaque to clients; the benchmark knows its form
# (base64url of "pin_ls:k<last row id>", src/mcp/tools.cc) to start deep
# without walking there, and checks it against a real one first.
first_cursor=$(curl -sS "${H[@]}" -H "mcp-session-id: $SID" "$URL" -d "$(call '{"limit":100}')" |
  sed -n 's/.*"nextCursor":"\([^"]*\)".*/\1/p')
cursor_at() { printf 'pin_ls:k%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
[ "$first_cursor" = "$(cursor_at 100)" ] || { echo "FAIL: unexpected cursor form $first_cursor"; exit 1; }
timed first '{"limit":100}'
timed middle "{\"limit\":100,\"cursor\":\"$(cursor_at 500000)\"}"
timed last "{\"limit\":100,\"cursor\":\"$(cursor_at 999899)\"}"
measure cli "$RUNS" "$K" pin ls --limit 100
# shellcheck disable=SC2154 # TIMES_* are set by timed and measure
{
  read -ra first <<< "$TIMES_first"
  read -ra middle <<< "$TIMES_middle"
  read -ra last <<< "$TIMES_last"
  read -ra cli <<< "$TIMES_cli"
}
t_first=$(median "${first[@]}")
t_middle=$(median "${middle[@]}")
t_last=$(median "${last[@]}")
t_cli=$(median "${cli[@]}")
printf '  %-44s %8s s   runs: %s\n' "MCP pin_ls, first page (HTTP)" "$t_first" "${first[*]}"
printf '  %-44s %8s s\n' "MCP pin_ls, page at pin 500,000" "$t_middle"
printf '  %-44s %8s s\n' "MCP pin_ls, last page" "$t_last"
printf '  %-44s %8s s\n' "reference: ipfs-kit pin ls --limit 100" "$t_cli"
echo "  ratio MCP first page / CLI: $(ratio "$t_first" "$t_cli"); last page / first page: $(ratio "$t_last" "$t_first")"
kill "$SERVER"
wait "$SERVER" 2> /dev/null
trap - EXIT

echo "== mcp stdio: initialize answered after process start =="
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
# spawn_until_line COMMAND...: seconds from spawning the command (initialize on its stdin) to its first line.
spawn_until_line() {
  python3 - "$INIT" "$@" << 'PY'
import subprocess, sys, time
start = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write((sys.argv[1] + "\n").encode()); p.stdin.flush()
line = p.stdout.readline()
elapsed = time.monotonic() - start
p.stdin.close(); p.wait()
want = b'"method":"initialize"' if sys.argv[2] == "/bin/cat" else b'"protocolVersion"'
assert want in line, line
print(f"{elapsed:.4f}")
PY
}
stdio=()
cat_ref=()
for _ in $(seq "$RUNS"); do
  stdio+=("$(spawn_until_line "$K" mcp stdio)")
  cat_ref+=("$(spawn_until_line /bin/cat)")
done
t_stdio=$(median "${stdio[@]}")
printf '  %-44s %8s s   runs: %s\n' "mcp stdio initialize (1M-pin repository)" "$t_stdio" "${stdio[*]}"
printf '  %-44s %8s s\n' "reference: /bin/cat echoing the line" "$(median "${cat_ref[@]}")"

echo "== verdicts =="
ms() { awk -v t="$1" 'BEGIN { printf "%.1f", t * 1000 }'; }
check "MCP tools/call pin_ls on 1M pins, first page, median (ms)" "$(ms "$t_first")" "<" 20
check "MCP tools/call pin_ls on 1M pins, middle page, median (ms)" "$(ms "$t_middle")" "<" 20
check "MCP tools/call pin_ls on 1M pins, last page, median (ms)" "$(ms "$t_last")" "<" 20
check "mcp stdio answers initialize (ms)" "$(ms "$t_stdio")" "<" 50
exit "$BENCH_FAILURES"
