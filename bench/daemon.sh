#!/usr/bin/env bash
# Issue 4's daemon targets, each measured beside its reference in the same run:
#   wrk on the gateway serving a 4 KiB file      >= 0.7 x nginx's requests/s on the same file, 0 errors
#   1 GiB file downloaded through the gateway    <= 1.0 x the time of `ipfs-kit cat` of it
#   daemon RSS idle                              <  24 MiB
#   daemon RSS under the wrk load                <  64 MiB
#   `daemon start --detach`                      <  200 ms
#   60 s of wrk at 256 connections               0 errors, RSS back near where it started
# Usage: bench/daemon.sh [BUILD_DIR]
#   RUNS (default 5) wrk rounds of WRK_SECONDS (default 10) each, alternating
#   ours and nginx; SOAK_SECONDS (default 60) for the long run; BENCH_DIR for data.
#   ONLY=download: only the 1 GiB gateway download vs `ipfs-kit cat` (RUNS pairs).
# Beside the wall times, the download part prints the CPU seconds each side
# used (cat; the daemon and curl), which is where the ratio comes from.
BUILD=$(realpath "${1:-$(dirname "$0")/../build}")
cd "$(dirname "$0")" || exit 1
. ./lib.sh
[ -x "$BUILD/ipfs-kit" ] || { echo "no ipfs-kit in $BUILD" >&2; exit 2; }
K=$BUILD/ipfs-kit
T=$BUILD/ipfskit-testdata
RUNS=${RUNS:-5}
WRK_SECONDS=${WRK_SECONDS:-10}
SOAK_SECONDS=${SOAK_SECONDS:-60}
DATA=${BENCH_DIR:-/tmp/ipfskit-bench}/daemon
ONLY=${ONLY:-}
case $ONLY in "" | download) ;; *) echo "ONLY must be empty or download" >&2; exit 2 ;; esac
if [ -z "$ONLY" ] && { ! command -v wrk > /dev/null || ! command -v nginx > /dev/null; }; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends wrk nginx-light > /dev/null || $SUDO apt-get install -y -qq wrk nginx > /dev/null
fi
rm -rf "$DATA"; mkdir -p "$DATA/www"
export IPFS_KIT_PATH=$DATA/repo
for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
NGINX_PID=""
cleanup() {
  "$K" daemon stop > /dev/null 2>&1
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2> /dev/null
}
trap cleanup EXIT

state() { python3 -c "import json; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['$1'])"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# CPU seconds a process has used so far (user + system, all its threads).
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# wrk_run URL SECONDS CONNECTIONS: prints "requests_per_second errors"
wrk_run() {
  wrk -t2 -c"$3" -d"$2"s --latency "$1" > "$DATA/wrk.txt" 2>&1
  local rps errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$DATA/wrk.txt")
  errors=$(awk '/Socket errors:/ {gsub(",", ""); s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s} /Non-2xx/ {print $NF}' "$DATA/wrk.txt" | awk '{s += $1} END {print s + 0}')
  echo "$rps $errors"
}

start_times=""
[ -z "$ONLY" ] && echo "== daemon start --detach (median of $RUNS) =="
for _ in $( [ -z "$ONLY" ] && seq "$RUNS"); do
  s=$(date +%s%N)
  "$K" daemon start --detach > /dev/null || { echo "daemon start failed"; exit 1; }
  start_times="$start_times $(awk -v a="$s" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')"
  "$K" daemon stop > /dev/null
done
[ -z "$ONLY" ] && echo "  runs (ms):$start_times"

"$T" bytes daemon-4k 4096 > "$DATA/www/file.bin"
"$T" bytes daemon-1g 1073741824 > "$DATA/big.bin"
small=$("$K" add -Q "$DATA/www/file.bin")
big=$("$K" add -Q "$DATA/big.bin")
"$K" daemon start --detach > /dev/null
PID=$(state pid)
GW="http://$(state gateway)"
sleep 2
rss_idle=$(rss_kib "$PID")
rss_load=0

if [ -z "$ONLY" ]; then
# nginx serving the same 4 KiB file from a static root, one worker per core.
NGX=$DATA/nginx
mkdir -p "$NGX/logs" "$NGX/tmp"
NGX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$NGX/nginx.conf" << EOF
worker_processes auto;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $NGX/tmp; proxy_temp_path $NGX/tmp; fastcgi_temp_path $NGX/tmp; uwsgi_temp_path $NGX/tmp; scgi_temp_path $NGX/tmp;
  server { listen 127.0.0.1:$NGX_PORT; root $DATA/www; }
}
EOF
nginx -c "$NGX/nginx.conf" -p "$NGX" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGX_PORT/file.bin" -o /dev/null && break; sleep 0.1; done
cmp <(curl -s "$GW/ipfs/$small") "$DATA/www/file.bin" || { echo "the gateway does not serve the file"; exit 1; }
cmp <(curl -s "http://127.0.0.1:$NGX_PORT/file.bin") "$DATA/www/file.bin" || { echo "nginx does not serve the file"; exit 1; }

