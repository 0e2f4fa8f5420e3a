#!/usr/bin/env bash
# Reads that fall back to backends, and `backend restore`, with filesystem
# backends only (no server but our own, so that it also runs under the
# sanitizers; s3 and kubo restores are in tests/interop/backends.test.mjs):
#  - a repository that lacks a block: cat, get, block get, the gateway (path,
#    raw and CAR) fetch it from a backend, verified; a backend that sends
#    wrong bytes is refused and the next one used; with none holding it, a
#    clear NotFound; the fetched blocks are cached unpinned (gc removes them);
#    the fallback header asks our gateway for its repository alone;
#  - backend restore into a fresh repository (names, metadata, content byte
#    for byte, repo verify clean), re-run (complete), dry run, a damaged
#    repository repaired (a byte flipped in a pack), a backend missing a
#    block (that pin fails, the others are restored), bad names.
# Usage: fallback.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1
MAIN="$TMP/repo"
trap 'IPFS_KIT_PATH="$MAIN" "$K" daemon stop > /dev/null 2>&1; IPFS_KIT_PATH="$TMP/fresh" "$K" daemon stop > /dev/null 2>&1; rm -rf "$TMP"' EXIT
state() { python3 -c "import json; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['$1'])"; }
# Flatfs path of a block under DIR (next-to-last/2), from its CIDv0/v1 text.
flatfs_file() {
  python3 - "$1" "$2" << 'EOF'
import base64, sys
cid, root = sys.argv[1], sys.argv[2]
if cid.startswith('Qm'):
    a = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
    n = 0
    for c in cid: n = n * 58 + a.index(c)
    mh = n.to_bytes(34, 'big')
else:
    raw = base64.b32decode(cid[1:].upper() + '=' * (-len(cid[1:]) % 8))
    # version 1, then the codec varint, then the multihash
    i = 1
    while raw[i] & 0x80: i += 1
    mh = raw[i + 1:]
key = base64.b32encode(mh).decode().rstrip('=')
print(f"{root}/{key[-3:-1]}/{key}.data")
EOF
}
configure() {  # the same backends and ports-0 daemon settings in the repository of $IPFS_KIT_PATH
  for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
  "$K" config set daemon.health_check_interval 1 > /dev/null
  "$K" config set daemon.health_check_timeout 2 > /dev/null
  # Backends here are filled and damaged by hand: the daemon's own replication would race with that.
  "$K" config set replication.enabled false > /dev/null
  "$K" backend add diskA --type filesystem "path=$TMP/flatA" > /dev/null || fail "backend add diskA"
  "$K" backend add diskB --type filesystem "path=$TMP/flatB" > /dev/null || fail "backend add diskB"
}

# ---- the main repository pushes three pins to two filesystem backends ----
configure
"$T" bytes fallback-one 1500000 > one.bin
"$T" bytes fallback-two 300000 > two.bin
mkdir -p tree/sub && "$T" bytes fallback-three 70000 > tree/sub/three.bin && echo hello > tree/a.txt
one=$("$K" add -Q --pin-name one --pin-meta team=infra --pin-meta tier=gold one.bin)
two=$("$K" add -Q --cid-version 1 --pin-name two two.bin)
dir=$("$K" add -Q -r --pin-name tree tree)
"$K" daemon start --detach > /dev/null || fail "daemon start"
for c in "$one" "$two" "$dir"; do
  "$K" backend push diskA "$c" > /dev/null || fail "push $c to diskA"
done
"$K" backend push diskB "$one" > /dev/null || fail "push one to diskB"
"$K" daemon stop > /dev/null || fail "daemon stop"
leaf=$("$K" refs "$one" | head -1)

# ---- fallback: a fresh repository with the backends and nothing else ----
export IPFS_KIT_PATH="$TMP/fresh"
configure
"$K" block stat "$leaf" > /dev/null 2>&1; expect_eq "the fresh repository lacks the block" 3 $?
"$K" cat "$one" > got.bin 2> err.txt || fail "cat from the backends: $(cat err.txt)"
cmp -s got.bin one.bin && pass || fail "cat from the backends: wrong bytes"
"$K" block stat "$leaf" > /dev/null 2>&1; expect_eq "the fetched block is cached" 0 $?
"$K" repo verify > /dev/null 2>&1; expect_eq "the cache verifies" 0 $?
"$K" pin ls --type recursive 2> /dev/null | grep -q "$one" && fail "a fallback read pinned" || pass
"$K" repo gc > /dev/null || fail "gc"
"$K" block stat "$leaf" > /dev/null 2>&1; expect_eq "gc removes the unpinned cache" 3 $?
"$K" get "$dir" -o tree.out > /dev/null 2>&1 || fail "get a directory from the backends"
cmp -s tree.out/sub/three.bin tree/sub/three.bin && cmp -s tree.out/a.txt tree/a.txt && pass || fail "get: wrong tree"
"$K" ls "$dir" | grep -q 'sub/' && pass || fail "ls from the backends"
"$K" block get "$leaf" | cmp -s - <(IPFS_KIT_PATH="$MAIN" "$K" block get "$leaf") && pass || fail "block get from the backends"

