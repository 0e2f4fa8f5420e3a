#!/usr/bin/env bash
# `replication sync` with its progress, streamed from the daemon: a daemon
# with a `filesystem` backend and min_replicas 2, so that every new pin needs
# one copy made. Each round adds fresh pins (the work) and syncs them:
#  - on a terminal (`script`, util-linux): the bar on stderr counts the pins
#    that needed work to the end; with stderr not a terminal, no bar;
#  - `POST /replication/sync?progress=true` (curl -N): progress lines whose
#    pins_total is the pins that needed work, pins_done rising to it, then the
#    summary as the last line; without it, one JSON document as before; a bad
#    `progress` value is a 400 naming the parameter;
#  - the exit status: 0 when every pin meets its minimum, 6 when one cannot.
# Usage: sync_progress.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1
trap '"$K" daemon stop > /dev/null 2>&1; rm -rf "$TMP"' EXIT
state() { python3 -c "import json; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['$1'])"; }
PINS=30
round=0
add_work() {  # PINS new pins, each needing a copy on disk
  round=$((round + 1))
  mkdir -p "r$round"
  for i in $(seq 1 "$PINS"); do "$T" bytes "sync-$round-$i" $((1000 + i * 97)) > "r$round/f$i.bin"; done
  "$K" add -q "r$round"/f*.bin > "r$round.cids" || fail "add round $round"
  expect_eq "round $round pins" "$PINS" "$(wc -l < "r$round.cids")"
}

for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
"$K" config set daemon.health_check_interval 1 > /dev/null
"$K" config set replication.min_replicas 2 > /dev/null
"$K" config set replication.max_replicas 2 > /dev/null
"$K" config set replication.check_interval 3600 > /dev/null
# Off until the daemon's own first pass (2 s after its start) has gone by:
# then passes run only when asked, and every pin added is work for ours.
"$K" config set replication.enabled false > /dev/null
"$K" backend add disk --type filesystem "path=$TMP/flat" > /dev/null || fail "backend add disk"
"$K" daemon start --detach > /dev/null || fail "daemon start"
api="http://$(state api)"
wait_for 30 sh -c "'$K' --json replication status | grep -q '\"last_check\":\"2'" || fail "the daemon's first (skipped) pass"
"$K" config set replication.enabled true > /dev/null || fail "replication on"
wait_for 30 sh -c "'$K' --json replication status | grep -q '\"enabled\":true'" || fail "the daemon sees replication on"
wait_for 15 sh -c "'$K' health check disk" || fail "disk healthy"

# ---- the bar on a terminal ----
add_work
script -qfec "'$K' replication sync" /dev/null < /dev/null > tty.txt 2>&1
expect_eq "sync on a terminal" 0 $?
grep -q "$PINS/$PINS pins" tty.txt && pass || fail "the bar reaches $PINS/$PINS pins: $(cat -v tty.txt)"
grep -q $'\r\033\[2K' tty.txt && pass || fail "the bar redraws its line: $(cat -v tty.txt)"
grep -q "checked $PINS pins: $PINS copies made" tty.txt && pass || fail "the report after the bar: $(cat -v tty.txt)"
"$K" --json replication status | field '(j["pins"], j["under_replicated"])' > st.txt
expect_eq "every pin copied" "($PINS, 0)" "$(cat st.txt)"

# ---- no bar when stderr is not a terminal (nor with --json) ----
add_work
script -qfec "'$K' replication sync 2> err.txt" /dev/null < /dev/null > out.txt
expect_eq "sync, stderr to a file" 0 $?
grep -q "pins," err.txt && fail "a bar on a file: $(cat -v err.txt)" || pass
grep -q "checked $PINS pins" out.txt && pass || fail "the report: $(cat -v out.txt)"
"$K" --json replication sync > sync.json 2> err.txt; expect_eq "sync --json, nothing to do" 0 $?
expect_eq "--json report" "(0, 'completed')" "$(field '(j["checked"], j["status"])' < sync.json)"
[ -s err.txt ] && fail "stderr without a terminal: $(cat -v err.txt)" || pass