echo "== wrk -t2 -c64, 4 KiB file: ours vs nginx, $RUNS alternating rounds of ${WRK_SECONDS}s =="
ours_rps="" nginx_rps="" ours_errors=0 nginx_errors=0 rss_load=0
for _ in $(seq "$RUNS"); do
  read -r r e < <(wrk_run "$GW/ipfs/$small" "$WRK_SECONDS" 64)
  ours_rps="$ours_rps $r"; ours_errors=$((ours_errors + e))
  r_now=$(rss_kib "$PID"); [ "$r_now" -gt "$rss_load" ] && rss_load=$r_now
  read -r r e < <(wrk_run "http://127.0.0.1:$NGX_PORT/file.bin" "$WRK_SECONDS" 64)
  nginx_rps="$nginx_rps $r"; nginx_errors=$((nginx_errors + e))
done
echo "  ours  (req/s):$ours_rps   errors $ours_errors"
echo "  nginx (req/s):$nginx_rps   errors $nginx_errors"
ours_med=$(median "$ours_rps"); nginx_med=$(median "$nginx_rps")
fi

echo "== 1 GiB: gateway download vs ipfs-kit cat (interleaved, $RUNS runs each) =="
gw_times="" cat_times="" cat_cpu="" daemon_cpu="" curl_cpu=""
curl -sf "$GW/ipfs/$big" -o /dev/null  # both sides start from a warm page cache
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %U %S" -o "$DATA/t" sh -c "'$K' cat '$big' > /dev/null" || { echo "ipfs-kit cat failed"; exit 1; }
  read -r wall user sys < "$DATA/t"; cat_times="$cat_times $wall"; cat_cpu="$cat_cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  before=$(cpu_s "$PID")
  /usr/bin/time -f "%e %U %S" -o "$DATA/t" curl -sf "$GW/ipfs/$big" -o /dev/null || { echo "the gateway download failed"; exit 1; }
  read -r wall user sys < "$DATA/t"; gw_times="$gw_times $wall"; curl_cpu="$curl_cpu $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  daemon_cpu="$daemon_cpu $(awk -v a="$before" -v b="$(cpu_s "$PID")" 'BEGIN { printf "%.2f", b - a }')"
  r_now=$(rss_kib "$PID"); [ "$r_now" -gt "$rss_load" ] && rss_load=$r_now
done
curl -s "$GW/ipfs/$big" | cmp - "$DATA/big.bin" || { echo "the gateway's 1 GiB download differs from the file"; exit 1; }
echo "  gateway (s):$gw_times"
echo "  cat     (s):$cat_times"
echo "  CPU seconds, median: cat $(median "$cat_cpu"); gateway: daemon $(median "$daemon_cpu") + curl $(median "$curl_cpu")"
echo "    (cat:$cat_cpu | daemon:$daemon_cpu | curl:$curl_cpu)"
gw_ratio=$(ratio "$(median "$gw_times")" "$(median "$cat_times")")

if [ -n "$ONLY" ]; then
  echo
  echo "== results =="
  check "RSS during the downloads (MiB, peak seen)" "$(mib "$rss_load")" "<" 64
  check "gateway 1 GiB download / ipfs-kit cat" "$gw_ratio" "<=" 1.0
  echo "  (gateway $(median "$gw_times") s, cat $(median "$cat_times") s, medians of $RUNS)"
  [ "$BENCH_FAILURES" -eq 0 ]
  exit
fi

echo "== soak: wrk -t2 -c256 for ${SOAK_SECONDS}s =="
sleep 2
rss_before=$(rss_kib "$PID")
read -r soak_rps soak_errors < <(wrk_run "$GW/ipfs/$small" "$SOAK_SECONDS" 256)
rss_peak=$(rss_kib "$PID")
sleep 3
rss_after=$(rss_kib "$PID")
echo "  $soak_rps req/s, $soak_errors errors; RSS $(mib "$rss_before") MiB before, $(mib "$rss_peak") MiB at the end of the load, $(mib "$rss_after") MiB 3 s later"
grep -E "Latency|Socket errors|Non-2xx" "$DATA/wrk.txt" | sed 's/^/  /'
[ "$rss_peak" -gt "$rss_load" ] && rss_load=$rss_peak

echo
echo "== results =="
check "daemon start --detach (ms, median)" "$(median "$start_times")" "<" 200
check "RSS idle (MiB)" "$(mib "$rss_idle")" "<" 24
check "RSS under load (MiB, peak seen)" "$(mib "$rss_load")" "<" 64
check "nginx / ours requests per second, 4 KiB (<= 1/0.7)" "$(ratio "$nginx_med" "$ours_med")" "<=" 1.429
echo "  (ours $ours_med req/s, nginx $nginx_med req/s: ours is $(ratio "$ours_med" "$nginx_med") x nginx)"
check "wrk errors against ours (c64 rounds)" "$ours_errors" "<=" 0
check "gateway 1 GiB download / ipfs-kit cat" "$gw_ratio" "<=" 1.0
echo "  (gateway $(median "$gw_times") s, cat $(median "$cat_times") s, medians of $RUNS)"
check "wrk errors in the ${SOAK_SECONDS}s c256 soak" "$soak_errors" "<=" 0
check "RSS 3 s after the soak / before it" "$(ratio "$rss_after" "$rss_before")" "<=" 1.5
[ "$BENCH_FAILURES" -eq 0 ]
