#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, two at a time,
# on seeds made by make_corpus plus what earlier runs found (kept under
# build/fuzz/corpus). Builds the fuzz preset first. Exits non-zero on the
# first crash, leak, timeout or out-of-memory (the reproducer is left in
# build/fuzz/artifacts), and prints the execs of each target.
#
#   fuzz/run.sh SECONDS [TARGET...]      e.g. fuzz/run.sh 3600 fuzz_change
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
build=build/fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_change fuzz_change_run fuzz_bundle fuzz_document_state
           fuzz_view_json fuzz_sync_session fuzz_json_input fuzz_shell
           fuzz_view_rows fuzz_secure_input fuzz_proofs fuzz_log_index)
fi

seeds=$build/seeds
rm -rf "$seeds"
"$build/fuzz/make_corpus" "$seeds"
mkdir -p "$build/corpus" "$build/artifacts" "$build/logs"

run_one() {
  local target=$1 seconds=$2 build=$3
  local corpus=$build/corpus/$target log=$build/logs/$target.log
  mkdir -p "$corpus"
  # Seeds of this build, then the corpus grown so far.
  if "$build/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2560 -malloc_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
      "$corpus" "$build/seeds/$target" >"$log" 2>&1; then
    local execs
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $target: ${execs:-?} execs in ${seconds} s, no crash"
  else
    echo "fuzz: $target FAILED; its log:"
    tail -n 60 "$log"
    return 1
  fi
}
export -f run_one
status=0
printf '%s\n' "${targets[@]}" |
  xargs -P 2 -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$build" |
  tee "$build/logs/summary" || status=$?
passed=$(grep -c 'no crash$' "$build/logs/summary" || true)
echo "fuzz: $passed passed, $((${#targets[@]} - passed)) failed"
exit "$status"
