#!/usr/bin/env bash
# Installs what deblur-lab needs, and nothing when it is already there (safe to run twice).
# npm packages: `npm ci` from the committed lockfile, re-run only when the lockfile changed.
# `setup.sh --tests` also installs the Debian packages the tests compare against (python3-skimage).
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "deblur-lab needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

stamp=node_modules/.deblur-lab-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "setup: installing npm packages (npm ci)"
  # @tensorflow/tfjs-node-gpu is optional: its install needs a download this machine may not
  # allow, in which case npm leaves it out and the backend selection skips it.
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

if [ "${1:-}" = "--tests" ]; then
  bash scripts/apt-ensure.sh python3-skimage
fi
