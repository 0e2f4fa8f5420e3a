#!/usr/bin/env bash
# systemd's notify protocol, against a NOTIFY_SOCKET this test listens on, and
# the health check containers and units use:
# - READY=1 arrives once the listeners accept connections (the API answers
#   at once), with a STATUS line naming the addresses;
# - WATCHDOG=1 at half of WATCHDOG_USEC, none without it or for another
#   WATCHDOG_PID; SIGHUP sends RELOADING=1 then READY=1; SIGTERM sends
#   STOPPING=1 and the daemon exits 0;
# - `diag healthy`: non-zero without a daemon, 0 with one, still 0 after
#   `repo gc` (the empty directory is kept) and with an API token (the CLI
#   sends it; /health needs none, for probes), non-zero while the embedded
#   backend is stopped.
# Usage: notify_health.sh IPFS_KIT
. "$(dirname "$0")/../cli/lib.sh"
K=$(realpath "$1")
new_tmp
cd "$TMP" || exit 1
DAEMON_PID=""
LISTENER_PID=""
cleanup() {
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2> /dev/null
  [ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2> /dev/null
  "$K" daemon stop > /dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
state() { python3 -c "import json; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['$1'])"; }

# listen SOCKET LOG: records every datagram as "<seconds since start> <message>" (newlines as |).
listen() {
  python3 -u -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
t0 = time.monotonic()
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode()
        log.write("%.3f %s\n" % (time.monotonic() - t0, msg.replace("\n", "|")))
' "$1" "$2" &
  LISTENER_PID=$!
  for _ in $(seq 50); do [ -S "$1" ] && return; sleep 0.05; done
  fail "the notify listener did not start"
}
# wait_for LOG PATTERN [SECONDS]: until a line matches
wait_for() {
  local deadline=$((SECONDS + ${3:-10}))
  while [ $SECONDS -lt $deadline ]; do grep -q "$2" "$1" 2> /dev/null && return 0; sleep 0.05; done
  return 1
}

# ---- readiness, watchdog, reload, stop ----
listen "$TMP/notify.sock" "$TMP/notify.log"
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=400000 "$K" daemon start > daemon.out 2>&1 &
DAEMON_PID=$!
if wait_for notify.log "READY=1"; then
  pass
  # READY means listening: the API answers right away.
  api=$(state api)
  expect_eq "API answers as soon as READY=1 arrives" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$api/health")"
  grep "READY=1" notify.log | head -1 | grep -q "STATUS=serving: API http://$api" && pass || fail "READY carries a STATUS with the addresses: $(head -1 notify.log)"
else
  fail "no READY=1 within 10 s: $(cat daemon.out)"
fi
sleep 1.5
pings=$(grep -c "WATCHDOG=1" notify.log)
# 0.4 s interval: a ping every 0.2 s or so, 1.5 s watched.
[ "$pings" -ge 5 ] && pass || fail "WATCHDOG=1 at half of WATCHDOG_USEC: $pings pings in 1.5 s"
awk '/WATCHDOG=1/ { if (last != "" && $1 - last > 0.4) late++; last = $1 } END { exit late > 0 }' notify.log \
  && pass || fail "a watchdog ping came later than the interval: $(grep WATCHDOG notify.log | tr '\n' ' ')"
kill -HUP "$DAEMON_PID"
wait_for notify.log "RELOADING=1" && pass || fail "SIGHUP sends RELOADING=1"
wait_for notify.log "RELOADING=1.*" && awk '/RELOADING=1/ {r = NR} /READY=1/ && r && NR > r {ok = 1} END {exit !ok}' <(sleep 0.5; cat notify.log) \
  && pass || fail "READY=1 follows RELOADING=1"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"; code=$?
DAEMON_PID=""
expect_eq "daemon exit status after SIGTERM" 0 "$code"
wait_for notify.log "STOPPING=1" 2 && pass || fail "SIGTERM sends STOPPING=1: $(tail -3 notify.log)"
awk '/STOPPING=1/ {s = 1} s && /WATCHDOG=1|READY=1/ {bad = 1} END {exit bad}' notify.log && pass || fail "nothing but STOPPING after STOPPING"

# No watchdog asked for (or asked for another process): no pings.
: > notify.log
NOTIFY_SOCKET=$TMP/notify.sock "$K" daemon start > daemon.out 2>&1 &
DAEMON_PID=$!
wait_for notify.log "READY=1" && pass || fail "READY=1 without a watchdog"
sleep 1
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
expect_eq "no WATCHDOG=1 without WATCHDOG_USEC" 0 "$(grep -c WATCHDOG=1 notify.log)"
: > notify.log
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 "$K" daemon start > daemon.out 2>&1 &
DAEMON_PID=$!
wait_for notify.log "READY=1" && pass || fail "READY=1 with another process's watchdog"
sleep 1
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=""
expect_eq "no WATCHDOG=1 when WATCHDOG_PID is another process" 0 "$(grep -c WATCHDOG=1 notify.log)"
# Outside systemd the daemon runs as before.
"$K" daemon start > daemon.out 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do [ -f "$IPFS_KIT_PATH/daemon.json" ] && break; sleep 0.05; done
expect_eq "without NOTIFY_SOCKET the daemon serves" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$(state api)/health")"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; code=$?; DAEMON_PID=""
expect_eq "and stops with 0" 0 "$code"

# ---- diag healthy ----
"$K" diag healthy > h.out 2>&1; code=$?
[ "$code" -ne 0 ] && pass || fail "diag healthy without a daemon exits non-zero"
grep -q "no daemon is running" h.out && pass || fail "diag healthy says why: $(cat h.out)"
"$K" daemon start --detach > /dev/null || fail "daemon start --detach"
"$K" diag healthy > h.out 2>&1 && pass || fail "diag healthy with a daemon: $(cat h.out)"
grep -q "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn" h.out && pass || fail "diag healthy names the CID it resolved"
"$K" repo gc > /dev/null || fail "repo gc"
"$K" diag healthy > h.out 2>&1 && pass || fail "diag healthy after repo gc (the empty directory is kept): $(cat h.out)"
"$K" --json diag healthy | python3 -c 'import json, sys; assert json.load(sys.stdin)["healthy"] is True' && pass || fail "diag healthy --json"
"$K" backend stop ipfs > /dev/null || fail "backend stop ipfs"
"$K" diag healthy > h.out 2>&1; code=$?
[ "$code" -ne 0 ] && pass || fail "diag healthy while the embedded backend is stopped exits non-zero"
grep -q "unhealthy" h.out && pass || fail "and says unhealthy: $(cat h.out)"
"$K" backend start ipfs > /dev/null || fail "backend start ipfs"
"$K" config set daemon.api_token probe-token > /dev/null
sleep 1.5  # the daemon picks the file change up within a second
expect_eq "/health needs no token (probes cannot send one)" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$(state api)/health")"
expect_eq "/status still needs it" 401 "$(curl -s -o /dev/null -w '%{http_code}' "http://$(state api)/status")"
"$K" diag healthy > h.out 2>&1 && pass || fail "diag healthy with a token set: $(cat h.out)"
"$K" daemon stop > /dev/null
"$K" diag healthy > /dev/null 2>&1 && fail "diag healthy after stop exits 0" || pass
finish
