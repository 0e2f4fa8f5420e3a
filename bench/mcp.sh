#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2154  # timing lists are word-split on purpose; TIMES_* are set by lib.sh's measure
# Issue 9's MCP targets, with the reference measured in the same run:
#   tools/call pin_ls (limit 100) over Streamable HTTP on 1,000,000 pins   median < 20 ms
#     (reference: the same page through `ipfs-kit pin ls --limit 100`, a process per call)
#   `mcp stdio` answers initialize, from process start                     < 50 ms
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

echo "== 1,000,000 pins (the repository bench/repo.sh builds) =="
PINS=$DATA/pins
mkdir -p "$PINS"
[ -s "$PINS/m.car" ] || "$T" car-many "$PINS/m.car" "$PINS/m.txt" 1000000
export IPFS_KIT_PATH=$PINS/repo
if [ "$("$K" repo stat --json 2>/dev/null | sed 's/.*"Pins":\([0-9]*\).*/\1/')" != 1000000 ]; then
  rm -rf "$PINS/repo"
  "$K" dag import --pin-roots=false "$PINS/m.car" > /dev/null
  "$K" pin add < "$PINS/m.txt" > /dev/null
fi

echo "== tools/call pin_ls over HTTP =="
"$K" mcp serve --address 127.0.0.1:0 > "$PINS/mcp.out" 2> "$PINS/mcp.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$PINS/mcp.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$PINS/mcp.out")
[ -n "$URL" ] || { echo "FAIL: mcp serve did not start"; cat "$PINS/mcp.err"; exit 1; }
H=(-H 'content-type: application/json' -H 'accept: application/json, text/event-stream')
SID=$(curl -sS -D - -o /dev/null "${H[@]}" "$URL" -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
  tr -d '\r' | sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii]d: //p')
curl -sS -o /dev/null "${H[@]}" -H "mcp-session-id: $SID" "$URL" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
CALL='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pin_ls","arguments":{"limit":100}}}'
n=$(curl -sS "${H[@]}" -H "mcp-session-id: $SID" "$URL" -d "$CALL" | grep -o '"cid"' | wc -l)
[ "$n" -ge 100 ] || { echo "FAIL: pin_ls returned $n pins"; exit 1; }
mcp_times=""
for _ in $(seq "$RUNS"); do
  t=$(curl -sS -o /dev/null -w '%{time_total}' "${H[@]}" -H "mcp-session-id: $SID" "$URL" -d "$CALL")
  mcp_times="$mcp_times $t"
done
measure cli "$RUNS" "$K" pin ls --limit 100
t_mcp=$(median $mcp_times)
t_cli=$(median $TIMES_cli)
printf '  %-34s %8s s   runs:%s\n' "MCP tools/call pin_ls (HTTP)" "$t_mcp" "$mcp_times"
printf '  %-34s %8s s\n' "reference: ipfs-kit pin ls" "$t_cli"
echo "  ratio MCP / CLI: $(ratio "$t_mcp" "$t_cli")"
kill $SERVER; wait $SERVER 2>/dev/null; trap - EXIT

echo "== mcp stdio: initialize answered after process start =="
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
stdio_times=""
for _ in $(seq "$RUNS"); do
  t=$(python3 - "$K" "$INIT" <<'PY'
import subprocess, sys, time
start = time.monotonic()
p = subprocess.Popen([sys.argv[1], "mcp", "stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write((sys.argv[2] + "\n").encode()); p.stdin.flush()
line = p.stdout.readline()
elapsed = time.monotonic() - start
p.stdin.close(); p.wait()
assert b'"protocolVersion"' in line, line
print(f"{elapsed:.4f}")
PY
)
  stdio_times="$stdio_times $t"
done
measure truebin "$RUNS" /bin/true
t_stdio=$(median $stdio_times)
printf '  %-34s %8s s   runs:%s\n' "mcp stdio initialize" "$t_stdio" "$stdio_times"
printf '  %-34s %8s s\n' "reference: /bin/true start" "$(median $TIMES_truebin)"

echo "== verdicts =="
check "MCP tools/call pin_ls on 1M pins, median (ms)" "$(awk -v t="$t_mcp" 'BEGIN { printf "%.1f", t * 1000 }')" "<" 20
check "mcp stdio answers initialize (ms)" "$(awk -v t="$t_stdio" 'BEGIN { printf "%.1f", t * 1000 }')" "<" 50
exit "$BENCH_FAILURES"
