#!/usr/bin/env bash
# Configures and builds. usage: scripts/build.sh [release|asan] [TARGET...] (default: release, all
# targets) -> build/<kind>
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
shift || true
case "$kind" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DTRIBUTARY_SANITIZE=ON) ;;
  *) echo "unknown build kind $kind" >&2; exit 2 ;;
esac
cmake -S . -B "build/$kind" -G Ninja "${flags[@]}" >/dev/null
ninja -C "build/$kind" -j "$(nproc)" "$@"
