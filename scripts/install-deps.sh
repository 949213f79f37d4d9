#!/usr/bin/env bash
# Installs the Debian 12 packages Tributary needs. Only what is missing; safe to re-run.
#   scripts/install-deps.sh          build + runtime
#   scripts/install-deps.sh --test   also what the tests need (Node.js and npm for the SDK tests,
#                                    prometheus + promtool for the scrape test, openssl for TLS)
#   scripts/install-deps.sh --bench  also what the benchmarks need (wrk, nginx, GNU time)
set -euo pipefail
packages=(build-essential cmake ninja-build ccache pkg-config ca-certificates curl
  libboost1.81-dev libsimdjson-dev librocksdb-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libyaml-cpp-dev libgtest-dev libssl-dev zlib1g-dev libjemalloc-dev)
for arg in "$@"; do
  case "$arg" in
    --test) packages+=(python3 prometheus openssl) ; command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm) ;;
    --bench) packages+=(wrk nginx-light time) ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
