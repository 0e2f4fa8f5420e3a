#!/usr/bin/env bash
# Containers without a container engine (none runs on this machine):
# - the entrypoint runs as a plain script against a temporary root in every
#   mode: first-run init, the token from a variable or a file, listeners on
#   0.0.0.0 only with a token (the read-only gateway always), a placeholder
#   token refused, a ConfigMap template copied in, /container-init.d scripts
#   run in order with the repository ready, the command each mode would exec;
# - daemon-only for real: the daemon it execs serves /health on the address a
#   published port would reach, the image's HEALTHCHECK command passes, and
#   SIGTERM to the entrypoint's process stops it;
# - the Dockerfile and the Kubernetes manifests agree with the entrypoint and
#   the daemon (ports, volume, non-root user, probes, the ConfigMap's
#   config.json is valid for ipfs-kit, the Secret is what the pod reads).
# Usage: containers.sh IPFS_KIT
. "$(dirname "$0")/../cli/lib.sh"
K=$(realpath "$1")
SRC=$(realpath "$(dirname "$0")/../..")
ENTRY=$SRC/docker/entrypoint.sh
new_tmp
cd "$TMP" || exit 1
DAEMON_PID=""
trap '[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2> /dev/null; rm -rf "$TMP"' EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
API_PORT=$(free_port) RPC_PORT=$(free_port) GW_PORT=$(free_port) MCP_PORT=$(free_port)
mkdir -p bin
# `ipfs-kit` as the image has it, on PATH (init scripts call it by name).
ln -s "$K" bin/ipfs-kit
export PATH="$TMP/bin:$PATH"

# entry ROOT MODE [VAR=VALUE...]: runs the entrypoint in dry-run mode on ROOT/data, output in ROOT/out.
entry() {
  local root=$1 mode=$2
  shift 2
  mkdir -p "$root/container-init.d"
  env -u IPFS_KIT_API_TOKEN IPFS_KIT_PATH="$root/data" IPFS_KIT_INIT_DIR="$root/container-init.d" \
    IPFS_KIT_ENTRYPOINT_DRY_RUN=1 IPFS_KIT_API_PORT="$API_PORT" IPFS_KIT_RPC_PORT="$RPC_PORT" \
    IPFS_KIT_GATEWAY_PORT="$GW_PORT" IPFS_KIT_MCP_PORT="$MCP_PORT" "$@" "$ENTRY" "$mode" > "$root/out" 2> "$root/err"
}
conf() { IPFS_KIT_PATH="$1/data" ipfs-kit config get "$2"; }
# `config get` shows a set token as "(set)": read it from the file.
token_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["daemon"]["api_token"])' "$1/data/config.json"; }

# ---- every mode, with a token ----
echo -n "t0ken-from-file" > token
for mode in all daemon-only ipfs-only mcp-only cluster; do
  r=$TMP/root-$mode
  entry "$r" "$mode" IPFS_KIT_API_TOKEN_FILE="$TMP/token" || fail "$mode: entrypoint failed: $(cat "$r/err")"
  [ -f "$r/data/config.json" ] && [ -f "$r/data/keystore/self.key" ] && pass || fail "$mode: first run initializes the repository"
  expect_eq "$mode: token from the file" "t0ken-from-file" "$(token_of "$r")"
  expect_eq "$mode: config.json is private" 600 "$(stat -c %a "$r/data/config.json")"
  expect_eq "$mode: gateway on 0.0.0.0" "0.0.0.0:$GW_PORT" "$(conf "$r" daemon.gateway_address)"
  case $mode in
    mcp-only) want_exec="exec ipfs-kit mcp serve" ;;
    *) want_exec="exec ipfs-kit daemon start" ;;
  esac
  expect_eq "$mode: the command it runs" "$want_exec" "$(cat "$r/out")"
