# shellcheck shell=bash
# Benchmark helpers: timed runs, medians, ratio checks.
# This machine is shared and noisy, so every figure is a median of several
# runs, and targets are ratios against a reference measured in the same run.
set -u

BENCH_FAILURES=0

# measure LABEL RUNS COMMAND... : runs COMMAND (through sh) RUNS times, keeps
# wall seconds and peak RSS (KiB) of each run in TIMES_<LABEL> / RSS_<LABEL>.
measure() {
  local label=$1 runs=$2
  shift 2
  local times="" rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o /tmp/ipfskit-bench-time.$$ sh -c "$*" > /dev/null 2>/tmp/ipfskit-bench-err.$$ || {
      echo "benchmark command failed: $*" >&2
      cat /tmp/ipfskit-bench-err.$$ >&2
      exit 1
    }
    read -r t m < /tmp/ipfskit-bench-time.$$
    times="$times $t"
    rss="$rss $m"
  done
  eval "TIMES_$label=\"$times\""
  eval "RSS_$label=\"$rss\""
}

median() { echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
max_of() { echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# check NAME VALUE OP LIMIT: prints a verdict line and records failures.
check() {
  local name=$1 value=$2 op=$3 limit=$4 ok
  ok=$(awk -v v="$value" -v l="$limit" -v op="$op" 'BEGIN { print (op == "<=" ? v <= l : v < l) ? 1 : 0 }')
  if [ "$ok" = 1 ]; then
    printf '  %-58s %10s %s %-8s PASS\n' "$name" "$value" "$op" "$limit"
  else
    printf '  %-58s %10s %s %-8s FAIL\n' "$name" "$value" "$op" "$limit"
    BENCH_FAILURES=$((BENCH_FAILURES + 1))
  fi
}

# Drops nothing from the page cache (we cannot as a normal user): instead,
# every input is read once before timing so all runs see a warm cache.
warm() { cat "$@" > /dev/null; }
