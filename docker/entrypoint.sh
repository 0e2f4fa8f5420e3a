#!/usr/bin/env bash
# The ipfs-kit container's entrypoint (Kubo's container conventions):
#   - the repository is $IPFS_KIT_PATH (a volume, /data/ipfs-kit), created by
#     `ipfs-kit init` on the first run;
#   - with $IPFS_KIT_CONFIG_TEMPLATE (a Kubernetes ConfigMap's config.json),
#     that file is copied into the repository at every start, then adjusted;
#   - the API token comes from $IPFS_KIT_API_TOKEN or the file named by
#     $IPFS_KIT_API_TOKEN_FILE (a Docker or Kubernetes secret);
#   - the gateway (read-only, content-addressed) listens on 0.0.0.0; the
#     management API, the RPC and MCP (they can write and delete) are switched
#     to 0.0.0.0 only when a token is set, and otherwise stay on the
#     container's loopback, with a warning;
#   - every *.sh in /container-init.d runs, in name order, after init and
#     before the daemon starts (executable: run; otherwise: run by sh), with
#     the repository initialized and configured;
#   - then the mode runs in the foreground as PID 1 (SIGTERM stops it):
#       all          the daemon with every listener (default)
#       daemon-only  the daemon: management API, RPC and gateway
#       ipfs-only    the IPFS node only: RPC and gateway public, the management API on loopback
#       mcp-only     `ipfs-kit mcp serve`, the MCP server alone
#       cluster      the daemon with replication on, and each peer of
#                    $IPFS_KIT_CLUSTER_PEERS ("name=http://host:5001,...") as a kubo backend
#     Anything else is run as a command (`docker run IMAGE ipfs-kit add ...`).
# For tests and debugging: $IPFS_KIT_BIN (default ipfs-kit), $IPFS_KIT_INIT_DIR
# (default /container-init.d), and IPFS_KIT_ENTRYPOINT_DRY_RUN=1 to print the
# final command instead of running it.
set -euo pipefail

IPFS_KIT_PATH=${IPFS_KIT_PATH:-/data/ipfs-kit}
export IPFS_KIT_PATH
BIN=${IPFS_KIT_BIN:-ipfs-kit}
INIT_DIR=${IPFS_KIT_INIT_DIR:-/container-init.d}
API_PORT=${IPFS_KIT_API_PORT:-8887}
RPC_PORT=${IPFS_KIT_RPC_PORT:-5001}
GATEWAY_PORT=${IPFS_KIT_GATEWAY_PORT:-8080}
MCP_PORT=${IPFS_KIT_MCP_PORT:-8888}

log() { echo "entrypoint: $*" >&2; }
die() { log "error: $*"; exit 1; }
kit() { "$BIN" "$@"; }
set_config() { kit config set "$1" "$2" > /dev/null || die "config set $1 $2 failed"; }
# Keys that other parts of ipfs-kit add (MCP's listener) are set only once
# this build knows them.
has_key() { kit config get "$1" > /dev/null 2>&1; }

run() {
  if [ "${IPFS_KIT_ENTRYPOINT_DRY_RUN:-0}" = 1 ]; then
    echo "exec $*"
    exit 0
  fi
  exec "$@"
}

mode=${1:-all}
case $mode in
  all | daemon-only | ipfs-only | mcp-only | cluster) ;;
  *) run "$@" ;;  # a command, e.g. `ipfs-kit --version` or a shell
esac

# ---- repository ----
if [ ! -f "$IPFS_KIT_PATH/config.json" ]; then
  log "initializing the repository at $IPFS_KIT_PATH"
  kit init > /dev/null || die "ipfs-kit init failed"
fi