# A backend that sends wrong bytes is refused, the next one serves.
"$K" config set retrieval.cache false > /dev/null
"$K" repo gc > /dev/null
fa=$(flatfs_file "$leaf" "$TMP/flatA")
[ -f "$fa" ] || fail "no flatfs file $fa"
cp "$fa" good.data
python3 -c "
p='$fa'; b=bytearray(open(p,'rb').read()); b[100]^=1; open(p,'wb').write(b)"
"$K" cat "$one" > got.bin 2> err.txt || fail "cat with diskA lying: $(cat err.txt)"
cmp -s got.bin one.bin && pass || fail "cat with diskA lying: wrong bytes"
# diskA alone: refused, a clear error, nothing written out of it.
"$K" config set backends.diskB.enabled false > /dev/null
"$K" cat "$one" > got.bin 2> err.txt; expect_eq "only a lying backend: Corruption" 4 $?
grep -q "diskA: sent bad data (refused)" err.txt && pass || fail "the refusal is named: $(cat err.txt)"
"$K" block stat "$leaf" > /dev/null 2>&1; expect_eq "a refused block is never stored" 3 $?
cp good.data "$fa"
"$K" config set backends.diskB.enabled true > /dev/null
"$K" config set retrieval.cache true > /dev/null
# Nobody has it: NotFound, naming what each backend said.
missing=$("$K" add -Q -n --cid-version 1 <(echo "nobody has this $RANDOM"))
"$K" cat "$missing" > /dev/null 2> err.txt; expect_eq "no backend holds it: NotFound" 3 $?
grep -q "diskA: not there" err.txt && grep -q "diskB: not there" err.txt && pass || fail "NotFound names the backends: $(cat err.txt)"
# Off: the repository alone.
"$K" config set retrieval.fallback false > /dev/null
"$K" cat "$two" > /dev/null 2>&1; expect_eq "retrieval.fallback false: the repository alone" 3 $?
"$K" config set retrieval.fallback true > /dev/null

# The gateway of a daemon whose repository lacks the blocks.
"$K" daemon start --detach > /dev/null || fail "daemon start (fresh)"
gw="http://$(state gateway)"
curl -sf "$gw/ipfs/$two" -o gw.bin && cmp -s gw.bin two.bin && pass || fail "gateway path from the backends"
curl -sf -H 'Accept: application/vnd.ipld.raw' "$gw/ipfs/$leaf" -o raw.bin \
  && cmp -s raw.bin <(IPFS_KIT_PATH="$MAIN" "$K" block get "$leaf") && pass || fail "gateway raw block from the backends"
curl -sf "$gw/ipfs/$dir?format=car" -o tree.car || fail "gateway CAR from the backends"
"$K" dag import tree.car > /dev/null 2>&1 || fail "the CAR imports"
"$K" cat "$dir/sub/three.bin" | cmp -s - tree/sub/three.bin && pass || fail "the CAR holds the tree"
# The header other nodes send when they fall back to us: our repository alone.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Ipfs-Kit-Fallback: 1' -H 'Accept: application/vnd.ipld.raw' "$gw/ipfs/$missing")
expect_eq "fallback requests are answered locally" 404 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Cache-Control: only-if-cached' "$gw/ipfs/$missing?format=raw")
expect_eq "only-if-cached: 412 when not here" 412 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$gw/ipfs/$missing")
expect_eq "gateway: nobody has it" 404 "$code"
curl -s "http://$(state api)/metrics" > metrics.txt
grep -qE '^ipfskit_fallback_blocks_total\{result="served"\} [1-9]' metrics.txt && pass \
  || fail "fallback metrics: $(grep fallback metrics.txt)"
grep -qE '^ipfskit_fallback_cached_blocks_total [1-9]' metrics.txt && pass || fail "cache metric: $(grep fallback metrics.txt)"
"$K" daemon stop > /dev/null || fail "daemon stop (fresh)"

# ---- backend restore: a fresh repository gets every pin back ----
export IPFS_KIT_PATH="$TMP/restored"
configure
"$K" --json backend restore diskA --dry-run > dry.json; expect_eq "dry run" 0 $?
expect_eq "dry run: three to restore" 3 "$(field 'j["would_restore"]' < dry.json)"
expect_eq "a dry run records no copy" 0 "$(field 'j["replicas_recorded"]' < dry.json)"
"$K" pin ls --type recursive -q | grep -q . && fail "a dry run pinned" || pass
"$K" backend restore diskA > restore.txt 2>&1 || fail "backend restore diskA: $(cat restore.txt)"
grep -q "3 pins, 3 restored" restore.txt && pass || fail "summary: $(cat restore.txt)"
"$K" --json pin ls --type recursive --metadata > pins.json
python3 - "$one" "$two" "$dir" << 'EOF' && pass || fail "restored pins: $(cat pins.json)"
import json, sys
one, two, d = sys.argv[1:4]
pins = {p['Cid']: p for p in map(json.loads, filter(None, open('pins.json').read().splitlines()))}
def get(c):
    return pins[c].get('Name'), pins[c].get('Metadata', {})
