#!/usr/bin/env bash
# The daemon's lifecycle and the CLI over it:
# - start --detach / status / stop, a second daemon refused, a stale pid file
#   from a SIGKILLed daemon detected and replaced;
# - while it runs, CLI writes (add, pin, gc, block, dag import) go through its
#   RPC and print exactly what they print without a daemon;
# - api_token: API and RPC answer 401 without it, the CLI sends it;
# - config changes are applied on SIGHUP and on file change, and keys that
#   need a restart are named; log tail; backend stop/start (gateway 503);
#   health check; metrics (and `promtool check metrics` on /metrics);
# - SIGKILL of the daemon during adds loses no acknowledged add and the next
#   start comes up clean.
# Usage: daemon.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1
LOCAL="$TMP/local"  # a repository without a daemon, for comparing outputs
trap '"$K" daemon stop > /dev/null 2>&1; rm -rf "$TMP"' EXIT

for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
state() { python3 -c "import json,sys; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['$1'])"; }
http() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# ---- lifecycle ----
"$K" daemon status > st.txt 2> /dev/null; expect_eq "status before start exits 6" 6 $?
start_ms=$(date +%s%3N)
"$K" daemon start --detach > start.txt || fail "daemon start --detach"
expect_eq "start --detach took under 2 s" yes "$([ $(( $(date +%s%3N) - start_ms )) -lt 2000 ] && echo yes)"
grep -q "RPC:     http://127.0.0.1:" start.txt && pass || fail "start prints the RPC address: $(cat start.txt)"
"$K" daemon status > st.txt 2> /dev/null; expect_eq "status while running exits 0" 0 $?
pid=$(state pid)
grep -q "running (pid $pid)" st.txt && pass || fail "status names the pid: $(cat st.txt)"
grep -q "Repo:    $IPFS_KIT_PATH" st.txt && pass || fail "status names the repository"
"$K" daemon start --detach > second.txt 2>&1; code=$?
expect_eq "a second daemon is refused (exit 10)" 10 $code
grep -q "already running" second.txt && pass || fail "second daemon message: $(cat second.txt)"
expect_eq "first daemon still serves" 200 "$(http "http://$(state api)/health")"
# MCP on daemon.mcp_address: printed, in daemon.json and /status, and served by the daemon's own client.
grep -q "MCP:     http://$(state mcp)/mcp" start.txt && pass || fail "start prints the MCP address: $(cat start.txt)"
curl -s "http://$(state api)/status" | grep -q "\"mcp\":\"$(state mcp)\"" && pass || fail "/status names the MCP address"
curl -s "http://$(state mcp)/api/health" | grep -q '"mode":"daemon"' && pass || fail "the daemon's MCP listener runs over the daemon"

# ---- CLI writes go through the daemon and print what they print locally ----
mkdir -p tree/sub/deep tree/empty tree2
"$T" bytes daemon-big 3000000 > tree/sub/big.bin
echo hello > tree/a.txt; echo hidden > tree/.h; echo deep > tree/sub/deep/z; ln -s a.txt tree/link; echo q > tree2/q
rpc_requests() { curl -s "http://$(state api)/metrics" | awk '/^ipfskit_http_requests_total\{listener="rpc"/ {n += $2} END {print n + 0}'; }
same() {  # same NAME CMD...: the command's output and status with the daemon and without
  local name=$1; shift
  "$@" > d.out 2>&1; echo "status $?" >> d.out
  IPFS_KIT_PATH=$LOCAL "$@" > l.out 2>&1; echo "status $?" >> l.out
  if cmp -s d.out l.out; then pass; else fail "$name differs through the daemon: $(diff d.out l.out | head -5)"; fi
}
before=$(rpc_requests)
same "add -r" "$K" add -r tree
same "add -r two dirs" "$K" add -r tree tree2
same "add -w -H" "$K" add -r -w -H tree tree2
same "add cid v1 trickle" "$K" add --cid-version=1 --trickle -r tree
same "add --empty-dirs=false" "$K" add -r --empty-dirs=false tree
same "add -Q named pin" "$K" add -Q --pin-name=docs --pin-meta team=infra -r tree2
same "add stdin" sh -c "echo from-stdin | '$K' add --stdin-name=s.txt -w"
same "add json" "$K" add --json tree/a.txt
same "add missing" "$K" add nothing-here
same "add dir without -r" "$K" add tree
after=$(rpc_requests)
expect_eq "adds went through the daemon's RPC" yes "$([ $((after - before)) -ge 8 ] && echo yes)"
big=$("$K" add -Q tree/sub/big.bin); IPFS_KIT_PATH=$LOCAL "$K" add -Q tree/sub/big.bin > /dev/null
cmp <("$K" cat "$big") tree/sub/big.bin && pass || fail "cat of an add made through the daemon"
same "pin ls" "$K" pin ls --metadata
a=$("$K" add -Q --pin=false tree/a.txt); IPFS_KIT_PATH=$LOCAL "$K" add -Q --pin=false tree/a.txt > /dev/null
q=$("$K" add -Q --pin=false tree2/q); IPFS_KIT_PATH=$LOCAL "$K" add -Q --pin=false tree2/q > /dev/null
same "pin add" "$K" pin add --name=n1 --meta k=v "$a"
same "pin update" "$K" pin update "$a" "$q"
same "pin rm" "$K" pin rm "$q"
same "pin rm unpinned" "$K" pin rm "$q"
printf 'block bytes' > blk
same "block put" "$K" block put --pin blk
"$K" block get "$big" > root.block
same "block put dag-pb v0" "$K" block put -f v0 root.block
same "block rm" "$K" block rm -f "$("$K" block put blk)" bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy
same "block rm pinned" "$K" block rm "$("$K" block put --pin blk)"
"$K" dag export "$big" > big.car
same "dag import" "$K" dag import --stats big.car
printf 'not a car' > bad.car
same "dag import garbage" "$K" dag import bad.car
same "repo gc" sh -c "'$K' pin rm '$big' > /dev/null; '$K' repo gc | sort"
same "pin ls after gc" "$K" pin ls
"$K" repo verify > /dev/null && pass || fail "repo verify after daemon writes"

