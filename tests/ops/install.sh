#!/usr/bin/env bash
# Install and packaging:
# - `cmake --install` (into a DESTDIR) lays out the binary, the bash and zsh
#   completions and the man page generated from the command tree, the systemd
#   units, the sysusers file and the default config;
# - the completions complete real commands and options (bash: _ipfs_kit run
#   on simulated command lines; zsh: the same with _describe captured);
# - `cpack -G DEB` builds a .deb whose control data is right (Depends from the
#   linked libraries, conffiles, maintainer scripts);
# - the .deb installs with `dpkg -i` on this Debian 12 system seen through a
#   copy-on-write overlay (a private mount namespace; nothing on the host
#   changes): the installed binary runs, the postinst made the service
#   account, `systemd-analyze verify` accepts the installed units, and the
#   installed `ipfs-kit daemon start --detach` prints its addresses and
#   passes `diag healthy`; `dpkg -r` removes it cleanly.
# Needs root (dpkg, mount namespaces), as CI runs.
# Usage: install.sh BUILD_DIR
. "$(dirname "$0")/../cli/lib.sh"
BUILD=$(realpath "$1")
SRC=$(realpath "$(dirname "$0")/../..")
new_tmp
VERSION=$(awk -F'"' '/kVersion =/ {print $2}' "$SRC/src/base/version.h")

# ---- cmake --install ----
prefix=$(awk -F= '/^CMAKE_INSTALL_PREFIX:/ {print $2}' "$BUILD/CMakeCache.txt")
expect_eq "the build is configured for /usr (as the .deb needs)" /usr "$prefix"
DESTDIR="$TMP/destdir" cmake --install "$BUILD" > "$TMP/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$TMP/install.log")"
R=$TMP/destdir
for f in usr/bin/ipfs-kit usr/share/bash-completion/completions/ipfs-kit usr/share/zsh/vendor-completions/_ipfs-kit \
  usr/share/man/man1/ipfs-kit.1 usr/lib/systemd/system/ipfs-kit.service usr/lib/systemd/system/ipfs-kit-hardened.service \
  usr/lib/sysusers.d/ipfs-kit.conf etc/ipfs-kit/config.json; do
  [ -s "$R/$f" ] && pass || fail "cmake --install did not lay out /$f"
done
expect_eq "installed binary --version" "ipfs-kit $VERSION" "$("$R/usr/bin/ipfs-kit" --version)"
grep -q "^ExecStart=/usr/bin/ipfs-kit --config /etc/ipfs-kit/config.json daemon start$" "$R/usr/lib/systemd/system/ipfs-kit.service" \
  && pass || fail "the unit runs the installed binary with the installed config"
# The default config is the daemon's own defaults, loopback listeners included.
python3 - "$R/etc/ipfs-kit/config.json" "$BUILD/ipfs-kit" << 'EOF' && pass || fail "default config"
import json, subprocess, sys
installed = json.load(open(sys.argv[1]))
defaults = json.loads(subprocess.run([sys.argv[2], "--repo", "/nonexistent/ipfs-kit", "config", "show"],
                                     check=True, capture_output=True).stdout)
assert installed == defaults, "the installed config differs from `config show` defaults"
assert installed["daemon"]["api_address"] == "127.0.0.1:8887", installed["daemon"]
assert installed["daemon"]["gateway_address"] == "127.0.0.1:8080", installed["daemon"]
EOF

