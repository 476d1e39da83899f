#!/usr/bin/env bash
# Kills committing writers with SIGKILL at random moments, SECONDS (default
# 600) for each kind: a C++ writer, a C API writer, the shell running a
# script, and `weft serve` receiving syncs. After every kill the database
# must open, verify clean and hold every acknowledged commit; prints the
# rounds of each. Uses the release build (cmake --build --preset release).
#
#   tests/crash/soak.sh 3600
set -euo pipefail
cd "$(dirname "$0")/../.."
WEFT_SOAK_SECONDS=${1:-600} build/release/tests/crash_test \
  --gtest_filter='CrashTest.EveryAcknowledgedCommit*:CrashTest.AServerKilled*'
