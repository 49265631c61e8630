#!/usr/bin/env bash
# Starts the project's own tslab in the project root, whatever folder Jupyter launches it from,
# so notebooks import ./src/... and read data/... (tslab refuses files outside its working folder).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
exec node node_modules/tslab/bin/tslab kernel --config-path "$1"
