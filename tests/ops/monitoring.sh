#!/usr/bin/env bash
# Monitoring cannot drift from what the daemon exposes:
# - the README's metrics table lists exactly the families a running daemon's
#   /metrics has, each with its type and label names;
# - every query of the Grafana dashboard names only metrics /metrics has, and
#   a real Prometheus (Debian's), scraping this daemon with the compose
#   stack's scrape settings and the token, evaluates every panel query and
#   gets data back.
# Usage: monitoring.sh IPFS_KIT
. "$(dirname "$0")/../cli/lib.sh"
K=$(realpath "$1")
SRC=$(realpath "$(dirname "$0")/../..")
new_tmp
cd "$TMP" || exit 1
PROM_PID=""
trap '[ -n "$PROM_PID" ] && kill "$PROM_PID" 2> /dev/null; "$K" daemon stop > /dev/null 2>&1; rm -rf "$TMP"' EXIT
for k in api rpc gateway mcp; do "$K" config set daemon.${k}_address 127.0.0.1:0 > /dev/null; done
"$K" config set daemon.api_token metrics-token > /dev/null
"$K" daemon start --detach > /dev/null || fail "daemon start"
state() { python3 -c "import json; print(json.load(open('$IPFS_KIT_PATH/daemon.json'))['$1'])"; }
API=$(state api) RPC=$(state rpc) GW=$(state gateway)
# Traffic on every listener, so that every labelled series has samples.
echo "monitoring test" > f.txt
cid=$("$K" add -Q f.txt)
curl -s "http://$GW/ipfs/$cid" -o /dev/null
curl -s "http://$GW/ipfs/not-a-cid" -o /dev/null
curl -s -X POST -H 'Authorization: Bearer metrics-token' "http://$RPC/api/v0/version" -o /dev/null
curl -s -H 'Authorization: Bearer metrics-token' "http://$API/metrics" > metrics.txt
[ -s metrics.txt ] && pass || fail "scraped /metrics"

python3 "$SRC/tests/ops/metrics_table.py" "$SRC/README.md" metrics.txt "$SRC/docker/grafana/dashboards/ipfs-kit.json" \
  > check.txt 2>&1 && pass || fail "$(cat check.txt)"
# The check itself catches drift: a row missing, a wrong type.
# shellcheck disable=SC2016 # backquotes of the Markdown table, not commands
grep -v '^| `ipfskit_pins`' "$SRC/README.md" > readme-missing.md
python3 "$SRC/tests/ops/metrics_table.py" readme-missing.md metrics.txt "$SRC/docker/grafana/dashboards/ipfs-kit.json" > drift.txt 2>&1 \
  && fail "a README without ipfskit_pins passed" || pass
grep -q "ipfskit_pins (gauge) is exposed but not in the README table" drift.txt && pass || fail "drift message: $(cat drift.txt)"
# shellcheck disable=SC2016
sed 's/^| `ipfskit_repo_blocks` | gauge/| `ipfskit_repo_blocks` | counter/' "$SRC/README.md" > readme-type.md
python3 "$SRC/tests/ops/metrics_table.py" readme-type.md metrics.txt "$SRC/docker/grafana/dashboards/ipfs-kit.json" > /dev/null 2>&1 \
  && fail "a README with a wrong type passed" || pass

# A real Prometheus with the compose stack's scrape job, pointed at this daemon.
PROM_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo metrics-token > token
python3 -c '
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
c["global"]["scrape_interval"] = "1s"
job = c["scrape_configs"][0]
job["authorization"]["credentials_file"] = sys.argv[2]
job["static_configs"] = [{"targets": [sys.argv[3]]}]
print(yaml.safe_dump(c))' "$SRC/docker/prometheus/prometheus.yml" "$TMP/token" "$API" > prometheus.yml
prometheus --config.file=prometheus.yml --storage.tsdb.path="$TMP/tsdb" --web.listen-address="127.0.0.1:$PROM_PORT" > prometheus.log 2>&1 &
PROM_PID=$!
# A few scrapes, with traffic in between, so that rate() has points.
for _ in $(seq 8); do curl -s "http://$GW/ipfs/$cid" -o /dev/null; sleep 1; done
python3 "$SRC/tests/ops/dashboard_queries.py" "$SRC/docker/grafana/dashboards/ipfs-kit.json" "$PROM_PORT" > queries.txt 2>&1 \
  && pass || fail "Prometheus evaluating the dashboard: $(cat queries.txt; tail -5 prometheus.log)"
finish
