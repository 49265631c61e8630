#!/usr/bin/env bash
# Builds the optional native kernels (native/*.cc: oneDNN convolutions, reductions, arithmetic,
# concat/split) into build/native/deblur_native.node.
# Plain g++ rather than node-gyp: node-gyp fetches Node's headers from the network, while the
# Node-API headers come from npm (node-api-headers) and oneDNN from Debian (libdnnl-dev).
# Idempotent: rebuilds only when a source or this script is newer than the addon.
# Exits 0 without an addon when it cannot be built; the wasm kernels are then used, and
# the backend line every command prints says why.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/native/deblur_native.node
sources=(native/*.cc)
if [ -f "$out" ] && [ -z "$(find native "$0" -newer "$out" | head -1)" ]; then exit 0; fi
mkdir -p build/native
log=build/native/build.log
if g++ -std=c++17 -O3 -fPIC -shared -fvisibility=hidden \
    -DNAPI_VERSION=8 -DNODE_ADDON_API_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL \
    -I node_modules/node-api-headers/include -I node_modules/node-addon-api \
    "${sources[@]}" -o "$out.tmp" -fopenmp -ldnnl >"$log" 2>&1; then
  mv "$out.tmp" "$out"
  echo "setup: built $out (native kernels for wasm)"
else
  rm -f "$out.tmp"
  echo "setup: could not build $out (see $log); the wasm kernels run instead" >&2
fi