assert get(one) == ('one', {'team': 'infra', 'tier': 'gold'}), get(one)
assert get(two)[0] == 'two', get(two)
assert get(d)[0] == 'tree', get(d)
assert len(pins) == 3, pins
EOF
"$K" cat "$one" | cmp -s - one.bin && "$K" cat "$two" | cmp -s - two.bin \
  && "$K" cat "$dir/sub/three.bin" | cmp -s - tree/sub/three.bin && pass || fail "restored content byte for byte"
"$K" config set retrieval.fallback false > /dev/null  # from here, what is HERE
"$K" repo verify > /dev/null 2>&1; expect_eq "repo verify after restore" 0 $?
"$K" --json backend restore diskA > again.json || fail "re-run"
expect_eq "a re-run finds every pin complete" 3 "$(field 'j["complete"]' < again.json)"
expect_eq "a re-run fetches nothing" 0 "$(field 'j["blocks_fetched"]' < again.json)"
# The copies restored from are in the replica index, proved by the restore's
# own read-back (so a daemon does not push them to diskA again); a re-run
# finds them known and reads nothing back.
"$K" --json route inspect "$one" > inspect.json
expect_eq "the restored-from copy is recorded" "pinned read-back" \
  "$(field '" ".join([r["status"] + " " + r["verified_by"] for r in j["replicas"] if r["backend"] == "diskA"])' < inspect.json)"
expect_eq "a re-run records no copy again" 0 "$(field 'j["replicas_recorded"]' < again.json)"

# A damaged repository: a byte flipped inside a pack; restore repairs it.
if damage_pack "$IPFS_KIT_PATH" one.bin; then
  "$K" repo verify > /dev/null 2>&1; expect_eq "the damage is seen" 4 $?
  "$K" --json backend restore diskA > repair.json || fail "restore repairs: $(cat repair.json)"
  expect_eq "one block repaired" 1 "$(field 'j["blocks_repaired"]' < repair.json)"
  "$K" repo verify > /dev/null 2>&1; expect_eq "repo verify after the repair" 0 $?
  "$K" cat "$one" | cmp -s - one.bin && pass || fail "repaired content"
else
  fail "could not find one.bin's bytes in a pack"
fi

# A damaged repository: blocks dropped from the packs' index; restore brings them back.
python3 - "$IPFS_KIT_PATH/index.sqlite" << 'EOF' || fail "could not edit the index"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("DELETE FROM blocks WHERE mh IN (SELECT mh FROM blocks WHERE size > 1000 ORDER BY mh LIMIT 3)").rowcount
db.commit()
sys.exit(0 if n == 3 else 1)
EOF
"$K" pin verify > /dev/null 2>&1 && fail "pin verify missed the dropped blocks" || pass
"$K" --json backend restore diskA > reindex.json || fail "restore after index damage: $(cat reindex.json)"
expect_eq "three blocks fetched back" 3 "$(field 'j["blocks_fetched"]' < reindex.json)"
"$K" pin verify > /dev/null 2>&1; expect_eq "pin verify after the restore" 0 $?
"$K" repo verify > /dev/null 2>&1; expect_eq "repo verify after the restore" 0 $?

# A backend missing a block: that pin fails, the others are restored.
export IPFS_KIT_PATH="$TMP/partial"
configure
rm -f "$(flatfs_file "$(IPFS_KIT_PATH="$MAIN" "$K" refs "$two" | head -1)" "$TMP/flatA")"
"$K" config set retrieval.fallback false > /dev/null
"$K" --json backend restore diskA > partial.json 2> partial.err; expect_eq "a failed pin fails the batch" 3 $?
expect_eq "two restored, one failed" "2 1" "$(field 'str(j["restored"]) + " " + str(j["failed"])' < partial.json)"
field '[p["status"] for p in j["pins_restored"] if p["cid"] == "'"$two"'"][0]' < partial.json > st.txt
expect_eq "the broken pin is named" failed "$(cat st.txt)"
"$K" cat "$one" | cmp -s - one.bin && pass || fail "the others are there"

# Bad names.
"$K" backend restore nosuch > out.txt 2>&1; expect_eq "unknown backend" 3 $?
"$K" backend restore ipfs > out.txt 2>&1; expect_eq "the repository itself" 2 $?
"$K" backend restore lassie > out.txt 2>&1; expect_eq "an unconfigured backend" 6 $?
grep -q "set backends.lassie.url" out.txt && pass || fail "names the key: $(cat out.txt)"
finish
