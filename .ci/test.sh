#!/usr/bin/env bash
# Builds weft and runs the whole suite: the release build (with every
# benchmark run once at a tiny size), then the ASan+UBSan build, then every
# libFuzzer target for a bounded time (fuzz/run.sh; longer runs: the same
# script with more seconds). The asan
# test preset leaves out the view-build crash test (12 builds over 10^5
# changes: about 3 minutes under ASan); the release run has it, and the
# view tests cover the same code under ASan.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake --preset release
cmake --build --preset release
ctest --preset release

cmake --preset asan
cmake --build --preset asan
ASAN_OPTIONS=detect_leaks=1 ctest --preset asan

fuzz/run.sh "${WEFT_FUZZ_SECONDS:-30}"