# ---- completions, generated from the command tree ----
# Every subcommand the binary lists in --help is in the bash table.
top=$("$BUILD/ipfs-kit" --help | awk '/^Subcommands:/ {on = 1; next} on && NF {print $1}' | sort | tr '\n' ' ')
bash_top=$(bash -c ". '$R/usr/share/bash-completion/completions/ipfs-kit'; echo \${_ipfs_kit_commands[ipfs-kit]}" | tr ' ' '\n' | sort | tr '\n' ' ')
expect_eq "bash completion lists every top-level command" "$top" "$bash_top"
complete_bash() {  # complete_bash WORDS...: what bash offers for the last word
  bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _ipfs_kit; echo "${COMPREPLY[*]}"' \
    "$R/usr/share/bash-completion/completions/ipfs-kit" "$@"
}
expect_eq "bash: ipfs-kit pi<TAB>" "pin" "$(complete_bash ipfs-kit pi)"
expect_eq "bash: ipfs-kit daemon st<TAB>" "start stop status" "$(complete_bash ipfs-kit daemon st)"
expect_eq "bash: past a global option's value" "start stop status" "$(complete_bash ipfs-kit --repo /x daemon st)"
expect_eq "bash: ipfs-kit daemon start --de<TAB>" "--detach --debug" "$(complete_bash ipfs-kit daemon start --de)"
expect_eq "bash: ipfs-kit pin add --na<TAB>" "--name" "$(complete_bash ipfs-kit pin add --na)"
expect_eq "bash: ipfs-kit diag <TAB>" "healthy" "$(complete_bash ipfs-kit diag '')"
expect_eq "bash: the hidden completion command is not offered" "" "$(complete_bash ipfs-kit compl)"
if command -v zsh > /dev/null; then
  zsh -n "$R/usr/share/zsh/vendor-completions/_ipfs-kit" && pass || fail "zsh completion: syntax"
  complete_zsh() {  # complete_zsh WORDS...: the names zsh's _describe is given for the last word
    zsh -fc 'compdef() { :; }; _describe() { print -rl -- ${${(P)4}%%:*}; }; _files() { print _files; }
      source "$1"; shift; words=("$@"); CURRENT=$#words; _ipfs_kit' zsh \
      "$R/usr/share/zsh/vendor-completions/_ipfs-kit" "$@" | tr '\n' ' ' | sed 's/ $//'
  }
  expect_eq "zsh: ipfs-kit daemon <TAB>" "start stop restart status" "$(complete_zsh ipfs-kit daemon '')"
  complete_zsh ipfs-kit pin add --n | grep -qw -- --name && pass || fail "zsh: pin add --n offers --name: $(complete_zsh ipfs-kit pin add --n)"
  expect_eq "zsh: a file after --config" "_files" "$(complete_zsh ipfs-kit --config '')"
else
  fail "zsh is not installed (scripts/setup.sh installs it)"
fi

# ---- man page ----
man1=$R/usr/share/man/man1/ipfs-kit.1
grep -q '^\.TH IPFS-KIT "1"' "$man1" && pass || fail "man page header"
for cmd in daemon pin diag "dag"; do
  grep -q "^$cmd\b" <(MANWIDTH=100 man -l "$man1" 2> /dev/null | sed 's/^ *//') && pass || fail "man page describes $cmd"
done

