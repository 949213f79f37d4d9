#!/usr/bin/env bash
# Runs Segment's recorded mapping-kit cases (../shared/conformance/ next to the repository)
# against tributary_transform and prints pass/fail counts and each failure. A developer script,
# not part of CI. Cases using @liquid are skipped (not supported).
#   scripts/mapping-conformance.sh [BUILD_DIR]   (default: build/conformance)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cases="${CONFORMANCE_DIR:-$repo/../shared/conformance}"
build="${1:-$repo/build/conformance}"
jobs="${JOBS:-2}"

if [[ ! -f "$cases/mapping-kit-transform.json" || ! -f "$cases/mapping-kit-validate.json" ]]; then
  echo "mapping-conformance: no cases in $cases (set CONFORMANCE_DIR)" >&2
  exit 2
fi

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTRIBUTARY_TESTS=OFF >/dev/null
fi
ninja -C "$build" -j "$jobs" tributary_transform >/dev/null

tool="$build/mapping_conformance"
lib="$build/src/libtributary_transform.a"
if [[ ! -x "$tool" || "$tool" -ot "$lib" || "$tool" -ot "$repo/tests/tools/mapping_conformance.cpp" ]]; then
  "${CXX:-c++}" -std=c++20 -O1 -I "$repo/include" "$repo/tests/tools/mapping_conformance.cpp" \
    "$lib" -lcrypto -o "$tool"
fi

"$tool" "$cases/mapping-kit-transform.json" "$cases/mapping-kit-validate.json"
