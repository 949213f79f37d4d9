#!/usr/bin/env bash
# Runs Segment's recorded mapping-kit cases (../shared/conformance/ next to the repository) and
# prints pass/fail counts and each failure. A developer script, not part of CI; the cases are read
# where they are, never copied into the repository. Cases using @liquid are skipped (not supported).
#
#   scripts/mapping-conformance.sh [BUILD_DIR]
#       against tributary_transform directly (default BUILD_DIR: build/conformance)
#   scripts/mapping-conformance.sh --tester [BUILD_DIR]
#       through the real server: each case's mapping becomes a webhook destination's `mapping`
#       (POST /admin/v1/reload), its input goes to the Event Tester
#       (POST /admin/v1/destinations/{name}/test), and the body the tester would send is compared
#       with Segment's result (tests/tools/mapping_conformance_tester.mjs). Builds `tributary` in
#       BUILD_DIR (default build/conformance-tester) unless TRIBUTARY_BIN names a binary. Needs
#       Node.js 18 or later.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cases="${CONFORMANCE_DIR:-$repo/../shared/conformance}"
jobs="${JOBS:-2}"
mode=unit
if [[ "${1:-}" == "--tester" ]]; then
  mode=tester
  shift
fi

if [[ ! -f "$cases/mapping-kit-transform.json" || ! -f "$cases/mapping-kit-validate.json" ]]; then
  echo "mapping-conformance: no cases in $cases (set CONFORMANCE_DIR)" >&2
  exit 2
fi

if [[ "$mode" == tester ]]; then
  if [[ -z "${TRIBUTARY_BIN:-}" ]]; then
    build="${1:-$repo/build/conformance-tester}"
    if [[ ! -f "$build/build.ninja" ]]; then
      cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRIBUTARY_TESTS=OFF >/dev/null
    fi
    ninja -C "$build" -j "$jobs" tributary >/dev/null
    export TRIBUTARY_BIN="$build/src/tributary"
  fi
  exec node "$repo/tests/tools/mapping_conformance_tester.mjs" "$cases"
fi

build="${1:-$repo/build/conformance}"
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
