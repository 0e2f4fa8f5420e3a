#!/usr/bin/env bash
# Replication end to end with our own servers only (so that it also runs
# under the sanitizers): a main daemon, a second ipfs-kit daemon as its
# `kubo` backend and a `filesystem` backend; pins with the default policy
# (min 2, max 3), their own (pin add --replication-min/-max/--allocations)
# and one that cannot be met; replication sync and status, route inspect
# (the exact JSON document) and stats, the metrics; a flipped byte found by
# the sampled re-verification and repaired; pin rm removing every copy; the
# main daemon SIGKILLed and restarted, its index counting nothing that is
# not there; route suggest and optimize (a plan, --apply); the backend daemon
# SIGKILLed: one alert, its copies made elsewhere after repair_grace, and
# trimmed back to the maximum when it returns; a hostile Kubo RPC stand-in
# (garbage or a truncated CAR on read-back): pin_error with the reason.
# Usage: replication.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1
MAIN="$TMP/repo"
OTHER="$TMP/other"
trap 'IPFS_KIT_PATH="$OTHER" "$K" daemon stop > /dev/null 2>&1; IPFS_KIT_PATH="$MAIN" "$K" daemon stop > /dev/null 2>&1; rm -rf "$TMP"' EXIT
state() { python3 -c "import json; print(json.load(open('$1/daemon.json'))['$2'])"; }
quiet_ports() { for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done; }

# ---- the backend daemon (another ipfs-kit, spoken to over Kubo's RPC) ----
IPFS_KIT_PATH="$OTHER" quiet_ports
# A fixed port for its RPC: it is killed and started again at the same address.
other_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
IPFS_KIT_PATH="$OTHER" "$K" config set daemon.rpc_address "127.0.0.1:$other_port" > /dev/null
IPFS_KIT_PATH="$OTHER" "$K" config set replication.enabled false > /dev/null
IPFS_KIT_PATH="$OTHER" "$K" daemon start --detach > /dev/null || fail "backend daemon start"
other_rpc=$(state "$OTHER" rpc)

# ---- the main daemon ----
quiet_ports
"$K" config set daemon.health_check_interval 1 > /dev/null
"$K" config set replication.min_replicas 2 > /dev/null
"$K" config set replication.max_replicas 3 > /dev/null
"$K" config set replication.check_interval 3600 > /dev/null  # passes on demand (replication sync)
"$K" config set replication.verify_interval 1 > /dev/null
"$K" config set replication.verify_sample 1000 > /dev/null
"$K" backend add other --type kubo "rpc=http://$other_rpc" failure_domain=host2 > /dev/null || fail "backend add other"
"$K" backend add disk --type filesystem "path=$TMP/flat" failure_domain=host1 > /dev/null || fail "backend add disk"
"$K" daemon start --detach > /dev/null || fail "daemon start"
wait_for 15 sh -c "'$K' health check other" || fail "other healthy: $("$K" health check other 2>&1)"

# Mixed sizes: small single blocks to multi-block files.
cids=()
for i in $(seq 1 12); do
  "$T" bytes "replication-$i" $((i * i * 9000)) > "f$i.bin"
  cids+=("$("$K" add -Q "f$i.bin")")
done
own=${cids[0]}
"$K" pin add --replication-max 2 --allocations disk "$own" > /dev/null || fail "pin add with a policy"
"$K" pin add --replication-min 0 "$own" > out.txt 2>&1; expect_eq "replication-min 0 refused" 2 $?
"$K" pin add --replication-min 3 --replication-max 2 "$own" > out.txt 2>&1; expect_eq "min above max refused" 2 $?
grep -q "may not exceed" out.txt && pass || fail "min above max message: $(cat out.txt)"
"$K" pin add --allocations ../x "$own" > out.txt 2>&1; expect_eq "bad allocation refused" 2 $?

