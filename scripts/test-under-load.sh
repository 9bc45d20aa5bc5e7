#!/usr/bin/env bash
# npm run test:load [-- RUNS [vitest arguments…]]
#
# The flakiness check: `npm test` RUNS times in a row (default 3) while two
# CPU-bound loops run beside it, each loop taking a core, so every wait in the
# suite meets a machine busier than the one it was written on. Stops at the
# first failing run (exit 1); the loops are stopped by their pids however it
# ends. Extra arguments go to vitest, e.g. `npm run test:load -- 3 --project
# integration` (what .ci/run does, once).
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-3}"
shift || true
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "test:load: RUNS must be a whole number from 1, got ${runs} (see scripts/test-under-load.sh)" >&2
  exit 2
fi
if [[ $# -gt 0 ]]; then test_command=(npx vitest run "$@"); else test_command=(npm test); fi

loops=()
stop_loops() {
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${loops[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_loops EXIT
# Bounded, so a loop that outlives this script (kill -9 of it) ends anyway.
for _ in 1 2; do
  timeout 4h sh -c 'while :; do :; done' &
  loops+=("$!")
done
echo "== two CPU-bound loops beside the tests: pids ${loops[*]}"

for run in $(seq 1 "$runs"); do
  echo "== run ${run} of ${runs}: ${test_command[*]}"
  started=$(date +%s)
  if ! "${test_command[@]}"; then
    echo "== run ${run} of ${runs} failed after $(( $(date +%s) - started )) s"
    exit 1
  fi
  echo "== run ${run} of ${runs} passed in $(( $(date +%s) - started )) s"
done
echo "== ${runs} passes in a row beside two CPU-bound loops"
