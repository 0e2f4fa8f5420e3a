#!/usr/bin/env bash
# The FUSE mount on real mounts (needs /dev/fuse; CI runs as root): cp -r out
# of ipfs/ and diff; tar and rsync into mfs/ and back out, byte-identical,
# with the MFS root equal to `add -r --trickle` of the tree; rename over an
# existing file; truncate and writes at offsets; 8 concurrent readers of one
# large file; find over a 10,000-entry HAMT directory; SIGKILL of the
# mounting process during writes (MFS consistent, no torn file, repo verify
# clean, the stale mount cleaned with --force); hostile names; EROFS; EIO for
# a corrupt block; xattrs and statfs; SIGTERM unmounts cleanly.
# Usage: vfs.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")

if [ ! -c /dev/fuse ] || ! command -v fusermount3 > /dev/null; then
  echo "SKIP: FUSE is not available here (no /dev/fuse or fusermount3): the FUSE tests did not run"
  exit 0
fi

new_tmp
cd "$TMP" || exit 1
M="$TMP/mnt"
mkdir -p "$M"
cleanup_mount() {
  "$K" vfs unmount --force "$M" > /dev/null 2>&1 || true
  fusermount3 -u -z "$M" 2> /dev/null || true
  rm -rf "$TMP"
}
trap cleanup_mount EXIT

wait_mounted() {
  for _ in $(seq 1 200); do
    mountpoint -q "$M" && return 0
    sleep 0.05
  done
  return 1
}
wait_unmounted() {
  for _ in $(seq 1 400); do
    mountpoint -q "$M" || return 0
    sleep 0.05
  done
  return 1
}

# ---- content and trees ----
"$T" tree tree vfs-tree 60 300000 > /dev/null
"$T" bytes vfs-big 40000000 > big.bin
tree=$("$K" add -r -Q tree)
big=$("$K" add -Q big.bin)

"$K" vfs mount "$M" > mount.log 2>&1 &
MPID=$!
wait_mounted && pass || fail "mount did not come up: $(cat mount.log)"
expect_eq top "ipfs mfs pins" "$(find "$M" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq vfs-list "$M	ipfs/ mfs/ pins/	serving (pid $MPID)" "$("$K" vfs list)"

# cp -r out of ipfs/, diff -r against the source.
cp -r "$M/ipfs/$tree" out-tree && diff -r --no-dereference tree out-tree > /dev/null && pass || fail "cp -r out of ipfs/ differs"
# Lazily resolved CID/path, and the pins/ view by name.
"$K" pin add --name=the-tree "$tree" > /dev/null
first=$(cd tree && find . -type f | sort | head -1 | sed 's#^\./##')
cmp "tree/$first" "$M/pins/the-tree/$first" && pass || fail "pins/<name>/path differs"
cmp big.bin "$M/ipfs/$big" && pass || fail "large file read differs"
expect_eq xattr "$("$K" files stat --hash "/ipfs/$tree/$first")" \
  "$(getfattr --only-values -n user.ipfs.cid "$M/ipfs/$tree/$first" 2>/dev/null)"
getfattr -d "$M/ipfs/$big" 2>/dev/null | grep -q "user.ipfs.cid=\"$big\"" && pass || fail "listxattr lacks user.ipfs.cid"
df -P "$M" | tail -1 | awk '{exit !($2 > 0)}' && pass || fail "statfs reports no size"

# 8 concurrent readers of one large file.
want=$(sha256sum < big.bin | cut -d' ' -f1)
readers=()
for i in 1 2 3 4 5 6 7 8; do (sha256sum < "$M/ipfs/$big" | cut -d' ' -f1 > "sum.$i") & readers+=($!); done
wait "${readers[@]}"
ok=1
for i in 1 2 3 4 5 6 7 8; do [ "$(cat sum.$i)" = "$want" ] || ok=0; done
[ $ok = 1 ] && pass || fail "concurrent readers read different bytes"

# Read-only trees: EROFS.
touch "$M/ipfs/$tree/new" 2> erofs.err
grep -q "Read-only file system" erofs.err && pass || fail "touch in ipfs/: not EROFS: $(cat erofs.err)"
mkdir "$M/pins/x" 2> erofs.err; grep -q "Read-only file system" erofs.err && pass || fail "mkdir in pins/: $(cat erofs.err)"
echo x > "$M/ipfs/$big" 2> erofs.err; grep -q "Read-only file system" erofs.err && pass || fail "write to ipfs/: $(cat erofs.err)"