"$K" replication sync > sync.txt 2>&1; expect_eq "sync meets every minimum" 0 $?
"$K" --json route inspect "${cids[5]}" > inspect.json || fail "route inspect"
expect_eq "route inspect document" \
  "['cid', 'replicas'] ['disk', 'ipfs', 'other'] ['pinned', 'pinned', 'pinned'] ['read-back', 'read-back', 'read-back'] [None, None, None] ['backend', 'error', 'status', 'verified_at', 'verified_by']" \
  "$(field 'sorted(j.keys()), [r["backend"] for r in j["replicas"]], [r["status"] for r in j["replicas"]], [r["verified_by"] for r in j["replicas"]], [r["error"] for r in j["replicas"]], sorted(j["replicas"][0].keys())' < inspect.json)"
# Every copy is really there: the other daemon has the pin, the directory the blocks.
IPFS_KIT_PATH="$OTHER" "$K" pin ls --type recursive > other-pins.txt
grep -q "${cids[5]}" other-pins.txt && pass || fail "the other daemon holds the pin"
"$K" backend verify disk "${cids[5]}" > /dev/null && pass || fail "disk holds the DAG"
# The pin's own policy: max 2 on its allocation (ipfs + disk), not on other.
# (The daemon's first pass may have run before the policy was set: then the
# extra copy was trimmed, and shows as unpinned.)
"$K" --json route inspect "$own" | field '[(r["backend"], r["status"]) for r in j["replicas"] if r["status"] != "unpinned"]' > own.txt
expect_eq "its own policy" "[('disk', 'pinned'), ('ipfs', 'pinned')]" "$(cat own.txt)"
"$K" --json replication status "$own" | field '(j["policy"]["min"], j["policy"]["max"], j["policy"]["allocations"], j["verified"], j["meets_minimum"])' > s.txt
expect_eq "replication status CID" "(2, 2, ['disk'], 2, True)" "$(cat s.txt)"
"$K" --json replication status | field '(j["pins"], j["under_replicated"], j["backends"]["other"]["replicas"]["pinned"], j["backends"]["disk"]["replicas"]["pinned"])' > st.txt
expect_eq "replication status" "(12, 0, 11, 12)" "$(cat st.txt)"
"$K" --json route stats | field '(j["backends"]["other"]["replicas"]["pinned"], j["backends"]["ipfs"]["replicas"]["pinned"], j["backends"]["other"]["health"])' > rs.txt
expect_eq "route stats" "(11, 12, 'healthy')" "$(cat rs.txt)"
curl -s "http://$(state "$MAIN" api)/metrics" > metrics.txt
grep -q 'ipfskit_replicas{backend="other",state="pinned"} 11' metrics.txt && pass || fail "ipfskit_replicas metric"
grep -q '^ipfskit_pins_under_replicated 0' metrics.txt && pass || fail "under-replicated metric"

# A pin that cannot be met: stays under-replicated, visibly, with the reason.
"$T" bytes replication-big 5000 > big.bin
big=$("$K" add -Q big.bin)
"$K" pin add --replication-min 4 --replication-max 4 "$big" > /dev/null
"$K" replication sync > /dev/null 2>&1  # makes the copies it can
"$K" replication sync > sync.txt 2>&1; expect_eq "sync fails while a pin is under-replicated" 6 $?
grep -q "1 pin(s) below their minimum" sync.txt && pass || fail "sync says why: $(cat sync.txt)"
"$K" --json replication status "$big" | field 'j["issue"]' > issue.txt
grep -q "needed 1 more, wanted at most 1, available 0" issue.txt && pass || fail "the issue names needed, wanted, available: $(cat issue.txt)"
"$K" --json route inspect "$big" | field 'sorted(r["status"] for r in j["replicas"])' > big.txt
expect_eq "its copies still made" "['pinned', 'pinned', 'pinned']" "$(cat big.txt)"
"$K" pin rm "$big" > /dev/null

