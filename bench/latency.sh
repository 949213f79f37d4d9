#!/usr/bin/env bash
# End-to-end latency benchmark, one command:   bench/latency.sh
#
# Under background load (openloop: batches of 100 track events, each event a new user) at each rate
# of BENCH_RATES, single probe events measure the time from the Tracking API's 200 until
#   - the computed trait they change is visible in the Profile API      target p99 <= 5 ms at 10k/s
#   - the audience they enter has its `Audience Entered` in the log      target p99 <= 5 ms at 10k/s
#   - a webhook destination has received them                            target p99 <= 10 ms at 5k/s
# next to a GET /healthz round trip measured in the same run (the polling resolution). Then, still
# under the load, openloop reads the Profile API's traits and /healthz at a fixed rate, each read
# timed from its scheduled send                                          target p99 <= 2 ms. Details in
# bench/latency.mjs; results in docs/performance.md.
#
# Environment: BENCH_RATES (events/s, default 5000,10000), BENCH_PROBES (per rate, default 300),
# BENCH_SKIP_DEPS=1, BENCH_TRIBUTARY=/path/to/binary (no build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="$ROOT/build/bench"
[ "${BENCH_SKIP_DEPS:-0}" = 1 ] || scripts/install-deps.sh --test --bench
if [ -n "${BENCH_TRIBUTARY:-}" ]; then
  TRIBUTARY="$BENCH_TRIBUTARY"
  mkdir -p "$BUILD"
else
  [ -f "$BUILD/build.ninja" ] ||
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIBUTARY_TESTS=OFF >/dev/null
  ninja -C "$BUILD" tributary >"$BUILD/bench-build.log" 2>&1 || { tail -40 "$BUILD/bench-build.log" >&2; exit 1; }
  TRIBUTARY="$BUILD/src/tributary"
fi
OPENLOOP="$BUILD/openloop"
if [ ! -x "$OPENLOOP" ] || [ bench/openloop.cpp -nt "$OPENLOOP" ]; then
  c++ -O2 -std=c++20 -o "$OPENLOOP" bench/openloop.cpp
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
node bench/latency.mjs --bin "$TRIBUTARY" --openloop "$OPENLOOP" --rates "${BENCH_RATES:-5000,10000}" \
  --probes "${BENCH_PROBES:-300}" --out "$BUILD/latency-results.md"
