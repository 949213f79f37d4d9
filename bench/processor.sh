#!/usr/bin/env bash
# Processor throughput benchmark (identity + profiles), one command: bench/processor.sh [EVENTS] [USERS] [CACHE]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "${BENCH_SKIP_DEPS:-0}" = 1 ] || scripts/install-deps.sh
cmake -S . -B build/bench-proc -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIBUTARY_TESTS=OFF -DTRIBUTARY_BENCH=ON >/dev/null
ninja -C build/bench-proc processor_bench >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
build/bench-proc/bench/processor/processor_bench "$@"