done
expect_eq "all: API on 0.0.0.0 with a token" "0.0.0.0:$API_PORT" "$(conf "$TMP/root-all" daemon.api_address)"
expect_eq "all: RPC on 0.0.0.0 with a token" "0.0.0.0:$RPC_PORT" "$(conf "$TMP/root-all" daemon.rpc_address)"
expect_eq "mcp-only: mcp serve on 0.0.0.0 with a token" "0.0.0.0:$MCP_PORT" "$(conf "$TMP/root-mcp-only" mcp.address)"
expect_eq "daemon-only: RPC on 0.0.0.0" "0.0.0.0:$RPC_PORT" "$(conf "$TMP/root-daemon-only" daemon.rpc_address)"
expect_eq "ipfs-only: RPC on 0.0.0.0" "0.0.0.0:$RPC_PORT" "$(conf "$TMP/root-ipfs-only" daemon.rpc_address)"
expect_eq "ipfs-only: the management API stays on loopback" "127.0.0.1:$API_PORT" "$(conf "$TMP/root-ipfs-only" daemon.api_address)"
expect_eq "cluster: replication on" "true" "$(conf "$TMP/root-cluster" replication.enabled)"
# A second start keeps the repository (no second init) and its identity.
id1=$(IPFS_KIT_PATH="$TMP/root-all/data" ipfs-kit id --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["ID"])')
entry "$TMP/root-all" all IPFS_KIT_API_TOKEN=other-token || fail "second start: $(cat "$TMP/root-all/err")"
id2=$(IPFS_KIT_PATH="$TMP/root-all/data" ipfs-kit id --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["ID"])')
expect_eq "a second start keeps the identity" "$id1" "$id2"
grep -q "initializing" "$TMP/root-all/err" && fail "a second start initialized again" || pass
expect_eq "IPFS_KIT_API_TOKEN wins and replaces the token" other-token "$(token_of "$TMP/root-all")"

# ---- without a token: nothing that writes is reachable from outside ----
r=$TMP/root-open
entry "$r" all || fail "no token: entrypoint failed: $(cat "$r/err")"
expect_eq "no token: API on loopback" "127.0.0.1:$API_PORT" "$(conf "$r" daemon.api_address)"
expect_eq "no token: RPC on loopback" "127.0.0.1:$RPC_PORT" "$(conf "$r" daemon.rpc_address)"
expect_eq "no token: the gateway is still public" "0.0.0.0:$GW_PORT" "$(conf "$r" daemon.gateway_address)"
grep -q "warning: no API token" "$r/err" && pass || fail "no token: a warning says so: $(cat "$r/err")"
r=$TMP/root-placeholder
entry "$r" all IPFS_KIT_API_TOKEN=change-me && fail "the placeholder token was accepted" || pass
grep -q "placeholder" "$r/err" && pass || fail "placeholder refusal says why: $(cat "$r/err")"
r=$TMP/root-missing-file
entry "$r" all IPFS_KIT_API_TOKEN_FILE=/nonexistent/token && fail "a missing token file was accepted" || pass

# ---- the Kubernetes ConfigMap as the configuration template ----
python3 - "$SRC/deploy/kubernetes/configmap.yaml" > configmap-config.json << 'EOF'
import sys, yaml
print(yaml.safe_load(open(sys.argv[1]))["data"]["config.json"])
EOF
r=$TMP/root-k8s
entry "$r" all IPFS_KIT_CONFIG_TEMPLATE="$TMP/configmap-config.json" IPFS_KIT_API_TOKEN=k8s-token \
  || fail "ConfigMap template: entrypoint failed: $(cat "$r/err")"
expect_eq "ConfigMap template applied" 1 "$(conf "$r" replication.min_replicas)"
expect_eq "ConfigMap template, then the listeners" "0.0.0.0:$API_PORT" "$(conf "$r" daemon.api_address)"
echo '{"daemon": {"no_such_key": 1}}' > bad-config.json
entry "$TMP/root-bad" all IPFS_KIT_CONFIG_TEMPLATE="$TMP/bad-config.json" IPFS_KIT_API_TOKEN=x && fail "an invalid template was accepted" || pass

