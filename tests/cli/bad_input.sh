#!/usr/bin/env bash
# Bad input on the command line: every case must fail with exactly one line on
# stderr starting with "Error:", a non-zero exit status that is not a signal,
# and nothing on stdout.
# Usage: bad_input.sh IPFS_KIT
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
new_tmp
cd "$TMP" || exit 1

# expect_error NAME [stdin-file] -- ARGS...
expect_error() {
  local name=$1
  shift
  local input=/dev/null
  if [ "$1" != "--" ]; then input=$1; shift; fi
  shift  # --
  "$K" "$@" < "$input" > out.txt 2> err.txt
  local rc=$?
  if [ $rc -eq 0 ]; then fail "$name: exit status 0"; return; fi
  if [ $rc -ge 128 ]; then fail "$name: killed by a signal (status $rc)"; return; fi
  if [ -s out.txt ]; then fail "$name: wrote to stdout: $(head -c 200 out.txt)"; return; fi
  local lines
  lines=$(wc -l < err.txt)
  if [ "$lines" -ne 1 ]; then fail "$name: $lines lines on stderr: $(cat err.txt)"; return; fi
  if ! grep -q '^Error: ' err.txt; then fail "$name: stderr does not start with 'Error: ': $(cat err.txt)"; return; fi
  pass
}

echo hello > file.txt
mkdir -p dir/sub other
echo a > dir/a.txt
echo b > other/file.txt
mkfifo dir/sub/pipe
head -c 1000 /dev/zero > big.bin

expect_error missing-file -- add does-not-exist.txt
expect_error dir-without-r -- add dir
expect_error fifo-in-tree -- add -r dir
expect_error same-name-different-files -- add file.txt other/file.txt
expect_error cid-version-9 -- add --cid-version=9 file.txt
expect_error cid-version-word -- add --cid-version=one file.txt
expect_error chunker-size-0 -- add --chunker=size-0 file.txt
expect_error chunker-rabin-min -- add --chunker=rabin-12-512-1024 file.txt
expect_error chunker-unknown -- add --chunker=fastcdc file.txt
expect_error chunker-too-big -- add --chunker=size-9999999 file.txt
expect_error inline-limit -- add --inline --inline-limit=200 file.txt
expect_error hash-unknown -- add --hash=nope file.txt
expect_error hash-v0 -- add --hash=sha2-512 --cid-version=0 file.txt
expect_error identity-too-big -- add --hash=identity big.bin
expect_error profile-unknown -- add --profile=unixfs-v9 file.txt
expect_error unknown-flag -- add --frobnicate file.txt
expect_error unknown-command -- frobnicate
expect_error workers-0 -- --workers 0 add file.txt
for bad in "" "Qm" "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQI" "bafyfoo" "zzzzz" "/ipfs/x" "$(printf 'b\x01\x02')" \
           "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykuaa" "$(head -c 3000 /dev/zero | tr '\0' 'z')"; do
  expect_error "cid format '${bad:0:60}'" -- cid format "$bad"
done
expect_error cid-format-string -- cid format -f nopercent QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn
expect_error cid-format-spec -- cid format -f %Q QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn
expect_error cid-v0-raw -- cid format -v 0 bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku
expect_error cid-bad-base -- cid format -b base99 QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn

# Content commands with bad or missing input.
missing=QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2   # a valid CID that is not stored
good=$("$K" add -Q file.txt)
expect_error cat-missing -- cat "$missing"
expect_error cat-malformed -- cat not-a-cid
expect_error cat-bad-path -- cat "$good/no/such/path"
expect_error cat-negative-offset -- cat -o -1 "$good"
# As Kubo: an offset past the end gives nothing, successfully.
expect_eq cat-past-end "" "$("$K" cat -o 999 "$good")"
expect_error get-missing -- get "$missing" -o out-missing
expect_error ls-malformed -- ls "Qm!!!"
expect_error refs-missing -- refs "$missing"
expect_error block-get-missing -- block get "$missing"
expect_error block-get-malformed -- block get bafyxyz
expect_error block-put-bad-dagpb file.txt -- block put --cid-codec=dag-pb
expect_error block-put-codec -- block put --cid-codec=nope file.txt
expect_error pin-add-missing -- pin add "$missing"
expect_error pin-add-malformed -- pin add "zzz"
expect_error pin-rm-unpinned -- pin rm "$missing"
expect_error dag-stat-missing -- dag stat "$missing"
expect_error dag-export-v2-stdout -- dag export --car-version=2 "$good"
# CAR files: garbage, truncated at every kind of point, a block that lies about its hash.
head -c 5000 /dev/urandom > garbage.car
expect_error car-garbage -- dag import garbage.car
: > empty.car
expect_error car-empty -- dag import empty.car
"$K" dag export "$good" > good.car
for cut in 1 5 20 $(( $(stat -c %s good.car) - 1 )); do
  head -c $cut good.car > cut.car
  expect_error "car-truncated-$cut" -- dag import cut.car
done
cp good.car lie.car
printf 'X' | dd of=lie.car bs=1 seek=$(( $(stat -c %s lie.car) - 2 )) conv=notrunc status=none
expect_error car-bad-hash -- dag import lie.car
expect_error car-missing-file -- dag import nope.car
expect_error config-unknown-key -- config set daemon.colour blue
expect_error config-bad-value -- config set daemon.health_check_interval soon
expect_error config-not-utf8 -- config set daemon.api_token $'\xff\xfe'
expect_error config-get-unknown -- config get nope.nope
"$K" repo verify > /dev/null && pass || fail "repository unsound after bad input"
expect_error repo-unknown-subcommand -- repo frobnicate

mkdir -p "$IPFS_KIT_PATH"
cp "$IPFS_KIT_PATH/config.json" config.saved
echo '{not json' > "$IPFS_KIT_PATH/config.json"
expect_error broken-config -- add file.txt
echo '{"import": {"chunker": "size-0"}}' > "$IPFS_KIT_PATH/config.json"
expect_error invalid-config-value -- add file.txt
cp config.saved "$IPFS_KIT_PATH/config.json"
"$K" config set daemon.health_check_interval soon 2> /dev/null
cmp -s config.saved "$IPFS_KIT_PATH/config.json" && pass || fail "a rejected config set changed the file"

# Non-printable names are escaped, never written raw to the terminal.
name=$(printf 'evil\033[2Jname')
echo x > "$name"
out=$("$K" add -- "$name")
case "$out" in
  *$'\033'*) fail "escape sequence written to stdout" ;;
  *) pass ;;
esac

finish