if [ -n "${IPFS_KIT_CONFIG_TEMPLATE:-}" ]; then
  [ -r "$IPFS_KIT_CONFIG_TEMPLATE" ] || die "IPFS_KIT_CONFIG_TEMPLATE=$IPFS_KIT_CONFIG_TEMPLATE is not readable"
  cp "$IPFS_KIT_CONFIG_TEMPLATE" "$IPFS_KIT_PATH/config.json"
  kit config show > /dev/null || die "$IPFS_KIT_CONFIG_TEMPLATE is not a valid ipfs-kit configuration"
  log "configuration from $IPFS_KIT_CONFIG_TEMPLATE"
fi

# ---- token ----
token=${IPFS_KIT_API_TOKEN:-}
if [ -z "$token" ] && [ -n "${IPFS_KIT_API_TOKEN_FILE:-}" ]; then
  [ -r "$IPFS_KIT_API_TOKEN_FILE" ] || die "IPFS_KIT_API_TOKEN_FILE=$IPFS_KIT_API_TOKEN_FILE is not readable"
  token=$(tr -d '\r\n' < "$IPFS_KIT_API_TOKEN_FILE")
fi
case $token in
  change-me | CHANGE-ME | changeme) die "the API token is still the placeholder '$token': set a real secret" ;;
esac
if [ -n "$token" ]; then
  set_config daemon.api_token "$token"
  chmod 600 "$IPFS_KIT_PATH/config.json"
else
  # A token already in config.json (shown as "(set)"): the listeners may be public.
  configured=$(kit config get daemon.api_token 2> /dev/null || true)
  [ "$configured" = null ] && configured=""
  [ -n "$configured" ] && token=$configured
fi

# ---- listeners ----
# public ADDRESS_KEY PORT: 0.0.0.0 with a token; loopback without one.
public() {
  if [ -n "$token" ]; then
    set_config "$1" "0.0.0.0:$2"
  else
    set_config "$1" "127.0.0.1:$2"
    log "warning: no API token (IPFS_KIT_API_TOKEN or IPFS_KIT_API_TOKEN_FILE): $1 stays on the container's loopback"
  fi
}
set_config daemon.gateway_address "0.0.0.0:$GATEWAY_PORT"
case $mode in
  ipfs-only)
    set_config daemon.api_address "127.0.0.1:$API_PORT"
    public daemon.rpc_address "$RPC_PORT"
    ;;
  # `mcp serve` listens on mcp.address (the daemon's listener is daemon.mcp_address).
  mcp-only) public mcp.address "$MCP_PORT" ;;
  *)
    public daemon.api_address "$API_PORT"
    public daemon.rpc_address "$RPC_PORT"
    ;;
esac
if has_key daemon.mcp_address; then
  case $mode in
    all | mcp-only) public daemon.mcp_address "$MCP_PORT" ;;
    *) set_config daemon.mcp_address "127.0.0.1:$MCP_PORT" ;;
  esac
fi
if [ "$mode" = cluster ]; then
  set_config replication.enabled true
  set_config replication.auto_replication true
  IFS=, read -r -a peers <<< "${IPFS_KIT_CLUSTER_PEERS:-}"
  for peer in "${peers[@]}"; do
    [ -n "$peer" ] || continue
    name=${peer%%=*}
    url=${peer#*=}
    if [ "$name" = "$peer" ] || [ -z "$name" ] || [ -z "$url" ]; then
      die "IPFS_KIT_CLUSTER_PEERS entries are name=url, got '$peer'"
    fi
    set_config "backends.$name.type" kubo
    set_config "backends.$name.rpc" "$url"
    log "replicating to $name at $url"
  done
fi

# ---- /container-init.d ----
if [ -d "$INIT_DIR" ]; then
  while IFS= read -r -d '' script; do
    if [ -x "$script" ]; then
      log "running $script"
      "$script" || die "$script failed"
    else
      log "running $script with sh"
      sh "$script" || die "$script failed"
    fi
  done < <(find "$INIT_DIR" -maxdepth 1 -type f -name '*.sh' -print0 | sort -z)
fi

# ---- run ----
case $mode in
  mcp-only) run "$BIN" mcp serve ;;
  *) run "$BIN" daemon start ;;
esac
