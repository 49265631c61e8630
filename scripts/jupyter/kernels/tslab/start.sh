#!/usr/bin/env bash
# Starts the project's own tslab in the project root, whatever folder Jupyter launches it from,
# so notebooks import ./src/... and read data/... (tslab refuses files outside its working folder).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
# kernel.js: tslab with shell requests in order, so the kernel indicator stays busy while cells run.
exec node scripts/jupyter/kernels/tslab/kernel.js kernel --config-path "$1"
