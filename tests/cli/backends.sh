#!/usr/bin/env bash
# Backends through the CLI and a real daemon, with no server but our own (so
# that it also runs under the sanitizers): backend add|rm|types|list|status,
# a filesystem backend (push, pins, verify, get, a flipped byte found), the
# seeds' lassie pointed at our own gateway, an unreachable S3 endpoint going
# down with one alert, a supervised process restarted after SIGKILL and
# stopped with the daemon, its log, secrets never shown, bad input refused.
# Usage: backends.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1
trap '"$K" daemon stop > /dev/null 2>&1; rm -rf "$TMP"' EXIT
for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
"$K" config set daemon.health_check_interval 1 > /dev/null
"$K" config set daemon.health_check_timeout 2 > /dev/null
state() { python3 -c "import json; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['$1'])"; }

# ---- configuration ----
"$K" backend add x --type tape > out.txt 2>&1; expect_eq "unknown type refused" 2 $?
grep -q 'unknown backend type "tape"' out.txt && pass || fail "unknown type message: $(cat out.txt)"
"$K" backend add x --type filesystem path=/tmp colour=red > out.txt 2>&1; expect_eq "unknown field refused" 2 $?
grep -q 'unknown field "colour" for type filesystem' out.txt && pass || fail "unknown field message: $(cat out.txt)"
"$K" backend add x --type s3 bucket=b > out.txt 2>&1; expect_eq "missing fields refused" 2 $?
grep -q 'set backends.x.access_key' out.txt && pass || fail "missing field message: $(cat out.txt)"
"$K" backend add disk --type filesystem "path=$TMP/flat" tags=local,ssd failure_domain=host1 > /dev/null || fail "backend add disk"
"$K" backend add s3x --type s3 endpoint=http://127.0.0.1:1 bucket=b access_key=AKIDSECRET1 secret_key=VERYSECRET2 > /dev/null \
  || fail "backend add s3x"
"$K" backend add sup --type gateway url=http://127.0.0.1:1 command=sh \
  'args=["-c","echo supervised-hello; exec sleep 1000"]' env.TOKEN=ENVSECRET3 > /dev/null || fail "backend add sup"
"$K" backend add disk --type filesystem path=/tmp > /dev/null 2>&1; expect_eq "adding twice refused" 10 $?
"$K" backend rm lassie > /dev/null 2>&1; expect_eq "a seed cannot be removed" 2 $?
"$K" config show > show.txt
for secret in AKIDSECRET1 VERYSECRET2 ENVSECRET3; do
  grep -q "$secret" show.txt && fail "config show prints $secret" || pass
done
"$K" backend types | grep -q '^s3: ' && pass || fail "backend types"
"$K" --json backend list | field 'j["disk"]["health"]' > h.txt; expect_eq "offline listing" unknown "$(cat h.txt)"