# ---- writes through mfs/ ----
# tar in, tar out: byte-identical, and the MFS tree is `add -r --trickle`.
mkdir "$M/mfs/viatar"
tar -C tree -cf - . | tar -C "$M/mfs/viatar" -xf - 2> tar.err && pass || fail "tar into mfs/: $(cat tar.err)"
mkdir tar-out && tar -C "$M/mfs/viatar" -cf - . | tar -C tar-out -xf - && diff -r --no-dereference tree tar-out > /dev/null && pass || fail "tar round trip differs"
expect_eq tar-root "$("$K" add -r -Q -n --trickle tree)" "$("$K" files stat --hash /viatar)"
# rsync in and out.
rsync -rl tree/ "$M/mfs/viarsync/" 2> rsync.err && pass || fail "rsync into mfs/: $(cat rsync.err)"
rsync -rl "$M/mfs/viarsync/" rsync-out/ && diff -r --no-dereference tree rsync-out > /dev/null && pass || fail "rsync round trip differs"
expect_eq rsync-root "$("$K" add -r -Q -n --trickle tree)" "$("$K" files stat --hash /viarsync)"
# A large file written through the mount.
cp big.bin "$M/mfs/big.bin" && cmp big.bin "$M/mfs/big.bin" && pass || fail "large file through mfs/ differs"
expect_eq big-cid "$("$K" add -Q -n --trickle big.bin)" "$("$K" files stat --hash /big.bin)"
# Rename over an existing file, rename of a directory, unlink, rmdir.
echo one > "$M/mfs/a.txt"
echo two > "$M/mfs/b.txt"
mv "$M/mfs/a.txt" "$M/mfs/b.txt" && pass || fail "rename over an existing file"
expect_eq rename-over "one" "$(cat "$M/mfs/b.txt")"
[ ! -e "$M/mfs/a.txt" ] && pass || fail "rename left the source"
expect_eq rename-over-mfs "one" "$("$K" files read /b.txt)"
mv "$M/mfs/viarsync" "$M/mfs/renamed" && [ -f "$M/mfs/renamed/$first" ] && pass || fail "directory rename"
rmdir "$M/mfs/renamed" 2> rmdir.err
grep -q "not empty" rmdir.err && pass || fail "rmdir of a non-empty directory: $(cat rmdir.err)"
rm -r "$M/mfs/renamed" && [ ! -e "$M/mfs/renamed" ] && pass || fail "rm -r"
# Writes at offsets and truncate, with dd and truncate(1).
printf 'hello world' > "$M/mfs/o.txt"
printf 'WORLD' | dd of="$M/mfs/o.txt" bs=1 seek=6 conv=notrunc status=none
expect_eq offset-write "hello WORLD" "$(cat "$M/mfs/o.txt")"
truncate -s 5 "$M/mfs/o.txt"
expect_eq truncate "hello" "$("$K" files read /o.txt)"
# A file streamed in order, fsync'ed mid-way, written on, read back while
# open, then overwritten in the middle: every step sees the right bytes.
python3 - "$M/mfs/stream.bin" <<'EOF'
import os, sys
p = sys.argv[1]
a, b, c = os.urandom(3 << 20), os.urandom(1 << 20), b'X' * 1000
fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC)
os.write(fd, a); os.fsync(fd)
os.write(fd, b)
with open(p, 'rb') as r: assert r.read() == a + b, 'read while open'
os.pwrite(fd, c, 5000)
os.close(fd)
want = bytearray(a + b); want[5000:6000] = c
with open(p, 'rb') as r: assert r.read() == bytes(want), 'final content'
open(p + '.want', 'wb').write(bytes(want))
EOF
stream_status=$?
[ "$stream_status" = 0 ] && pass || fail "streamed write, fsync, read-while-open, overwrite"
cp "$M/mfs/stream.bin.want" want.bin && "$K" files read /stream.bin | cmp - want.bin && pass || fail "MFS holds other bytes than written"
# Changes made outside the mount show up within the attribute timeout.
echo outside | "$K" files write --create /outside.txt
sleep 1.2
expect_eq outside "outside" "$(cat "$M/mfs/outside.txt")"
expect_eq mfs-xattr "$("$K" files stat --hash /outside.txt)" "$(getfattr --only-values -n user.ipfs.cid "$M/mfs/outside.txt")"

