#!/usr/bin/env bash
# The test command (README, `npm test`, .ci/run): set-up, strict type-check, then every
# tests/**/*.test.ts under uvu with real tfjs kernels. Ends with a plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests

echo "type-check (strict): tsc -p ."
npx tsc -p .
echo "type-check src/ as notebooks compile it (tslab's TypeScript 5.0.4)"
node node_modules/@tslab/typescript-for-tslab/lib/tsc.js -p tsconfig.tslab.json

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
FORCE_COLOR=0 npx uvu -r ts-node/register tests '\.test\.ts$' 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
total=$(grep -Eo 'Total: +[0-9]+' <<<"$plain" | grep -Eo '[0-9]+' | tail -1)
passed=$(grep -Eo 'Passed: +[0-9]+' <<<"$plain" | grep -Eo '[0-9]+' | tail -1)
skipped=$(grep -Eo 'Skipped: +[0-9]+' <<<"$plain" | grep -Eo '[0-9]+' | tail -1)
if [ -z "$total" ] || [ "$total" -eq 0 ]; then
  echo "no tests ran" >&2
  exit 1
fi
echo "${passed} passed, $((total - passed - skipped)) failed, ${skipped} skipped"
exit "$status"
