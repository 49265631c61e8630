#!/usr/bin/env bash
# The test command (README, `npm test`, .ci/run): set-up, strict type-check, then every
# tests/**/*.test.ts under uvu with real tfjs kernels. Ends with a plain "N passed, N failed" line.
#
# The files run in two shards side by side: most of the suite's time goes to work that uses one
# core (spawned CLIs, Python, Jupyter kernels, TypeScript compiles), so on 2 cores the shards take
# about 30% less wall time than one run in a row. Shard 1 (the notebook, Jupyter, benchmark, peer,
# sample-rebuild and GPU-bundle tests) prints as it goes; shard 2's output follows when it is done.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests

echo "type-check (strict): tsc -p ."
npx tsc -p .
echo "type-check src/ as notebooks compile it (tslab's TypeScript 5.0.4)"
node node_modules/@tslab/typescript-for-tslab/lib/tsc.js -p tsconfig.tslab.json

first='^(notebooks\.test\.ts|jupyter/.+\.test\.ts|bench/.+\.test\.ts|peers/.+\.test\.ts|data/sample-rebuild\.test\.ts|webgpu/gpu-bundle\.test\.ts)$'
skip_first=(-i '^notebooks\.test\.ts$' -i '^jupyter$' -i '^bench$' -i '^peers$' -i '^data/sample-rebuild\.test\.ts$' -i '^webgpu/gpu-bundle\.test\.ts$')
log1=$(mktemp)
log2=$(mktemp)
trap 'rm -f "$log1" "$log2"' EXIT
set +e
FORCE_COLOR=0 npx uvu -r ts-node/register tests '\.test\.ts$' "${skip_first[@]}" >"$log2" 2>&1 &
second=$!
FORCE_COLOR=0 npx uvu -r ts-node/register tests "$first" 2>&1 | tee "$log1"
status1=${PIPESTATUS[0]}
wait "$second"
status2=$?
echo "--- shard 2 ---"
cat "$log2"
set -e

# Sums of uvu's "Total / Passed / Skipped" lines over both shards (colour codes removed).
count() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -Eo "$2: +[0-9]+" | grep -Eo '[0-9]+' | tail -1; }
total=0 passed=0 skipped=0
for log in "$log1" "$log2"; do
  t=$(count "$log" Total || true)
  if [ -z "$t" ] || [ "$t" -eq 0 ]; then
    echo "a test shard ran no tests (or crashed before its summary)" >&2
    exit 1
  fi
  total=$((total + t))
  passed=$((passed + $(count "$log" Passed)))
  skipped=$((skipped + $(count "$log" Skipped)))
done
echo "${passed} passed, $((total - passed - skipped)) failed, ${skipped} skipped"
[ "$status1" -eq 0 ] && [ "$status2" -eq 0 ]