# ---- a HAMT directory of 10,000 entries ----
mkdir many
for i in $(seq 1 10000); do echo "$i" > "many/file-$i"; done
many=$("$K" add -r -Q many)
expect_eq hamt-type directory "$("$K" files stat --format='<type>' "/ipfs/$many")"
expect_eq find-hamt 10001 "$(find "$M/ipfs/$many" | wc -l)"
# shellcheck disable=SC2010  # ls -l itself is what is tested
expect_eq ls-hamt 10000 "$(ls -l "$M/ipfs/$many" | grep -c '^-')"

# ---- hostile names from a DAG ----
file_cid=$(echo payload | "$K" add -Q --cid-version=1 --raw-leaves)
digest=$("$K" cid format -f %D -b base16 "$file_cid")
python3 - "$digest" > hostile.bin <<'EOF'
import sys
digest = bytes.fromhex(sys.argv[1])
def varint(n):
    out = b''
    while True:
        b = n & 0x7f; n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out
def field(tag, data): return bytes([tag]) + varint(len(data)) + data
names = [b'..', b'.', b'a/b', b'x\x00y', b'n' * 300, b'', b'ok']
node = b''
for name in names:
    link = field(0x0a, b'\x01\x55\x12\x20' + digest) + field(0x12, name) + b'\x18\x08'
    node += field(0x12, link)
node += field(0x0a, b'\x08\x01')
sys.stdout.buffer.write(node)
EOF
hostile=$("$K" block put --cid-codec=dag-pb < hostile.bin)
expect_eq hostile-listing "ok" "$(find "$M/ipfs/$hostile" -mindepth 1 -maxdepth 1 -printf '%f\n' | tr '\n' ' ' | sed 's/ $//')"
expect_eq hostile-read "payload" "$(cat "$M/ipfs/$hostile/ok")"
ls "$M/ipfs/$hostile/../$hostile" > /dev/null 2>&1; ls "$M" > /dev/null && pass || fail "the mount died on hostile names"

# ---- a corrupt block is EIO, never wrong bytes ----
"$T" bytes vfs-corrupt 300000 > corrupt.bin
corrupt=$("$K" add -Q --pin=false corrupt.bin)
# Flip one byte of the second leaf inside its pack file.
python3 - "$IPFS_KIT_PATH/blocks" corrupt.bin <<'EOF'
import os, sys
needle = open(sys.argv[2], 'rb').read()[262144 + 1000:262144 + 1064]
for name in os.listdir(sys.argv[1]):
    p = os.path.join(sys.argv[1], name)
    data = open(p, 'rb').read()
    i = data.find(needle)
    if i >= 0:
        with open(p, 'r+b') as f:
            f.seek(i); f.write(bytes([data[i] ^ 0xff]))
        sys.exit(0)
sys.exit(1)
EOF
cat "$M/ipfs/$corrupt" > corrupt.out 2> corrupt.err && fail "read of a corrupt block succeeded" || pass
grep -q "Input/output error" corrupt.err && pass || fail "corrupt block: not EIO: $(cat corrupt.err)"
cmp -s corrupt.out <(head -c "$(stat -c %s corrupt.out)" corrupt.bin) && pass || fail "wrong bytes served before the corrupt block"

# ---- SIGTERM unmounts cleanly ----
kill -TERM "$MPID"
wait "$MPID"; status=$?
expect_eq sigterm-status 0 "$status"
wait_unmounted && pass || fail "SIGTERM did not unmount"
expect_eq list-after-term "" "$("$K" vfs list)"

