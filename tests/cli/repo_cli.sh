#!/usr/bin/env bash
# The repository through the command line: content commands, pins with names
# and metadata, garbage collection, the seeds' spellings, concurrent writers,
# and DAGs whose names try to escape the output directory.
# Usage: repo_cli.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1

expect_eq init-prints-peer "peer identity: 12D3KooW" "$("$K" init | grep -o 'peer identity: 12D3KooW')"
expect_eq id-format "$("$K" id -f '<id>')" "$("$K" id --json | sed 's/.*"ID":"\([^"]*\)".*/\1/')"
"$K" init > /dev/null 2>&1 && fail "second init succeeded" || pass

# add pins its root by default, with a name and metadata.
"$T" bytes repo-cli 3000000 > big.bin
root=$("$K" add -Q --pin-name=big --pin-meta owner=alice --pin-meta kind=test big.bin)
expect_eq pinned "$root recursive big kind=test,owner=alice" "$("$K" pin ls --type=recursive --metadata)"
expect_eq cat "$(sha256sum < big.bin)" "$("$K" cat "$root" | sha256sum)"
expect_eq cat-range "$(tail -c +1000001 big.bin | head -c 5000 | sha256sum)" "$("$K" cat -o 1000000 -l 5000 "$root" | sha256sum)"
expect_eq ipfs-cat "$(sha256sum < big.bin)" "$("$K" ipfs cat "$root" | sha256sum)"
unpinned=$(echo "not pinned" | "$K" add -Q --pin=false)
"$K" pin ls "$unpinned" > /dev/null 2>&1 && fail "--pin=false pinned" || pass
"$K" add --pin=false --pin-name=x big.bin > /dev/null 2>&1 && fail "--pin-name without pin accepted" || pass

# Directories: get, ls, refs, paths.
mkdir -p site/css
echo '<h1>hi</h1>' > site/index.html
echo 'body{}' > site/css/style.css
ln -s index.html site/home.html
site=$("$K" add -r -Q site)
"$K" get "$site" -o out > /dev/null 2>&1
diff -r --no-dereference site out > /dev/null && pass || fail "get does not reproduce the tree"
[ -L out/home.html ] && [ "$(readlink out/home.html)" = index.html ] && pass || fail "symlink not restored"
# css/ is a directory, home.html a symlink (its node is 16 bytes), index.html 12 bytes.
expect_eq ls-size "- 16 12 " "$("$K" ls "$site" | awk '{print $2}' | tr '\n' ' ')"
expect_eq cat-path "body{}" "$("$K" cat "/ipfs/$site/css/style.css")"
expect_eq refs-count 4 "$("$K" refs -r "$site" | wc -l)"
"$K" get "$site" -o out > /dev/null 2>&1 && fail "get overwrote an existing output" || pass

# dag export / import round trip between repositories.
"$K" dag export "$site" > site.car
IPFS_KIT_PATH=$TMP/other "$K" dag import site.car | grep -q "Pinned root	$site	success" && pass || fail "dag import"
expect_eq dag-stat "$("$K" dag stat "$site")" "$(IPFS_KIT_PATH=$TMP/other "$K" dag stat "$site")"
"$K" dag export --car-version=2 -o site-v2.car "$site"
IPFS_KIT_PATH=$TMP/third "$K" dag import site-v2.car > /dev/null && pass || fail "CARv2 import"
expect_eq carv2-content "body{}" "$(IPFS_KIT_PATH=$TMP/third "$K" cat "$site/css/style.css")"

# block put/get/stat/rm.
bc=$(printf 'raw block' | "$K" block put)
expect_eq block-put-digest "$(printf 'raw block' | sha256sum | cut -d' ' -f1)" "$("$K" cid format -f %D -b base16 "$bc")"
expect_eq block-put-codec raw "$("$K" cid format -f %c "$bc")"
expect_eq block-get "raw block" "$("$K" block get "$bc")"
expect_eq block-stat "Key: $bc
Size: 9" "$("$K" block stat "$bc")"
expect_eq block-rm "removed $bc" "$("$K" block rm "$bc")"
"$K" block rm "$root" > /dev/null 2>&1 && fail "removed a pinned block" || pass

# Pins: the seeds' comma batches, update, verify, rm, gc.
a=$(echo a | "$K" add -Q --pin=false)
b=$(echo b | "$K" add -Q --pin=false)
c=$(echo c | "$K" add -Q --pin=false)
"$K" pin add "$a,$b,$c" --parallel --name batch > /dev/null && pass || fail "pin add a,b,c --parallel"
expect_eq pin-list-name 3 "$("$K" pin list --name batch | wc -l)"
expect_eq pin-list-limit 2 "$("$K" pin list --limit 2 | wc -l)"
d=$(echo d | "$K" add -Q --pin=false)
"$K" pin add --direct "$d" > /dev/null && pass || fail "pin add --direct"
"$K" pin update "$d" "$root" > /dev/null 2>&1 && fail "pin update accepted a non-recursive 'from'" || pass
e=$(echo e | "$K" add -Q --pin-name=moving --pin-meta stage=1)
"$K" pin update "$e" "$c" > /dev/null && pass || fail "pin update"
expect_eq pin-update-moves-name "$c recursive moving stage=1" "$("$K" pin ls --metadata "$c")"
"$K" pin ls "$e" > /dev/null 2>&1 && fail "pin update left the old pin" || pass
"$K" pin remove "$b" > /dev/null && pass || fail "pin remove"
"$K" pin verify > /dev/null && pass || fail "pin verify"
gc_out=$("$K" repo gc 2> gc-summary.txt)
echo "$gc_out" | grep -q "removed $b" && pass || fail "gc did not remove the unpinned block"
echo "$gc_out" | grep -q "removed $a" && fail "gc removed a pinned block" || pass
grep -q "freed" gc-summary.txt && pass || fail "gc did not report what it freed"
expect_eq after-gc "$(sha256sum < big.bin)" "$("$K" cat "$root" | sha256sum)"
"$K" repo verify > /dev/null && pass || fail "repo verify after gc"
# Pins now: big, site, a, c (carrying e's name), d.
"$K" repo stat | grep -q "^Pins: *5" && pass || fail "repo stat pins: $("$K" repo stat)"

# add a,b,c --parallel (the seeds' batch spelling) and two writers at once.
"$T" bytes p1 500000 > p1.bin; "$T" bytes p2 500000 > p2.bin; "$T" bytes p3 500000 > p3.bin
expect_eq add-parallel 3 "$("$K" add --parallel p1.bin,p2.bin,p3.bin | grep -c '^added')"
"$T" tree w1 w1 300 500000; "$T" tree w2 w2 300 500000
"$K" add -r -Q w1 > w1.cid & p1=$!
"$K" add -r -Q w2 > w2.cid & p2=$!
wait $p1 && wait $p2 && pass || fail "concurrent adds failed"
"$K" get "$(cat w1.cid)" -o w1-out > /dev/null 2>&1 && diff -r --no-dereference w1 w1-out > /dev/null && pass || fail "concurrent add 1 unreadable"
"$K" get "$(cat w2.cid)" -o w2-out > /dev/null 2>&1 && diff -r --no-dereference w2 w2-out > /dev/null && pass || fail "concurrent add 2 unreadable"
"$K" repo verify > /dev/null && pass || fail "repo verify after concurrent adds"

# A hostile directory: an entry named "../escape" (dag-pb built by hand).
file_cid=$(echo payload | "$K" add -Q --cid-version=1 --raw-leaves)
cid_hex=$("$K" cid format -f %D -b base16 "$file_cid")   # digest only
# PBLink{Hash: 01 55 12 20 <digest>, Name: "../escape", Tsize: 8}, Data: 08 01
link=$(printf '0a2401551220%s1209%s1808' "$cid_hex" "$(printf '../escape' | od -An -tx1 | tr -d ' \n')")
node=$(printf '12%02x%s0a020801' $(( ${#link} / 2 )) "$link")
echo -n "$node" | xxd -r -p > hostile.bin 2>/dev/null || python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$node" > hostile.bin
hostile=$("$K" block put --cid-codec=dag-pb < hostile.bin)
mkdir -p jail
"$K" get "$hostile" -o jail/out > get.out 2> get.err
status=$?
[ $status -ne 0 ] && [ $status -lt 128 ] && pass || fail "get of a hostile DAG: status $status"
grep -q "unsafe entry name" get.err && pass || fail "get error does not explain: $(cat get.err)"
[ ! -e escape ] && [ ! -e jail/escape ] && pass || fail "a file was written outside the output directory"
"$K" repo verify > /dev/null && pass || fail "repo verify after hostile get"

finish
