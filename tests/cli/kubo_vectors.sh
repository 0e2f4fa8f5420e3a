#!/usr/bin/env bash
# Kubo's published CIDs (kubo test/cli/cid_profiles_test.go, add_test.go,
# test/sharness/t0040, t0046), computed by the real ipfs-kit binary.
# Usage: kubo_vectors.sh IPFS_KIT TESTDATA
. "$(dirname "$0")/lib.sh"
K=$(realpath "$1")
T=$(realpath "$2")
new_tmp
cd "$TMP" || exit 1

# add -Q -n of Kubo's deterministic bytes, streamed through standard input.
det() {  # det SEED SIZE WANT [add flags...]
  local seed=$1 size=$2 want=$3
  shift 3
  expect_eq "$seed/$size $*" "$want" "$("$T" bytes "$seed" "$size" | "$K" add -Q -n "$@")"
}

det chunk-v0-seed 262144 QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE
det chunk-v0-seed 262145 QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ
det v0-seed 45613056 QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2
det v0-seed 45613057 QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW
det v0-seed 45613057 QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW --profile unixfs-v0-2015
det chunk-v1-seed 1048576 bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta --profile unixfs-v1-2025
det chunk-v1-seed 1048577 bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64 --profile unixfs-v1-2025
det v1-2025-seed 1073741824 bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm --profile unixfs-v1-2025
det v1-2025-seed 1073741825 bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe --profile unixfs-v1-2025
det "hello world" 268435456 QmbBftNHWmjSWKLC49dMVrfnY8pjrJYntiAXirFJ7oJrNk --max-file-links 1024

# The profile can come from the configuration instead of the flag.
mkdir -p "$IPFS_KIT_PATH"
echo '{"import": {"profile": "unixfs-v1-2025"}}' > "$IPFS_KIT_PATH/config.json"
det chunk-v1-seed 1048577 bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64
det chunk-v0-seed 262145 QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ --profile unixfs-v0-2015
rm "$IPFS_KIT_PATH/config.json"

# HAMT thresholds: exactly at the threshold stays flat, one byte over shards.
"$T" kubo-dir h-basic-v0 hamt-unixfs-v0-2015 4096 30 30
"$T" kubo-dir h-shard-v0 hamt-unixfs-v0-2015 4033 31 31
"$T" kubo-dir h-basic-v1 hamt-unixfs-v1-2025 4766 11 21
"$T" kubo-dir h-shard-v1 hamt-unixfs-v1-2025 4766 11 22
expect_eq hamt-basic-v0 QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN "$("$K" add -r -Q -n h-basic-v0)"
expect_eq hamt-shard-v0 QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP "$("$K" add -r -Q -n h-shard-v0)"
expect_eq hamt-basic-v1 bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4 "$("$K" add -r -Q -n --profile unixfs-v1-2025 h-basic-v1)"
expect_eq hamt-shard-v1 bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu "$("$K" add -r -Q -n --profile unixfs-v1-2025 h-shard-v1)"

# Small vectors and output formats (t0040, t0046, compat notes).
printf 'Hello Worlds!\n' > hello.txt
expect_eq add-output "added QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH hello.txt" "$("$K" add hello.txt)"
expect_eq trickle "added QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi hello.txt" "$("$K" add -t hello.txt)"
for c in rabin rabin-36-512-1024 buzhash size-64; do
  expect_eq "chunker $c" QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH "$("$K" add -Q --chunker=$c hello.txt)"
done
: > empty
expect_eq empty QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH "$("$K" add -q empty)"
expect_eq empty-raw bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku "$("$K" add -q --raw-leaves empty)"
expect_eq stdin-name "added QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w file.txt" "$(echo IPFS | "$K" add --stdin-name file.txt)"
expect_eq stdin "added QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w" "$(echo IPFS | "$K" add)"
expect_eq inline bafkqaedknncdsodknncdsnzvnbvuioak "$(echo jkD98jkD975hkD8 | "$K" add -q --inline --raw-leaves)"
expect_eq identity-hash identity "$(echo djkd7jdkd7jkHHG | "$K" add -q --hash=identity | xargs "$K" cid format -f %h)"
printf 'base32 test\n' > base32-test.txt
expect_eq cid-base "added bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34 base32-test.txt" "$("$K" add --cid-base=base32 base32-test.txt)"
expect_eq cid-base-v0 "added $("$K" cid format -v 0 -b base58btc bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34) base32-test.txt" \
  "$("$K" add --cid-base=base32 --upgrade-cidv0-in-output=false base32-test.txt)"

