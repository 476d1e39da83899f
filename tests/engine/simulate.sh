#!/usr/bin/env bash
# The deterministic sync simulation over many seeds (default 250 seeds x
# 4000 steps = 10^6 steps): replicas that edit, crash, meet failing disks
# and reopen, over a network that delays, cuts, duplicates and reorders.
# A failure names its seed; WEFT_SYNC_SEED=N replays it. Uses the release
# build (cmake --build --preset release first).
#
#   tests/engine/simulate.sh [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
WEFT_SYNC_SEEDS=${1:-250} build/release/tests/sync_test \
  --gtest_filter=SyncSimulationTest.*
