#!/usr/bin/env bash
# Kills a committing writer with SIGKILL at random moments for SECONDS
# (default 600), checking after every kill that the database opens,
# verifies clean and holds every acknowledged commit; prints the rounds.
# Uses the release build (cmake --build --preset release first).
#
#   tests/crash/soak.sh 3600
set -euo pipefail
cd "$(dirname "$0")/../.."
WEFT_SOAK_SECONDS=${1:-600} build/release/tests/crash_test \
  --gtest_filter=CrashTest.EveryAcknowledgedCommitSurvivesSigkill
