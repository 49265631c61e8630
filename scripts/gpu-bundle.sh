#!/usr/bin/env bash
# Builds the GPU bundle: the lab, Node and Vulkan's loader in one folder (default build/gpu-bundle)
# that runs on a Linux x86-64 GPU machine without Node or network (see scripts/gpu-bundle.ts).
#   bash scripts/gpu-bundle.sh [--out DIR] [--xz LEVEL]
set -euo pipefail
cd "$(dirname "$0")/.."
exec node -r ts-node/register scripts/gpu-bundle.ts "$@"