# ---- the .deb ----
mkdir -p "$TMP/pkg"
(cd "$TMP/pkg" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$TMP/pkg" > cpack.log 2>&1) || fail "cpack -G DEB: $(tail -5 "$TMP/pkg/cpack.log")"
DEB=$TMP/pkg/ipfs-kit_${VERSION}_amd64.deb
[ -f "$DEB" ] && pass || fail "cpack made $DEB: $(ls "$TMP/pkg")"
dpkg-deb -f "$DEB" Depends | grep -q "libsystemd0" && pass || fail "Depends names the linked libraries: $(dpkg-deb -f "$DEB" Depends)"
expect_eq ".deb conffiles" "/etc/ipfs-kit/config.json" "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)"
dpkg-deb -c "$DEB" > "$TMP/pkg/contents.txt"
grep -q " ./usr/bin/ipfs-kit$" "$TMP/pkg/contents.txt" && pass || fail ".deb holds /usr/bin/ipfs-kit"

# dpkg -i on this system through an overlay: the host's / is the lower
# layer, the writes land in $TMP/overlay/upper and vanish with the namespace.
mkdir -p "$TMP/overlay/upper" "$TMP/overlay/work" "$TMP/overlay/root"
cat > "$TMP/in-root.sh" << 'EOF'
set -u
deb=$1
fail() { echo "FAIL: $*"; }
dpkg -i "$deb" > /tmp/dpkg.log 2>&1 && echo "ok dpkg -i" || { fail "dpkg -i: $(tail -5 /tmp/dpkg.log)"; exit 0; }
echo "version $(ipfs-kit --version)"
echo "binary $(command -v ipfs-kit)"
getent passwd ipfs-kit > /dev/null && echo "ok account" || fail "postinst made no ipfs-kit account"
systemd-analyze verify /usr/lib/systemd/system/ipfs-kit.service /usr/lib/systemd/system/ipfs-kit-hardened.service \
  > /tmp/verify.log 2>&1 && echo "ok verify" || fail "systemd-analyze verify: $(head -5 /tmp/verify.log)"
systemd-analyze security --offline=true /usr/lib/systemd/system/ipfs-kit-hardened.service 2>&1 \
  | sed -n 's/.*Overall exposure level for ipfs-kit-hardened.service: \([0-9.]*\).*/exposure \1/p'
# The README's main command, installed: the daemon starts and prints its addresses.
export IPFS_KIT_PATH=/tmp/installed-repo
for k in api rpc gateway mcp; do ipfs-kit config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
ipfs-kit daemon start --detach > /tmp/start.txt 2>&1 && echo "ok daemon start" || fail "daemon start: $(cat /tmp/start.txt)"
grep -q "Gateway: http://127.0.0.1:" /tmp/start.txt && echo "ok addresses" || fail "start prints no addresses: $(cat /tmp/start.txt)"
ipfs-kit diag healthy > /tmp/healthy.txt 2>&1 && echo "ok healthy" || fail "diag healthy: $(cat /tmp/healthy.txt)"
ipfs-kit daemon stop > /dev/null 2>&1
dpkg -r ipfs-kit > /tmp/dpkg-r.log 2>&1 && echo "ok dpkg -r" || fail "dpkg -r: $(tail -5 /tmp/dpkg-r.log)"
[ ! -e /usr/bin/ipfs-kit ] && echo "ok removed" || fail "dpkg -r left /usr/bin/ipfs-kit"
EOF
mkdir -p "$TMP/overlay/upper/mnt/ipfskit-test"
cp "$DEB" "$TMP/in-root.sh" "$TMP/overlay/upper/mnt/ipfskit-test/"
# shellcheck disable=SC2016 # the script runs in the new namespace, with its own $1 and $2
unshare --mount --propagation private sh -c '
  set -e
  o=$1
  mount -t overlay overlay -o "lowerdir=/,upperdir=$o/upper,workdir=$o/work" "$o/root"
  mount -t proc proc "$o/root/proc"
  mount --rbind /dev "$o/root/dev"
  mount -t tmpfs tmpfs "$o/root/tmp"
  mount -t tmpfs tmpfs "$o/root/run"
  chroot "$o/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash /mnt/ipfskit-test/in-root.sh "/mnt/ipfskit-test/$(basename "$2")"
' sh "$TMP/overlay" "$DEB" > "$TMP/in-root.out" 2>&1 || fail "overlay install could not run: $(tail -5 "$TMP/in-root.out")"
sed 's/^/  [installed] /' "$TMP/in-root.out"
while read -r line; do
  case $line in FAIL:*) fail "installed .deb: ${line#FAIL: }" ;; esac
done < "$TMP/in-root.out"
for step in "dpkg -i" account verify "daemon start" addresses healthy "dpkg -r" removed; do
  grep -qx "ok $step" "$TMP/in-root.out" && pass || fail "installed .deb: step '$step' did not pass"
done
expect_eq "installed binary" "/usr/bin/ipfs-kit" "$(sed -n 's/^binary //p' "$TMP/in-root.out")"
expect_eq "installed ipfs-kit --version" "ipfs-kit $VERSION" "$(sed -n 's/^version //p' "$TMP/in-root.out")"
exposure=$(sed -n 's/^exposure //p' "$TMP/in-root.out")
echo "systemd-analyze security, ipfs-kit-hardened.service: exposure $exposure"
awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }' && pass || fail "hardened unit exposure '$exposure' is above 2.0"
# The overlay really was private: the host has no ipfs-kit from this test.
[ ! -e /mnt/ipfskit-test ] && pass || fail "the overlay leaked onto the host"
finish