# ---- the daemon ----
# Copies are pushed and damaged by hand here: the daemon's own replication (which would push to disk
# on its own) is tested in replication.sh.
"$K" config set replication.enabled false > /dev/null
"$K" daemon start --detach > /dev/null || fail "daemon start"
"$T" bytes backends-cli 1500000 > data.bin
cid=$("$K" add -Q --pin-name docs --pin-meta team=infra data.bin)
"$K" --json backend push disk "$cid" > push.json || fail "backend push disk: $(cat push.json)"
expect_eq "pushed and read back" read-back "$(field 'j["verified_by"]' < push.json)"
"$K" --json backend pins disk | field '[(p["cid"], p["name"], p["meta"]) for p in j]' > pins.txt
expect_eq "pins on disk" "[('$cid', 'docs', {'team': 'infra'})]" "$(cat pins.txt)"
"$K" backend verify disk "$cid" > /dev/null; expect_eq "verify disk" 0 $?
[ "$(cat "$TMP/flat/SHARDING")" = "/repo/flatfs/shard/v1/next-to-last/2" ] && pass || fail "SHARDING"
leaf=$("$K" refs "$cid" | head -1)
key=$(python3 -c "
import base64,sys
a='123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
n=0
for c in '$leaf': n=n*58+a.index(c)
print(base64.b32encode(n.to_bytes(34,'big')).decode().rstrip('='))")
file="$TMP/flat/${key: -3:2}/$key.data"
cmp -s "$file" <("$K" block get "$leaf") && pass || fail "the leaf is at Kubo's flatfs path $file"
"$K" backend get disk "$leaf" -o got.bin && cmp -s got.bin <("$K" block get "$leaf") && pass || fail "backend get disk"
python3 -c "
p='$file'; b=bytearray(open(p,'rb').read()); b[7]^=1; open(p,'wb').write(b)"
"$K" backend get disk "$leaf" -o never.bin > out.txt 2>&1; expect_eq "a flipped byte is refused" 4 $?
[ ! -e never.bin ] && pass || fail "corrupt bytes were written out"
"$K" --json backend verify disk "$cid" > v.json 2> /dev/null; expect_eq "verify finds it" 4 $?
expect_eq "one corrupt block" 1 "$(field 'j["corrupt"]' < v.json)"
"$K" backend push disk "$cid" > /dev/null && "$K" backend verify disk "$cid" > /dev/null && pass || fail "push repairs it"
"$K" --json backend usage disk | field 'j["usage"]["pins"]' > u.txt; expect_eq "usage" 1 "$(cat u.txt)"
"$K" backend unpin disk "$cid" > /dev/null || fail "unpin"
"$K" --json backend pins disk > pins.json; expect_eq "no pins left" "[]" "$(cat pins.json)"

# The seeds' lassie, pointed at our own gateway.
"$K" config set backends.lassie.url "http://$(state gateway)" > /dev/null
wait_for 10 sh -c "'$K' health check lassie" || fail "lassie healthy: $("$K" health check lassie 2>&1)"
"$K" backend verify lassie "$cid" > /dev/null; expect_eq "verify through the gateway" 0 $?
"$K" backend push lassie "$cid" > out.txt 2>&1; expect_eq "a gateway holds no pins" 9 $?

# An unreachable S3 endpoint: down after two missed probes, one alert.
wait_for 15 sh -c "'$K' --json backend status s3x | grep -q '\"health\":\"unhealthy\"'" || fail "s3x down"
sleep 2
"$K" --json health alerts | field 'len([a for a in j["active"] if a["backend"] == "s3x"])' > a.txt
expect_eq "one alert for one outage" 1 "$(cat a.txt)"
expect_eq "one 'backend down' log line" 1 "$(grep -c 'msg="backend down" backend=s3x' "$IPFS_KIT_PATH/logs/daemon.log")"
"$K" health check > /dev/null 2>&1; expect_eq "health check fails while a backend is down" 6 $?
curl -s "http://$(state api)/metrics" > metrics.txt
grep -q 'ipfskit_backend_up{backend="s3x"} 0' metrics.txt && pass || fail "backend_up metric"
grep -q 'ipfskit_backend_up{backend="disk"} 1' metrics.txt && pass || fail "backend_up metric (disk)"
if command -v promtool > /dev/null; then
  promtool check metrics < metrics.txt > promtool.txt 2>&1 && pass || fail "promtool: $(head -3 promtool.txt)"
fi
curl -s "http://$(state api)/status" > status.json
for secret in AKIDSECRET1 VERYSECRET2 ENVSECRET3; do
  grep -q "$secret" status.json "$IPFS_KIT_PATH/logs/daemon.log" && fail "$secret shown by the API or the log" || pass
done
"$K" backend rm s3x > /dev/null || fail "backend rm s3x"
"$K" backend status s3x > /dev/null 2>&1; expect_eq "removed" 3 $?

# The supervised process.
pid=$("$K" --json backend status sup | field 'j["sup"]["process"]["pid"]')
[ "$pid" != "None" ] && kill -0 "$pid" 2> /dev/null && pass || fail "sup runs"
kill -9 "$pid"
wait_for 10 sh -c "'$K' --json backend status sup | python3 -c 'import json,sys; p=json.load(sys.stdin)[\"sup\"][\"process\"]; sys.exit(0 if p[\"state\"]==\"running\" and p[\"pid\"] not in (None, $pid) else 1)'" \
  && pass || fail "restarted after SIGKILL"
"$K" log tail --backend sup -n 50 > log.txt
grep -q supervised-hello log.txt && pass || fail "its output is in its log: $(cat log.txt)"
grep -q 'killed by signal 9' log.txt && pass || fail "its exit is in its log"
"$K" log tail --backend ../x > /dev/null 2>&1; expect_eq "log tail refuses a path" 2 $?
"$K" backend stop sup > /dev/null || fail "backend stop sup"
expect_eq "stopped" stopped "$("$K" --json backend status sup | field 'j["sup"]["process"]["state"]')"
"$K" backend start sup > /dev/null || fail "backend start sup"
pid=$("$K" --json backend status sup | field 'j["sup"]["process"]["pid"]')
"$K" backend stop disk > out.txt 2>&1; expect_eq "a backend without a process cannot be stopped" 9 $?

# The daemon stops its processes with it.
"$K" daemon stop > /dev/null || fail "daemon stop"
wait_for 5 sh -c "! kill -0 $pid 2> /dev/null" && pass || fail "the supervised process stopped with the daemon"
finish
