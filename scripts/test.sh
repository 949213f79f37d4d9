#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer/UBSan, and runs every test:
# the unit tests (GoogleTest) and the integration tests against the real binary (node --test),
# including the real Segment and RudderStack SDKs from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh asan
scripts/build.sh release tributary  # what scripts/run.sh and the image ship (docker_files.test.mjs)
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One process for all unit tests: under ASan, starting the binary once per test (ctest) costs
# about a second each, 20+ minutes in all on 2 cores. `ctest` in build/asan still works.
build/asan/tests/unit_tests --gtest_brief=1
export TRIBUTARY_BIN="$PWD/build/asan/src/tributary"
export TRIBUTARY_RELEASE_BIN="$PWD/build/release/src/tributary"
cd tests/integration
npm ci --no-audit --no-fund --loglevel=error
node --test ./*.test.mjs
