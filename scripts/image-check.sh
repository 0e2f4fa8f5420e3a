#!/usr/bin/env bash
# Builds the container image's runtime stage here, without a container engine
# daemon, and checks it from outside: Debian's podman builds the Dockerfile's
# runtime stage (chroot isolation) on a debian:12 base made with debootstrap,
# from the .deb that `cpack -G DEB` makes of BUILD_DIR; then the image's own
# root filesystem runs its entrypoint (`daemon-only`, a token set) under
# chroot as the image's user, with a fresh volume, and the script checks
# /health, the gateway's /ipfs/bafkqaaa and the image's HEALTHCHECK command.
#
# Why chroot and not `podman run`: on this machine the OCI runtimes cannot
# start a container (crun: "cgroups in hybrid mode not supported", and
# setrlimit(RLIMIT_NOFILE/NPROC) is refused even at the current values), so
# what runs is the image's filesystem, entrypoint and user, without its
# namespaces. The build stage (a full compile inside the image, ~25 min on 2
# cores without ccache) is not run here: the .deb comes from BUILD_DIR.
#
# Usage: scripts/image-check.sh [BUILD_DIR]   (root; downloads a Debian base once)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(realpath "${1:-build}")
BASE_DIR=${IMAGE_BASE_DIR:-/var/tmp/ipfskit-debian12-rootfs}
TAG=ipfs-kit:check
[ "$(id -u)" = 0 ] || { echo "run as root (podman, chroot, mounts)" >&2; exit 1; }
command -v podman > /dev/null && command -v debootstrap > /dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman debootstrap > /dev/null

# ---- the base image (debian:12) ----
if ! podman image exists docker.io/library/debian:12; then
  [ -x "$BASE_DIR/bin/sh" ] || debootstrap --variant=minbase bookworm "$BASE_DIR" http://deb.debian.org/debian > /dev/null
  tar -C "$BASE_DIR" -c . | podman import - docker.io/library/debian:12 > /dev/null
fi

# ---- the runtime stage, from this build's .deb ----
ctx=$(mktemp -d)
vol=$(mktemp -d)
mnt=""
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2> /dev/null && sleep 1
  pkill -u 1000 -f "ipfs-kit daemon" 2> /dev/null || true
  if [ -n "$mnt" ]; then
    for m in data/ipfs-kit proc dev; do umount "$mnt/$m" 2> /dev/null || true; done
    podman image unmount "$TAG" > /dev/null 2>&1 || true
  fi
  rm -rf "$ctx" "$vol"
}
trap cleanup EXIT
(cd "$BUILD" && cpack -G DEB > /dev/null 2>&1)
cp "$BUILD"/ipfs-kit_*_amd64.deb "$ctx/ipfs-kit.deb"
mkdir -p "$ctx/docker"
cp docker/entrypoint.sh "$ctx/docker/"
sed -n '/^# ---- runtime ----/,$p' Dockerfile |
  sed 's|^COPY --from=build /ipfs-kit.deb /tmp/ipfs-kit.deb|COPY ipfs-kit.deb /tmp/ipfs-kit.deb|' > "$ctx/Dockerfile"
grep -q '^COPY ipfs-kit.deb' "$ctx/Dockerfile" || { echo "the Dockerfile's runtime stage changed: update this script" >&2; exit 1; }
podman build --format docker --isolation chroot --network host -t "$TAG" "$ctx" > "$ctx/build.log" 2>&1 ||
  { tail -20 "$ctx/build.log"; exit 1; }
echo "built $TAG (runtime stage): $(podman image inspect "$TAG" --format '{{.Size}}') bytes"
user=$(podman image inspect "$TAG" --format '{{.Config.User}}')
health=$(podman image inspect "$TAG" --format '{{json .Config.Healthcheck.Test}}')
echo "image user: $user; HEALTHCHECK: $health"

# ---- run it, check it from outside ----
mnt=$(podman image mount "$TAG")
chown 1000:1000 "$vol"
mount --bind "$vol" "$mnt/data/ipfs-kit"
mount -t proc proc "$mnt/proc"  # the entrypoint reads /dev/fd (-> /proc/self/fd)
mount --bind /dev "$mnt/dev"
fp() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
A=$(fp) R=$(fp) G=$(fp) M=$(fp)
in_image() {
  chroot --userspec=1000:1000 "$mnt" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/data/ipfs-kit \
    IPFS_KIT_PATH=/data/ipfs-kit IPFS_KIT_API_TOKEN=image-check-token IPFS_KIT_API_PORT="$A" IPFS_KIT_RPC_PORT="$R" \
    IPFS_KIT_GATEWAY_PORT="$G" IPFS_KIT_MCP_PORT="$M" "$@"
}
in_image /usr/local/bin/container-entrypoint daemon-only > "$ctx/run.log" 2>&1 &
pid=$!
ok=0
for _ in $(seq 100); do
  curl -sf -m 2 -o /dev/null "http://127.0.0.1:$G/ipfs/bafkqaaa" && { ok=1; break; }
  sleep 0.1
done
[ "$ok" = 1 ] || { cat "$ctx/run.log"; echo "FAIL: the gateway never answered" >&2; exit 1; }
fail=0
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$G/ipfs/bafkqaaa")
[ "$code" = 200 ] && echo "ok: gateway /ipfs/bafkqaaa from outside: 200" || { echo "FAIL: gateway $code"; fail=1; }
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/config")
[ "$code" = 401 ] && echo "ok: /config without the token: 401" || { echo "FAIL: /config without the token: $code"; fail=1; }
body=$(curl -s -m 5 -H "Authorization: Bearer image-check-token" "http://127.0.0.1:$A/health")
case $body in *'"status":"healthy"'*) echo "ok: /health with the token: $body" ;; *) echo "FAIL: /health: $body"; fail=1 ;; esac
if in_image ipfs-kit diag healthy --timeout 8; then echo "ok: the HEALTHCHECK command (diag healthy) passes"; else
  echo "FAIL: diag healthy"; fail=1; fi
[ "$fail" = 0 ] && echo "image check passed" || exit 1
