#!/usr/bin/env bash
# Builds the optional oneDNN convolution kernels (native/dnnl_conv.cc) into build/native/dnnl_conv.node.
# Plain g++ rather than node-gyp: node-gyp fetches Node's headers from the network, while the
# Node-API headers come from npm (node-api-headers) and oneDNN from Debian (libdnnl-dev).
# Idempotent: rebuilds only when the source or this script is newer than the addon.
# Exits 0 without an addon when it cannot be built; the wasm kernels are then used, and
# `npm run cli -- backend` says why.
set -euo pipefail
cd "$(dirname "$0")/.."
src=native/dnnl_conv.cc
out=build/native/dnnl_conv.node
if [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then exit 0; fi
mkdir -p build/native
log=build/native/build.log
if g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden \
    -DNAPI_VERSION=8 -DNODE_ADDON_API_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL \
    -I node_modules/node-api-headers/include -I node_modules/node-addon-api \
    "$src" -o "$out.tmp" -fopenmp -ldnnl >"$log" 2>&1; then
  mv "$out.tmp" "$out"
  echo "setup: built $out (oneDNN convolutions)"
else
  rm -f "$out.tmp"
  echo "setup: could not build $out (see $log); convolutions stay on wasm" >&2
fi