# ---- /container-init.d ----
r=$TMP/root-init
mkdir -p "$r/container-init.d"
cat > "$r/container-init.d/10-first.sh" << 'EOF'
#!/bin/sh
# executable: run; the repository exists and is configured already
ipfs-kit config get daemon.api_address > "$IPFS_KIT_PATH/../seen-address"
echo first >> "$IPFS_KIT_PATH/../order"
EOF
chmod +x "$r/container-init.d/10-first.sh"
# shellcheck disable=SC2016 # expanded by the init script, not here
printf 'echo second >> "$IPFS_KIT_PATH/../order"\n' > "$r/container-init.d/20-second.sh"   # not executable: sh runs it
# shellcheck disable=SC2016
printf 'echo never >> "$IPFS_KIT_PATH/../order"\n' > "$r/container-init.d/30-ignored.txt"  # not *.sh: skipped
entry "$r" daemon-only IPFS_KIT_API_TOKEN=init-token || fail "init scripts: $(cat "$r/err")"
expect_eq "init scripts run in name order, only *.sh" "first second" "$(tr '\n' ' ' < "$r/order" | sed 's/ $//')"
expect_eq "init scripts see the configured repository" "0.0.0.0:$API_PORT" "$(cat "$r/seen-address")"
printf 'exit 3\n' > "$r/container-init.d/40-fails.sh"
entry "$r" daemon-only IPFS_KIT_API_TOKEN=init-token && fail "a failing init script did not stop the start" || pass

# ---- cluster peers become kubo backends (recorded through a stand-in ipfs-kit) ----
cat > "$TMP/recording-kit" << EOF
#!/bin/sh
echo "\$*" >> "$TMP/kit-calls"
case "\$1 \$2" in "config set") case "\$3" in backends.*) exit 0 ;; esac ;; esac
exec "$K" "\$@"
EOF
chmod +x "$TMP/recording-kit"
entry "$TMP/root-peers" cluster IPFS_KIT_BIN="$TMP/recording-kit" IPFS_KIT_API_TOKEN=t \
  IPFS_KIT_CLUSTER_PEERS="ipfs_kit_2=http://ipfs-kit-2:5001,far=http://10.1.2.3:5001" || fail "cluster peers: $(cat "$TMP/root-peers/err")"
for want in "config set backends.ipfs_kit_2.type kubo" "config set backends.ipfs_kit_2.rpc http://ipfs-kit-2:5001" \
  "config set backends.far.type kubo" "config set backends.far.rpc http://10.1.2.3:5001"; do
  grep -qx "$want" "$TMP/kit-calls" && pass || fail "cluster: '$want' not run"
done
entry "$TMP/root-peers2" cluster IPFS_KIT_BIN="$TMP/recording-kit" IPFS_KIT_API_TOKEN=t IPFS_KIT_CLUSTER_PEERS="no-url" \
  && fail "a malformed peer was accepted" || pass
# Any other first argument is a command.
expect_eq "a command instead of a mode" "exec ipfs-kit --version" \
  "$(IPFS_KIT_ENTRYPOINT_DRY_RUN=1 "$ENTRY" ipfs-kit --version)"

# ---- daemon-only for real ----
r=$TMP/root-real
mkdir -p "$r/container-init.d"
env IPFS_KIT_PATH="$r/data" IPFS_KIT_INIT_DIR="$r/container-init.d" IPFS_KIT_API_PORT="$API_PORT" \
  IPFS_KIT_RPC_PORT="$RPC_PORT" IPFS_KIT_GATEWAY_PORT="$GW_PORT" IPFS_KIT_MCP_PORT="$MCP_PORT" IPFS_KIT_API_TOKEN=real-token \
  "$ENTRY" daemon-only > "$r/out" 2> "$r/err" &