# ---- the streamed route ----
add_work
curl -sS -N -X POST "$api/replication/sync?progress=true" -D headers.txt > lines.ndjson || fail "curl progress=true"
grep -qi "content-type: application/x-ndjson" headers.txt && pass || fail "NDJSON: $(cat headers.txt)"
python3 - "$PINS" lines.ndjson > check.txt <<'PY'
import json, sys
want = int(sys.argv[1])
lines = [json.loads(l) for l in open(sys.argv[2])]
progress = [l["progress"] for l in lines[:-1]]
assert all(set(l) == {"progress"} for l in lines[:-1]), lines[:-1]
assert len(progress) >= 2, f"first and last pin reported: {progress}"
assert all(p["pins_total"] == want for p in progress), progress
done = [p["pins_done"] for p in progress]
assert done == sorted(done) and done[0] >= 1 and done[-1] == want, done
assert set(lines[-1]) == {"summary"}, lines[-1]
s = lines[-1]["summary"]
assert (s["checked"], s["copied"], s["under_replicated"], s["status"]) == (want, want, 0, "completed"), s
print("ok")
PY
expect_eq "progress lines, then the summary" ok "$(cat check.txt)"
[ "$(cat check.txt)" = ok ] || cat lines.ndjson >&2

# The plain route: one JSON document, as the seeds' API has it.
code=$(curl -sS -o plain.json -w '%{http_code}' -X POST "$api/replication/sync")
expect_eq "plain route status" 200 "$code"
expect_eq "plain route: one document" "1 (0, 'completed') False" \
  "$(python3 -c "import json; t=open('plain.json').read(); j=json.loads(t); print(len(t.splitlines()), (j['checked'], j['status']), 'summary' in j)")"
for bad in yes 1 ""; do
  code=$(curl -sS -o bad.json -w '%{http_code}' -X POST "$api/replication/sync?progress=$bad")
  expect_eq "progress=$bad refused" 400 "$code"
  grep -q "progress must be true or false" bad.json && pass || fail "a clear error: $(cat bad.json)"
  expect_eq "its code" invalid_argument "$(field 'j["code"]' < bad.json)"
done

# ---- the exit status: a pin that cannot meet its minimum ----
"$T" bytes sync-big 5000 > big.bin
big=$("$K" add -Q big.bin)
"$K" pin add --replication-min 3 --replication-max 3 "$big" > /dev/null
"$K" replication sync > sync.txt 2>&1; expect_eq "sync fails while a pin is under-replicated" 6 $?
grep -q "1 pin(s) below their minimum" sync.txt && pass || fail "sync says why: $(cat sync.txt)"
"$K" pin rm "$big" > /dev/null || fail "pin rm big"

# ---- a client that goes away cancels the pass ----
# Many pins (seconds of work); the reader leaves after the first progress
# line: the daemon stops at its next report, and the next pass does the rest.
mkdir cancel
python3 -c "
for i in range(600): open(f'cancel/f{i}.bin', 'w').write(f'cancel {i}\\n')"
"$K" add -q cancel/f*.bin > cancel.cids || fail "add the cancel round"
curl -sS -N -X POST "$api/replication/sync?progress=true" 2> /dev/null | head -1 > first.ndjson
grep -q '"pins_total":600' first.ndjson && pass || fail "the first progress line: $(cat first.ndjson)"
"$K" --json replication sync > rest.json 2> /dev/null
# The copies in flight when it stopped (at most replication.concurrency, 4)
# are not failures: they stay `pinning` and this pass resumes them, so it
# copies every pin it checks and leaves none below its minimum.
field '(50 < j["checked"] <= 600, j["copied"] == j["checked"], j["failed"] == 0, j["under_replicated"] == 0)' < rest.json > rest.txt
expect_eq "the cancelled pass left work for the next, and nothing failed" "(True, True, True, True)" "$(cat rest.txt)"

finish