# ---- stale pid: SIGKILL the daemon ----
pid=$(state pid)
kill -9 "$pid"; sleep 0.2
"$K" daemon status > st.txt 2> /dev/null; expect_eq "status after SIGKILL exits 6" 6 $?
grep -q "stale pid file: pid $pid" st.txt && pass || fail "status reports the stale pid: $(cat st.txt)"
"$K" daemon start --detach > /dev/null || fail "start over a stale pid file"
expect_eq "new pid replaces the stale one" yes "$([ "$(cat "$IPFS_KIT_PATH/daemon.pid" 2>/dev/null || state pid)" != "$pid" ] && echo yes)"
"$K" daemon status > /dev/null 2>&1; expect_eq "status after restart" 0 $?

# ---- token ----
"$K" config set daemon.api_token s3cret-token > /dev/null
"$K" daemon restart > /dev/null || fail "daemon restart"
expect_eq "API without token" 401 "$(http "http://$(state api)/status")"
expect_eq "API with token" 200 "$(http -H 'Authorization: Bearer s3cret-token' "http://$(state api)/status")"
expect_eq "API with a wrong token" 401 "$(http -H 'Authorization: Bearer s3cret-tokem' "http://$(state api)/status")"
expect_eq "RPC without token" 401 "$(http -X POST "http://$(state rpc)/api/v0/version")"
expect_eq "gateway needs no token" 200 "$(http "http://$(state gateway)/ipfs/bafkqaaa")"
"$K" backend list > bl.txt && pass || fail "CLI sends the token: $(cat bl.txt)"
grep -q "ipfs" bl.txt && pass || fail "backend list names ipfs: $(cat bl.txt)"
"$K" add -Q tree2/q > /dev/null && pass || fail "add through the daemon with a token"

# ---- config reload ----
"$K" config set daemon.log_level debug > /dev/null
kill -HUP "$(state pid)"
# The file watch may see the change before the signal arrives: either way
# the change is applied once, and the SIGHUP is logged.
for _ in $(seq 50); do grep -q 'msg=reloaded reason=SIGHUP' "$IPFS_KIT_PATH/logs/daemon.log" && break; sleep 0.1; done
grep -q 'msg=reloaded reason=SIGHUP' "$IPFS_KIT_PATH/logs/daemon.log" && pass || fail "SIGHUP reload logged"
grep -q 'msg=reloaded reason=.* changed=daemon.log_level' "$IPFS_KIT_PATH/logs/daemon.log" && pass || fail "log_level change applied"
for _ in $(seq 30); do
  curl -s -o /dev/null "http://$(state gateway)/ipfs/bafkqaaa"  # requests are logged at debug level
  grep -q 'level=debug' "$IPFS_KIT_PATH/logs/daemon.log" && break; sleep 0.1
done
grep -q 'level=debug' "$IPFS_KIT_PATH/logs/daemon.log" && pass || fail "debug lines after log_level=debug"
"$K" config set daemon.gateway_address 127.0.0.1:0 > /dev/null  # same value: nothing to do
"$K" config set daemon.health_check_interval 7 > /dev/null
for _ in $(seq 60); do grep -q 'reason="config file changed" changed=daemon.health_check_interval' "$IPFS_KIT_PATH/logs/daemon.log" && break; sleep 0.1; done
grep -q 'reason="config file changed" changed=daemon.health_check_interval' "$IPFS_KIT_PATH/logs/daemon.log" && pass || fail "file change reload logged"
"$K" config set daemon.api_address 127.0.0.1:1 > /dev/null
for _ in $(seq 60); do grep -q 'takes effect after a restart.*key=daemon.api_address' "$IPFS_KIT_PATH/logs/daemon.log" && break; sleep 0.1; done
grep -q 'takes effect after a restart.*key=daemon.api_address' "$IPFS_KIT_PATH/logs/daemon.log" && pass || fail "restart-only key named"
"$K" config set daemon.api_address 127.0.0.1:0 > /dev/null
"$K" config set daemon.log_level bogus > cfg.txt 2>&1; expect_eq "bad config value refused" 2 $?
"$K" log tail -n 3 > tail.txt; expect_eq "log tail" 3 "$(wc -l < tail.txt)"
grep -q 'level=' tail.txt && pass || fail "log lines are structured: $(head -1 tail.txt)"