# A flipped byte on disk: the sampled re-verification finds it, the next pass repairs it.
leaf=$("$K" refs "${cids[11]}" 2> /dev/null | head -1)
key=$(python3 -c "
import base64
a='123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
n=0
for c in '$leaf': n=n*58+a.index(c)
print(base64.b32encode(n.to_bytes(34,'big')).decode().rstrip('='))")
file="$TMP/flat/${key: -3:2}/$key.data"
[ -f "$file" ] && pass || fail "found the leaf's file at $file"
python3 -c "p='$file'; b=bytearray(open(p,'rb').read()); b[3]^=1; open(p,'wb').write(b)"
sleep 1.1  # replication.verify_interval
"$K" --json replication sync > s1.json 2> /dev/null
"$K" --json route inspect "${cids[11]}" | field '[(r["status"], r["error"]) for r in j["replicas"] if r["backend"] == "disk"][0]' > bad.txt
# Found either by this pass (then marked, and repaired by the next) or by a pass
# the daemon ran on its own meanwhile (pin rm above wakes it; then this one
# already repaired it): either way the flipped copy was caught, never kept.
if grep -q "pin_error.*1 corrupt" bad.txt || field 'j["repaired"] >= 1' < s1.json | grep -q True; then pass
else fail "the bad copy is marked or repaired: $(cat bad.txt) $(cat s1.json)"; fi
"$K" replication sync > /dev/null 2>&1
"$K" --json route inspect "${cids[11]}" | field '[r["status"] for r in j["replicas"] if r["backend"] == "disk"][0]' > good.txt
expect_eq "repaired from the local copy" pinned "$(cat good.txt)"
"$K" backend verify disk "${cids[11]}" > /dev/null && pass || fail "the repaired copy reads back"

# The local copy damaged (a byte flipped inside a pack): the sampled
# re-verification finds it, and a pass fetches the block back from a verified
# replica (the other daemon or the disk), re-hashed, before anything is pushed.
healed=${cids[10]}
if damage_pack "$IPFS_KIT_PATH" f11.bin; then
  "$K" repo verify > /dev/null 2>&1; expect_eq "the local damage is seen" 4 $?
  sleep 1.1  # replication.verify_interval
  "$K" --json replication sync > h1.json 2> /dev/null
  "$K" --json route inspect "$healed" | field '[(r["status"], r["error"]) for r in j["replicas"] if r["backend"] == "ipfs"][0]' > local.txt
  if grep -q "pin_error.*corrupt" local.txt || field 'j["healed"] >= 1' < h1.json | grep -q True; then pass
  else fail "the bad local copy is marked or healed: $(cat local.txt) $(cat h1.json)"; fi
  "$K" --json replication sync > h2.json 2> /dev/null
  expect_eq "healed once, by one of the two passes" 1 "$(python3 -c "import json; print(sum(json.load(open(f)).get('healed', 0) for f in ('h1.json', 'h2.json')))")"
  "$K" --json route inspect "$healed" | field '[r["status"] for r in j["replicas"] if r["backend"] == "ipfs"][0]' > local.txt
  expect_eq "the local copy counts again" pinned "$(cat local.txt)"
  "$K" repo verify > /dev/null 2>&1; expect_eq "repo verify after the heal" 0 $?
  "$K" cat "$healed" | cmp -s - f11.bin && pass || fail "healed content"
  grep -q "repaired from another replica" "$IPFS_KIT_PATH/logs/daemon.log" && pass || fail "the heal is logged"
else
  fail "could not find f11.bin's bytes in a pack"
fi

# pin rm removes every copy: unpinning -> unpinned.
gone=${cids[3]}
"$K" pin rm "$gone" > /dev/null || fail "pin rm"
"$K" --json route inspect "$gone" | field 'sorted((r["backend"], r["status"]) for r in j["replicas"])' > rm1.txt
expect_eq "marked for removal" "[('disk', 'unpinning'), ('ipfs', 'unpinned'), ('other', 'unpinning')]" "$(cat rm1.txt)"
"$K" replication sync > /dev/null 2>&1
"$K" --json route inspect "$gone" | field 'sorted((r["backend"], r["status"]) for r in j["replicas"])' > rm2.txt
expect_eq "removed" "[('disk', 'unpinned'), ('ipfs', 'unpinned'), ('other', 'unpinned')]" "$(cat rm2.txt)"
IPFS_KIT_PATH="$OTHER" "$K" pin ls --type recursive | grep -q "$gone" && fail "the other daemon still pins it" || pass
"$K" --json backend pins disk | grep -q "$gone" && fail "disk still lists it" || pass

# The main daemon SIGKILLed: the restarted one resumes, and every pinned row is real.
for i in $(seq 13 20); do
  "$T" bytes "replication-$i" $((i * 20000)) > "f$i.bin"
  cids+=("$("$K" add -Q "f$i.bin")")
done
("$K" replication sync > /dev/null 2>&1 &)
sleep 0.3
kill -9 "$(state "$MAIN" pid)"
sleep 0.5
rm -f "$MAIN/daemon.json"
"$K" daemon start --detach > /dev/null || fail "daemon restart"
wait_for 20 sh -c "'$K' replication sync" || fail "resumed: $("$K" replication sync 2>&1)"
bad=0
for c in "${cids[@]}"; do
  [ "$c" = "$gone" ] && continue
  states=$("$K" --json route inspect "$c" | field '" ".join(r["backend"]+"="+r["status"] for r in j["replicas"])')
  case "$states" in *other=pinned*) IPFS_KIT_PATH="$OTHER" "$K" pin ls "$c" > /dev/null 2>&1 || bad=$((bad + 1)) ;; esac
  case "$states" in *disk=pinned*) "$K" backend verify disk "$c" > /dev/null 2>&1 || bad=$((bad + 1)) ;; esac
