#!/usr/bin/env bash
# Installs what is missing, builds, and runs the server on the embedded default config
# (Tracking API on :8088, admin API on 127.0.0.1:8089, RocksDB under ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
exec build/release/src/tributary serve "$@"
