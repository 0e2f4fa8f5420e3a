#!/usr/bin/env bash
# Issue 8's backend targets, each measured beside its reference in the same run:
#   one health round over 100 backends that each answer after 50 ms
#                                      <= 1.2 x one round over one such backend (one probe)
#   pushing the blocks of a 1 GiB DAG to s3rver (ipfs-kit backend push, no read-back)
#                                      <= 1.0 x the time of Debian's `aws s3 cp --recursive`
#                                         of the same blocks (one file per block) to the same s3rver
# Usage: bench/backends.sh [BUILD_DIR]
#   ROUNDS (default 11) health rounds per setup; RUNS (default 3) uploads per tool;
#   SIZE (default 1073741824) bytes of the DAG; PARTS (default "health s3"); BENCH_DIR for data.
cd "$(dirname "$0")" || exit 1
. ./lib.sh
BUILD=$(realpath "${1:-../build}")
K=$BUILD/ipfs-kit
T=$BUILD/ipfskit-testdata
ROUNDS=${ROUNDS:-11}
RUNS=${RUNS:-3}
SIZE=${SIZE:-1073741824}
PARTS=${PARTS:-health s3}
DATA=${BENCH_DIR:-/tmp/ipfskit-bench}/backends
INTEROP=$(realpath ../tests/interop)
S3RVER=$INTEROP/node_modules/s3rver/bin/s3rver.js
AWS=/usr/bin/aws  # Debian's awscli, not whatever else is on PATH
[ -x "$AWS" ] || { echo "Debian's awscli is missing: apt-get install awscli" >&2; exit 1; }
[ -f "$S3RVER" ] || (cd "$INTEROP" && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$DATA"; mkdir -p "$DATA"
export IPFS_KIT_PATH=$DATA/repo
PIDS=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  "$K" daemon stop > /dev/null 2>&1
  for p in $PIDS; do kill "$p" 2> /dev/null; done
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
api() { python3 -c "import json; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['api'])"; }
for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
"$K" config set daemon.health_check_interval 86400 > /dev/null  # rounds only when asked

# ---------------- health: 100 backends answering after 50 ms ----------------
HEALTH_RATIO="" S3_RATIO="" healthy=""
if [[ " $PARTS " == *" health "* ]]; then
SLOW_PORT=$(free_port)
node -e "
  require('http').createServer((req, res) => setTimeout(() => { res.writeHead(200, {'Content-Length': 0}); res.end() }, 50))
    .listen($SLOW_PORT, '127.0.0.1')" &
PIDS="$PIDS $!"
sleep 0.5
# rounds N: N health rounds through the API; prints each round's duration (ms).
rounds() {
  for _ in $(seq "$1"); do
    curl -s "http://$(api)/backends/health?check=true" | python3 -c 'import json,sys; print(json.load(sys.stdin)["round"]["duration_ms"])'
  done
}
"$K" backend add slow0 --type gateway "url=http://127.0.0.1:$SLOW_PORT" > /dev/null
"$K" daemon start --detach > /dev/null || exit 1
rounds 2 > /dev/null  # connections open
ONE=$(rounds "$ROUNDS" | tr '\n' ' ')
"$K" daemon stop > /dev/null
for i in $(seq 1 99); do
  "$K" config set "backends.slow$i" "{\"type\": \"gateway\", \"url\": \"http://127.0.0.1:$SLOW_PORT\"}" > /dev/null
done
"$K" daemon start --detach > /dev/null || exit 1
rounds 2 > /dev/null
HUNDRED=$(rounds "$ROUNDS" | tr '\n' ' ')
healthy=$(curl -s "http://$(api)/backends/health" | python3 -c 'import json,sys; b=json.load(sys.stdin)["backends"]; print(sum(1 for n,v in b.items() if n.startswith("slow") and v["health"] in ("healthy","degraded")))')
"$K" daemon stop > /dev/null
one_ms=$(median "$ONE")
hundred_ms=$(median "$HUNDRED")
echo "== health round, backends answering after 50 ms (median of $ROUNDS rounds) =="
echo "  1 backend (ms):   $ONE"
echo "  100 backends (ms): $HUNDRED"
echo "  backends up after the rounds: $healthy of 100"
HEALTH_RATIO=$(ratio "$hundred_ms" "$one_ms")
fi

# ---------------- S3: the blocks of a 1 GiB DAG to s3rver ----------------
if [[ " $PARTS " == *" s3 "* ]]; then
"$T" bytes backends-1g "$SIZE" > "$DATA/big.bin"
cid=$("$K" add -Q "$DATA/big.bin")
rm -f "$DATA/big.bin"
# The same blocks as files (one per block, flatfs names) for awscli.
"$K" backend add files --type filesystem "path=$DATA/blocks" > /dev/null
"$K" daemon start --detach > /dev/null || exit 1
"$K" backend push files "$cid" --verify=false > /dev/null || exit 1
blocks=$(find "$DATA/blocks" -name '*.data' | wc -l)
bytes=$(find "$DATA/blocks" -name '*.data' -printf '%s\n' | awk '{s += $1} END {print s}')
echo
echo "== S3: $blocks blocks, $bytes bytes, to s3rver (median of $RUNS runs each) =="
S3_PORT=$(free_port)
S3PID=""
start_s3rver() {
  [ -n "$S3PID" ] && kill "$S3PID" 2> /dev/null && wait "$S3PID" 2> /dev/null
  rm -rf "$DATA/s3"; mkdir -p "$DATA/s3"
  NODE_OPTIONS=--openssl-legacy-provider node "$S3RVER" -d "$DATA/s3" -a 127.0.0.1 -p "$S3_PORT" --configure-bucket bench --silent &
  S3PID=$!
  PIDS="$PIDS $S3PID"
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && return; sleep 0.1; done
}
"$K" backend add s3bench --type s3 "endpoint=http://127.0.0.1:$S3_PORT" bucket=bench access_key=S3RVER secret_key=S3RVER > /dev/null
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
OURS="" THEIRS=""
for run in $(seq "$RUNS"); do
  # Alternate which goes first; each upload goes to a fresh s3rver.
  for tool in ours aws; do
    [ $((run % 2)) = 0 ] && tool=$([ "$tool" = ours ] && echo aws || echo ours)
    start_s3rver
    s=$(date +%s%N)
    if [ "$tool" = ours ]; then
      "$K" backend push s3bench "$cid" --verify=false > /dev/null || { echo "backend push failed"; exit 1; }
      OURS="$OURS $(awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')"
    else
      "$AWS" --endpoint-url "http://127.0.0.1:$S3_PORT" s3 cp --recursive --only-show-errors "$DATA/blocks" s3://bench/aws/ || { echo "aws s3 cp failed"; exit 1; }
      THEIRS="$THEIRS $(awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')"
    fi
  done
done
stored=$(find "$DATA/s3/bench" -name '*._S3rver_object' | wc -l)
echo "  ipfs-kit backend push (s): $OURS"
echo "  aws s3 cp --recursive (s): $THEIRS"
echo "  objects in the last bucket: $stored"
S3_RATIO=$(ratio "$(median "$OURS")" "$(median "$THEIRS")")
fi

echo
echo "== targets =="
if [ -n "$HEALTH_RATIO" ]; then
  check "health round, 100 backends / 1 backend (50 ms each)" "$HEALTH_RATIO" "<=" 1.2
  if [ "$healthy" = 100 ]; then printf '  %-58s %10s\n' "slow backends up after the rounds" "100/100 PASS"
  else printf '  %-58s %10s\n' "slow backends up after the rounds" "$healthy/100 FAIL"; BENCH_FAILURES=$((BENCH_FAILURES + 1)); fi
fi
[ -n "$S3_RATIO" ] && check "S3 push of a 1 GiB DAG's blocks / aws s3 cp --recursive" "$S3_RATIO" "<=" 1.0
exit "$BENCH_FAILURES"