mkdir -p planets
printf 'Hello Mars!\n' > planets/mars.txt
printf 'Hello Venus!\n' > planets/venus.txt
expect_eq planets "added QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN planets/mars.txt
added QmU5kp3BH3B8tnWUU2Pikdb2maksBNkb92FHRr56hyghh4 planets/venus.txt
added QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY planets" "$("$K" add -r planets)"
expect_eq planets-raw QmfWfQfKCY5Ukv9peBbxM5vqWM9BzmqUSXvdCgjT2wsiBT "$("$K" add -r -Q --raw-leaves planets)"
expect_eq planets-v1 bafybeih7e5dmkyk25up5vxug4q3hrg2fxbzf23dfrac2fns5h7z4aa7ioi "$("$K" add -r -Q --cid-version=1 planets)"
expect_eq planets-v1-pb bafybeif5tuep5ap2d7zyhbktucey75aoacxufgt6i3v4gebmixyipnyp7y "$("$K" add -r -Q --cid-version=1 --raw-leaves=false planets)"
expect_eq planets-blake2b bafykbzaceaptbcs7ik5mdfpot3b4ackvxlwh7loc5jcrtkayf64ukl7zyk46e "$("$K" add -r -Q --hash=blake2b-256 planets)"

mkdir -p cur/hello
echo Hey > cur/hey
echo World > cur/hello/world
expect_eq add-dot QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1 "$(cd cur && "$K" add -r -Q .)"
expect_eq add-dot-slash QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1 "$(cd cur && "$K" add -r -Q ./)"
expect_eq multiple "added QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH hello.txt
added QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH empty" "$("$K" add hello.txt empty)"
expect_eq same-twice "added QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH hello.txt" "$("$K" add hello.txt hello.txt)"
expect_eq wrap-stdin "added QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w file.txt" "$(echo IPFS | "$K" add -w --stdin-name file.txt | head -n1)"

# cid commands (Kubo's outputs).
expect_eq cid-base32 bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34 "$("$K" cid base32 "$("$K" cid format -v 0 bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34)")"
expect_eq cid-prefix cidv0-dag-pb-sha2-256-32 "$("$K" cid format -f %P QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn)"
expect_eq cid-fmt "base58btc-cidv0-dag-pb-sha2-256-32" "$("$K" cid format -f '%b-%v-%c-%h-%L' QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn)"
expect_eq cid-v1 zdj7WbTaiJT1fgatdet9Ei9iDB5hdCxkbVyhyh8YTUnXMiwYi "$("$K" cid format -v 1 -b base58btc QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn)"
expect_eq cid-b64 mAXASIOVxUFxiKImgAexk+1WFjCsjtgtavDHCEHEPTCZ1aacA "$("$K" cid format -b base64 zdj7WksYf5DNoDhTbjNZundK13TdEYo9sNaFWYZuKBM3fNszf)"
expect_eq cid-stdin "bafybeidyndw2t6cplv5zobh7g3phuzy56ymaxkr33v2i2kjgyznl5iwg6m" "$(echo QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY | "$K" cid base32)"
expect_eq cid-codecs-has-dag-pb 1 "$("$K" cid codecs | grep -cx dag-pb)"
expect_eq cid-hashes-has-sha2-256 "   18  sha2-256" "$("$K" cid hashes --numeric | grep -x '   18  sha2-256')"
expect_eq cid-bases-prefix "z  base58btc" "$("$K" cid bases --prefix | grep base58btc)"

finish
