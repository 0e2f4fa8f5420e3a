#!/usr/bin/env bash
# Static checks of everything operations ships:
# - shellcheck on every shell script in the repository (*.sh and files with a
#   sh/bash shebang), with the project's .shellcheckrc;
# - yamllint on every YAML file (compose, Prometheus, Grafana provisioning,
#   Kubernetes manifests, CI), with the project's .yamllint;
# - Debian's docker-compose resolves docker-compose.yml (`config`);
# - promtool accepts the Prometheus scrape configuration (with the token file
#   it names present, as the compose secret makes it);
# - the CI workflow runs the README's test command.
# Usage: lint.sh
. "$(dirname "$0")/../cli/lib.sh"
SRC=$(realpath "$(dirname "$0")/../..")
new_tmp
cd "$SRC" || exit 1
sources() {  # every file of the repository's own, not builds or installed packages
  find . \( -path './build*' -o -path '*/node_modules' -o -path ./.git \) -prune -o -type f -print | sort
}
scripts=()
while IFS= read -r f; do
  case $f in
    *.sh) scripts+=("$f") ;;
    *) head -n1 "$f" 2> /dev/null | grep -qE '^#! ?(/usr/bin/env (ba)?sh|/bin/(ba)?sh)' && scripts+=("$f") ;;
  esac
done < <(sources)
[ "${#scripts[@]}" -ge 20 ] && pass || fail "found only ${#scripts[@]} scripts"
for s in docker/entrypoint.sh dist/debian/postinst scripts/test.sh .ci/run tests/ops/lint.sh; do
  printf '%s\n' "${scripts[@]}" | grep -qx "./$s" && pass || fail "shellcheck misses $s"
done
shellcheck "${scripts[@]}" > "$TMP/shellcheck.txt" 2>&1 && pass || fail "shellcheck: $(head -30 "$TMP/shellcheck.txt")"
echo "shellcheck: ${#scripts[@]} scripts"

mapfile -t yamls < <(sources | grep -E '\.ya?ml$')
[ "${#yamls[@]}" -ge 9 ] && pass || fail "found only ${#yamls[@]} YAML files"
yamllint --strict "${yamls[@]}" > "$TMP/yamllint.txt" 2>&1 && pass || fail "yamllint: $(head -30 "$TMP/yamllint.txt")"
echo "yamllint: ${#yamls[@]} files"

docker-compose -f docker-compose.yml config > "$TMP/compose.txt" 2>&1 && pass || fail "docker-compose config: $(head -10 "$TMP/compose.txt")"
python3 - "$TMP/compose.txt" << 'PY' > "$TMP/compose-check.txt" 2>&1 && pass || fail "compose services: $(cat "$TMP/compose-check.txt")"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
assert set(s) == {"ipfs-kit", "ipfs-kit-2", "s3", "prometheus", "grafana"}, set(s)
env = s["ipfs-kit"]["environment"]
assert env["IPFS_KIT_CLUSTER_PEERS"] == "ipfs_kit_2=http://ipfs-kit-2:5001", env
assert s["ipfs-kit"]["command"] == ["cluster"] and s["ipfs-kit-2"]["command"] == ["daemon-only"]
for name in ("ipfs-kit", "ipfs-kit-2"):
    assert s[name]["environment"]["IPFS_KIT_API_TOKEN_FILE"] == "/run/secrets/api-token"
    assert any(":/data/ipfs-kit" in str(v) for v in s[name]["volumes"]), s[name]["volumes"]
# Only the read-only gateway is published beyond loopback.
for name, svc in s.items():
    for p in svc.get("ports", []):
        published = p if isinstance(p, str) else f'{p.get("host_ip", "")}:{p["published"]}:{p["target"]}'
        if not published.startswith("127.0.0.1:"):
            assert name == "ipfs-kit" and published == ":8080:8080", (name, published)
PY
sed "s#/run/secrets/api-token#$TMP/api-token#" docker/prometheus/prometheus.yml > "$TMP/prometheus.yml"
echo test-token > "$TMP/api-token"
promtool check config "$TMP/prometheus.yml" > "$TMP/promtool.txt" 2>&1 && pass || fail "promtool check config: $(cat "$TMP/promtool.txt")"
grep -q 'credentials_file: /run/secrets/api-token' docker/prometheus/prometheus.yml && pass || fail "Prometheus reads the compose secret"

grep -q 'run: ./scripts/test.sh' .github/workflows/ci.yml && pass || fail "the CI workflow runs ./scripts/test.sh"
grep -q '^./scripts/test.sh ' README.md && pass || fail "README's test command is ./scripts/test.sh"
finish
