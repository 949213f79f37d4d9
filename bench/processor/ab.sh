#!/usr/bin/env bash
# Interleaved A/B runs of two processor_bench binaries (e.g. one built at the base commit, one at
# the change), so that a drifting machine affects both alike:
#
#   bench/processor/ab.sh N BIN_A BIN_B [processor_bench arguments...]
#   e.g. bench/processor/ab.sh 4 /tmp/base/processor_bench build/bench/processor/processor_bench \
#          300000 300000 30000 bench/processor/nine_traits.yaml
#
# Runs A, B, A, B, ... N pairs, each in a fresh temporary directory (deleted afterwards), and prints
# a line per run (events/s, the timer burst when one was asked for, user+system CPU seconds, peak
# RSS) and then the range and mean of each per binary. Needs /usr/bin/time (Debian: `time`).
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
N=$1 A=$(realpath "$2") B=$(realpath "$3")
shift 3
CONFIG_ARGS=()
for a in "$@"; do
  # A relative config path stays valid from the run's temporary directory.
  if [ -f "$a" ]; then CONFIG_ARGS+=("$(realpath "$a")"); else CONFIG_ARGS+=("$a"); fi
done
[ -x /usr/bin/time ] || { echo "ab.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$N"); do
  for side in A B; do
    bin=$A
    [ "$side" = B ] && bin=$B
    dir=$(mktemp -d)
    out=$(cd "$dir" && /usr/bin/time -f "TIME %U %S %M" "$bin" "${CONFIG_ARGS[@]}" 2>&1) || {
      echo "$out" | tail -20 >&2
      rm -rf "$dir"
      exit 1
    }
    rm -rf "$dir"
    evs=$(echo "$out" | awk -F'|' '/^\| [0-9]/ {gsub(/ /, "", $9); print $9}' | head -1)
    burst=$(echo "$out" | sed -n 's/.*(\([0-9.]*\) s in all).*/\1/p' | head -1)
    cpu=$(echo "$out" | awk '/^TIME/ {printf "%.1f", $2 + $3}')
    rss=$(echo "$out" | awk '/^TIME/ {printf "%d", $4 / 1024}')
    echo "$side run $i: events/s ${evs:--} burst_s ${burst:--} cpu_s $cpu rss_mb $rss"
    echo "$side ${evs:-0} ${burst:-0} $cpu $rss" >>"$RESULTS"
  done
done
awk '
  { n[$1]++; for (k = 2; k <= 5; k++) { v = $k + 0; s[$1, k] += v;
      if (n[$1] == 1 || v < lo[$1, k]) lo[$1, k] = v; if (n[$1] == 1 || v > hi[$1, k]) hi[$1, k] = v } }
  END { split("events/s burst_s cpu_s rss_mb", name, " ");
    for (side in n) { line = side ":";
      for (k = 2; k <= 5; k++) line = line sprintf(" %s %g-%g (mean %.6g)", name[k - 1], lo[side, k], hi[side, k], s[side, k] / n[side]);
      print line } }' "$RESULTS" | sort