done
expect_eq "no pinned row without its copy" 0 "$bad"

# route suggest and optimize (plans from the daemon's view of the backends).
"$K" --json route suggest --size 1000 | field '(sorted(j["plan"]["add"]), j["plan"]["needed"], j["plan"]["wanted"])' > sg.txt
expect_eq "route suggest" "(['disk', 'other'], 1, 2)" "$(cat sg.txt)"
"$K" --json route suggest --size 100000000000000000 | field 'j["plan"]["reasons"]["disk"]' > sg2.txt
grep -q "not enough free space" sg2.txt && pass || fail "route suggest weighs free space: $(cat sg2.txt)"
lower=${cids[6]}
"$K" pin add --replication-max 2 "$lower" > /dev/null
"$K" --json route optimize "$lower" | field '(j["applied"], len(j["plans"][0]["plan"]["drop"]))' > op.txt
expect_eq "route optimize plans a trim" "(False, 1)" "$(cat op.txt)"
"$K" --json route inspect "$lower" | field 'sorted(r["status"] for r in j["replicas"])' > op1.txt
expect_eq "a plan moves nothing" "['pinned', 'pinned', 'pinned']" "$(cat op1.txt)"
"$K" route optimize --apply "$lower" > /dev/null || fail "route optimize --apply"
"$K" --json route inspect "$lower" | field 'sorted(r["status"] for r in j["replicas"])' > op2.txt
expect_eq "--apply trims to the maximum" "['pinned', 'pinned', 'unpinned']" "$(cat op2.txt)"

# Repair: a backend down longer than replication.repair_grace has its copies
# made elsewhere; when it returns, the copies above the maximum are trimmed.
"$K" config set replication.repair_grace 2 > /dev/null
"$K" backend add disk2 --type filesystem "path=$TMP/flat2" > /dev/null || fail "backend add disk2"
wait_for 15 sh -c "'$K' health check disk2" || fail "disk2 healthy"
"$T" bytes replication-repair 300000 > rep.bin
rep=$("$K" add -Q rep.bin)
"$K" pin add --replication-min 3 --replication-max 3 --allocations other,disk "$rep" > /dev/null
"$K" replication sync > /dev/null 2>&1 || fail "sync before the outage"
"$K" --json route inspect "$rep" | field 'sorted(r["backend"] for r in j["replicas"] if r["status"] == "pinned")' > r0.txt
expect_eq "on its allocations" "['disk', 'ipfs', 'other']" "$(cat r0.txt)"
kill -9 "$(state "$OTHER" pid)"
wait_for 20 sh -c "'$K' --json backend status other | grep -q '\"health\":\"unhealthy\"'" || fail "other down"
sleep 2.5  # the grace
"$K" replication sync > sync.txt 2>&1; expect_eq "repaired past the grace" 0 $?
"$K" --json route inspect "$rep" | field 'sorted((r["backend"], r["status"]) for r in j["replicas"])' > r1.txt
expect_eq "a copy made elsewhere" "[('disk', 'pinned'), ('disk2', 'pinned'), ('ipfs', 'pinned'), ('other', 'pinned')]" "$(cat r1.txt)"
"$K" --json health alerts | field 'len([a for a in j["active"] if a["backend"] == "other"])' > a.txt
expect_eq "one alert for the outage" 1 "$(cat a.txt)"
rm -f "$OTHER/daemon.json"
IPFS_KIT_PATH="$OTHER" "$K" daemon start --detach > /dev/null || fail "backend daemon restart"
wait_for 20 sh -c "'$K' health check other" || fail "other back"
"$K" replication sync > /dev/null 2>&1 || fail "sync after the return"
"$K" --json route inspect "$rep" | field 'sorted((r["backend"], r["status"]) for r in j["replicas"])' > r2.txt
expect_eq "trimmed to the maximum on its return" "[('disk', 'pinned'), ('disk2', 'unpinned'), ('ipfs', 'pinned'), ('other', 'pinned')]" "$(cat r2.txt)"

