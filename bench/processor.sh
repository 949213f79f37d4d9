#!/usr/bin/env bash
# Engine benchmarks without HTTP, one command: bench/processor.sh [EVENTS] [USERS] [CACHE]
#  1. processor throughput (identity + profiles) from a pre-filled log   (processor_bench)
#  2. tracking plan cost: parse + normalize with and without the example plan, CPU ns/event (plan_bench)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "${BENCH_SKIP_DEPS:-0}" = 1 ] || scripts/install-deps.sh
cmake -S . -B build/bench-proc -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIBUTARY_TESTS=OFF -DTRIBUTARY_BENCH=ON >/dev/null
ninja -C build/bench-proc processor_bench plan_bench >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
build/bench-proc/bench/processor/processor_bench "$@"
echo
build/bench-proc/bench/processor/plan_bench 20000 2>/dev/null