# ---- SIGKILL during writes: MFS consistent, no torn file ----
"$K" repo gc > /dev/null 2>&1  # the corrupt file is unpinned: collected before the verify below
"$K" vfs mount "$M" --detach > /dev/null && pass || fail "vfs mount --detach"
wait_mounted || fail "detached mount not up"
MPID=$("$K" vfs list | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
mkdir "$M/mfs/crash"
(
  for i in $(seq 1 300); do
    "$T" bytes "crash-$i" $((200000 + i * 5000)) > "$M/mfs/crash/f$i" 2> /dev/null || break
  done
) &
writer=$!
# Killed while files are being written: once a few have reached MFS.
for _ in $(seq 1 200); do
  [ "$("$K" files ls /crash 2>/dev/null | wc -l)" -ge 5 ] && break
  sleep 0.05
done
kill -KILL "$MPID"
wait "$writer" 2> /dev/null
for _ in $(seq 1 100); do [ -d "/proc/$MPID" ] && ! grep -q '^State:.*Z' "/proc/$MPID/status" 2>/dev/null || break; sleep 0.05; done
expect_eq stale-state stale "$("$K" vfs list | awk -F'\t' '{print $3}' | cut -d' ' -f1)"
ls "$M" > /dev/null 2> stale.err && fail "a dead mount answered" || pass
"$K" vfs unmount "$M" > /dev/null 2> unmount.err
grep -q -- "--force" unmount.err && pass || fail "unmount of a stale mount without --force: $(cat unmount.err)"
"$K" vfs unmount --force "$M" && pass || fail "vfs unmount --force"
mountpoint -q "$M" && fail "still mounted after --force" || pass
expect_eq list-after-force "" "$("$K" vfs list)"
"$K" repo verify > verify.out 2>&1 && pass || fail "repo verify after SIGKILL: $(cat verify.out)"
torn=0
count=0
for f in $("$K" files ls /crash); do
  i=${f#f}
  count=$((count + 1))
  # Complete, or empty (created, its content not yet closed or fsynced):
  # never a prefix or a mix.
  got=$("$K" files read "/crash/$f" | sha256sum)
  [ "$got" = "$("$T" bytes "crash-$i" $((200000 + i * 5000)) | sha256sum)" ] || [ "$got" = "$(sha256sum < /dev/null)" ] \
    || { torn=$((torn + 1)); echo "torn: /crash/$f, $("$K" files stat --size "/crash/$f") bytes"; }
done
echo "after SIGKILL: $count files in MFS, $torn torn"
expect_eq torn-files 0 "$torn"
[ "$count" -gt 0 ] && [ "$count" -lt 300 ] && pass || fail "the kill did not land during the writes ($count files)"

# ---- single-DAG mode (the seeds' spelling) ----
"$K" vfs mount "/ipfs/$tree" --mount-point "$M" --detach > /dev/null && pass || fail "single-DAG mount"
wait_mounted
diff -r --no-dereference tree "$M" > /dev/null && pass || fail "single-DAG mount differs from the tree"
touch "$M/x" 2> ro.err; grep -q "Read-only file system" ro.err && pass || fail "single-DAG mount writable: $(cat ro.err)"
"$K" vfs unmount "$M" && wait_unmounted && pass || fail "vfs unmount"

# ---- mounts the daemon holds (config vfs.mounts), restored on start ----
M2="$TMP/held"
mkdir -p "$M2"
for k in api_address rpc_address gateway_address mcp_address; do "$K" config set "daemon.$k" 127.0.0.1:0 > /dev/null; done
"$K" config set vfs.mounts "[{\"mountpoint\": \"$M2\"}]" > /dev/null && pass || fail "config set vfs.mounts"
"$K" config set vfs.mounts '[{"mountpoint": "relative"}]' > /dev/null 2>&1 && fail "a relative mount point was accepted" || pass
"$K" daemon start --detach > /dev/null && pass || fail "daemon start"
for _ in $(seq 1 200); do mountpoint -q "$M2" && break; sleep 0.05; done
mountpoint -q "$M2" && pass || fail "the daemon did not mount $M2: $(cat "$IPFS_KIT_PATH/logs/vfs.log" 2>/dev/null)"
expect_eq held-mfs "one" "$(cat "$M2/mfs/b.txt" 2>/dev/null)"
"$K" vfs list | grep -q "^$M2	ipfs/ mfs/ pins/	serving" && pass || fail "vfs list does not show the daemon's mount"
"$K" daemon stop > /dev/null
mountpoint -q "$M2" && fail "daemon stop left $M2 mounted" || pass
"$K" daemon start --detach > /dev/null
for _ in $(seq 1 200); do mountpoint -q "$M2" && break; sleep 0.05; done
expect_eq held-after-restart "one" "$(cat "$M2/mfs/b.txt" 2>/dev/null)"
"$K" daemon stop > /dev/null
mountpoint -q "$M2" && fail "second stop left $M2 mounted" || pass
"$K" config set vfs.mounts '[]' > /dev/null

finish