# Bad input: a Kubo RPC stand-in (written from Kubo's RPC documentation) that
# takes the DAG, claims to pin it and then hands back garbage, or a CAR cut
# short: the copy is pin_error with the reason, never pinned; the daemon lives.
for mode in garbage truncated; do
  hport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 - "$hport" "$mode" <<'PY' &
import http.server, json, sys, urllib.parse
port, mode = int(sys.argv[1]), sys.argv[2]
class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, body, ctype="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        args = urllib.parse.parse_qs(url.query)
        if self.headers.get("Transfer-Encoding", "") == "chunked":
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                self.rfile.read(size + 2)
        else:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
        cmd = url.path.removeprefix("/api/v0/")
        if cmd == "version":
            self.reply(b'{"Version":"0.30.0"}')
        elif cmd == "repo/stat":
            self.reply(b'{"RepoSize":0,"StorageMax":100000000000,"NumObjects":0}')
        elif cmd == "dag/import":
            self.reply(b'{"Stats":{"BlockCount":1,"BlockBytesCount":1}}\n')
        elif cmd == "pin/add":
            self.reply(json.dumps({"Pins": args.get("arg", [])}).encode())
        elif cmd == "dag/export":
            if mode == "garbage":
                self.reply(b"\xff" * 4096, "application/vnd.ipld.car")
            else:  # a CARv1 header announcing the root, then nothing
                self.reply(bytes.fromhex("3aa265726f6f747381d82a58") + b"\x00" * 8, "application/vnd.ipld.car")
        elif cmd == "pin/ls":
            self.reply(b'{"Keys":{}}')
        else:
            self.reply(b"{}")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Hostile).serve_forever()
PY
  hpid=$!
  "$K" backend add "hostile-$mode" --type kubo "rpc=http://127.0.0.1:$hport" > /dev/null || fail "backend add hostile-$mode"
  wait_for 15 sh -c "'$K' health check hostile-$mode" || fail "hostile-$mode answers probes"
  "$T" bytes "replication-hostile-$mode" 200000 > h.bin
  h=$("$K" add -Q h.bin)
  "$K" pin add --replication-min 2 --replication-max 2 --allocations "hostile-$mode" "$h" > /dev/null
  "$K" replication sync > sync.txt 2>&1; expect_eq "sync reports the pin under-replicated ($mode)" 6 $?
  "$K" --json route inspect "$h" | field '[(r["status"], r["verified_by"], r["error"]) for r in j["replicas"] if r["backend"] == "hostile-'"$mode"'"][0]' > h.txt
  grep -q "^('pin_error', None, '.*hostile-$mode" h.txt && pass || fail "a hostile backend's copy is pin_error with the reason ($mode): $(cat h.txt)"
  kill -0 "$(state "$MAIN" pid)" 2> /dev/null && pass || fail "the daemon survived the hostile backend ($mode)"
  "$K" pin rm "$h" > /dev/null
  "$K" backend rm "hostile-$mode" > /dev/null
  kill "$hpid"
done

# Read without the daemon.
"$K" daemon stop > /dev/null || fail "daemon stop"
"$K" --json route inspect "${cids[5]}" | field 'len(j["replicas"])' > off.txt
expect_eq "route inspect without the daemon" 3 "$(cat off.txt)"
"$K" route suggest > out.txt 2>&1; expect_eq "route suggest needs the daemon's view of the backends" 6 $?
finish