# ---- backends, health, metrics ----
G="http://$(state gateway)/ipfs/$q"
expect_eq "gateway serves" 200 "$(http "$G")"
"$K" backend stop ipfs > /dev/null || fail "backend stop ipfs"
expect_eq "gateway 503 while ipfs is stopped" 503 "$(http "$G")"
"$K" health check ipfs > /dev/null; expect_eq "health check fails while stopped" 6 $?
"$K" backend start ipfs > /dev/null || fail "backend start ipfs"
expect_eq "gateway serves again" 200 "$(http "$G")"
"$K" health check > /dev/null; expect_eq "health check" 0 $?
"$K" metrics --json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert isinstance(j, dict) and j' && pass || fail "metrics --json"
"$K" backend status ipfs --json | python3 -c 'import json,sys; j=json.load(sys.stdin); assert "ipfs" in json.dumps(j)' && pass || fail "backend status --json"
curl -s -H 'Authorization: Bearer s3cret-token' "http://$(state api)/metrics" > metrics.txt
if command -v promtool > /dev/null; then
  promtool check metrics < metrics.txt > promtool.txt 2>&1 && pass || fail "promtool check metrics: $(head -5 promtool.txt)"
else
  fail "promtool is not installed (scripts/setup.sh installs prometheus)"
fi
for m in ipfskit_http_requests_total ipfskit_repo_blocks ipfskit_pins process_resident_memory_bytes; do
  grep -q "^$m" metrics.txt && pass || fail "metric $m"
done

# ---- graceful stop ----
"$K" daemon stop > /dev/null || fail "daemon stop"
"$K" daemon status > /dev/null 2>&1; expect_eq "status after stop" 6 $?
[ ! -e "$IPFS_KIT_PATH/daemon.json" ] && pass || fail "stop removes daemon.json"
"$K" config set daemon.api_token "" > /dev/null 2>&1 || "$K" config set daemon.api_token null > /dev/null 2>&1
# An empty daemon.mcp_address disables the MCP listener.
"$K" config set daemon.mcp_address "" > /dev/null || fail "disable MCP"
"$K" daemon start --detach > start-nomcp.txt || fail "start without MCP"
grep -q "MCP:" start-nomcp.txt && fail "MCP printed while disabled" || pass
expect_eq "daemon.json without MCP" "" "$(state mcp)"
"$K" daemon stop > /dev/null
"$K" config set daemon.mcp_address 127.0.0.1:0 > /dev/null

# ---- SIGKILL during adds: no acknowledged add is lost ----
declare -A good
interrupted=0
for round in $(seq "${DAEMON_CRASH_ROUNDS:-6}"); do
  "$K" daemon start --detach > /dev/null || { fail "start in crash round $round"; break; }
  pids=()
  for j in 1 2 3; do "$T" bytes "dcrash-$round-$j" "$(( (RANDOM % 16 + 2) * 1048576 + RANDOM ))" > "in-$round-$j.bin"; done
  for j in 1 2 3; do
    # The content arrives in two pieces with a pause between, so that the
    # kill finds some adds mid-upload and others finished.
    ( { head -c 1048576 "in-$round-$j.bin"; sleep "0.$((RANDOM % 5))$((RANDOM % 10))"; tail -c +1048577 "in-$round-$j.bin"; } |
        "$K" add -Q > "out-$round-$j.txt" 2> /dev/null; echo $? > "rc-$round-$j.txt" ) &
    pids+=($!)
  done
  sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
  kill -9 "$(state pid)" 2> /dev/null
  wait "${pids[@]}"
  for j in 1 2 3; do
    if [ "$(cat "rc-$round-$j.txt")" = 0 ] && [ -s "out-$round-$j.txt" ]; then good[$(cat "out-$round-$j.txt")]=in-$round-$j.bin
    else interrupted=$((interrupted + 1)); fi
  done
done
"$K" daemon start --detach > /dev/null && pass || fail "start after the last SIGKILL"
"$K" daemon status > /dev/null 2>&1; expect_eq "daemon up after crashes" 0 $?
"$K" repo verify > verify.txt && pass || fail "repo verify after crashes: $(tail -3 verify.txt)"
echo "  ${#good[@]} acknowledged adds, $interrupted interrupted, across the crashes"
for cid in "${!good[@]}"; do
  cmp -s <("$K" cat "$cid") "${good[$cid]}" && pass || fail "acknowledged add $cid lost"
  "$K" pin ls "$cid" > /dev/null && pass || fail "acknowledged add $cid not pinned"
done
"$K" daemon stop > /dev/null

finish