DAEMON_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$API_PORT/health" -o /dev/null && break; sleep 0.1; done
# What a published port reaches: the 0.0.0.0 listeners, through a non-loopback-bound client is not
# available here; 127.0.0.1 reaches 0.0.0.0 the same way docker-proxy does.
expect_eq "/health from outside the entrypoint" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/health")"
expect_eq "the gateway serves" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GW_PORT/ipfs/bafkqaaa")"
expect_eq "the RPC needs the token" 401 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$RPC_PORT/api/v0/version")"
expect_eq "the RPC takes the token" 200 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer real-token' "http://127.0.0.1:$RPC_PORT/api/v0/version")"
# The image's HEALTHCHECK, word for word from the Dockerfile.
hc=$(python3 -c '
import json, re, sys
for line in open(sys.argv[1]):
    m = re.match(r"HEALTHCHECK .* CMD (\[.*\])\s*$", line)
    if m: print(" ".join(json.loads(m.group(1))))' "$SRC/Dockerfile")
expect_eq "the HEALTHCHECK runs diag healthy" "ipfs-kit diag healthy --timeout 8" "$hc"
# shellcheck disable=SC2086 # the command line, split as Docker splits its JSON array
IPFS_KIT_PATH="$r/data" $hc > hc.out 2>&1 && pass || fail "HEALTHCHECK against the running container daemon: $(cat hc.out)"
expect_eq "the entrypoint became the daemon (exec, PID kept)" "$DAEMON_PID" "$(python3 -c "import json; print(json.load(open('$r/data/daemon.json'))['pid'])")"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; code=$?; DAEMON_PID=""
expect_eq "SIGTERM stops it with status 0" 0 "$code"

# ---- Dockerfile ----
D=$SRC/Dockerfile
expect_eq "multi-stage on Debian 12" "debian:12 AS build|debian:12" "$(awk '/^FROM / {sub(/^FROM /, ""); printf "%s%s", sep, $0; sep = "|"}' "$D")"
grep -q '^USER ipfs-kit$' "$D" && pass || fail "the image runs as the non-root ipfs-kit user"
grep -q '^VOLUME /data/ipfs-kit$' "$D" && grep -q '^ENV IPFS_KIT_PATH=/data/ipfs-kit$' "$D" && pass || fail "the repository is a volume at IPFS_KIT_PATH"
expect_eq "exposed ports" "8887 5001 8080 8888" "$(sed -n 's/^EXPOSE //p' "$D")"
grep -q '^COPY docker/entrypoint.sh /usr/local/bin/container-entrypoint$' "$D" && grep -q '^ENTRYPOINT \["/usr/local/bin/container-entrypoint"\]$' "$D" \
  && pass || fail "the entrypoint is the script tested here"
grep -q 'cpack -G DEB' "$D" && pass || fail "the image installs the .deb the build makes"

# ---- Kubernetes manifests ----
python3 - "$SRC/deploy/kubernetes" "$ENTRY" << 'EOF' > k8s.out 2>&1 && pass || fail "Kubernetes manifests: $(cat k8s.out)"
import os, sys, yaml
d = sys.argv[1]
docs = {}
for f in sorted(os.listdir(d)):
    if f.endswith(".yaml") and f != "kustomization.yaml":
        for doc in yaml.safe_load_all(open(os.path.join(d, f))):
            docs[(doc["kind"], doc["metadata"]["name"])] = doc
kust = yaml.safe_load(open(os.path.join(d, "kustomization.yaml")))
assert sorted(kust["resources"]) == sorted(f for f in os.listdir(d) if f.endswith(".yaml") and f != "kustomization.yaml"), kust
sts = docs[("StatefulSet", "ipfs-kit")]
pod = sts["spec"]["template"]["spec"]
c = pod["containers"][0]
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
assert ports == {"api": 8887, "rpc": 5001, "gateway": 8080, "mcp": 8888}, ports
assert c["readinessProbe"]["httpGet"] == {"path": "/ipfs/bafkqaaa", "port": "gateway"}, c["readinessProbe"]
assert c["livenessProbe"]["httpGet"] == {"path": "/health", "port": "api"}, c["livenessProbe"]
env = {e["name"]: e["value"] for e in c["env"]}
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
assert env["IPFS_KIT_PATH"] == mounts["data"], (env, mounts)
assert os.path.dirname(env["IPFS_KIT_CONFIG_TEMPLATE"]) == mounts["config"]
assert os.path.dirname(env["IPFS_KIT_API_TOKEN_FILE"]) == mounts["token"]
vols = {v["name"]: v for v in pod["volumes"]}
assert vols["config"]["configMap"]["name"] in [n for k, n in docs if k == "ConfigMap"]
secret = docs[("Secret", vols["token"]["secret"]["secretName"])]
assert os.path.basename(env["IPFS_KIT_API_TOKEN_FILE"]) in secret["stringData"]
assert "config.json" in docs[("ConfigMap", vols["config"]["configMap"]["name"])]["data"]
assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["data"]
assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 1000
svc = docs[("Service", "ipfs-kit")]
assert svc["spec"]["selector"] == sts["spec"]["selector"]["matchLabels"]
assert {p["targetPort"] for p in svc["spec"]["ports"]} <= set(ports), svc["spec"]["ports"]
assert docs[("Service", sts["spec"]["serviceName"])]["spec"]["clusterIP"] == "None"
print("ok")
EOF
grep -q "^RUN groupadd --system --gid 1000 ipfs-kit" "$D" && pass || fail "the image's account has the uid the StatefulSet runs as (1000)"
finish
