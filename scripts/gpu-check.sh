#!/bin/sh
# Checks and times the lab on a GPU machine that has no Node and no network, from the bundle that
# scripts/gpu-bundle.sh builds (this file is copied into it). It needs only a POSIX shell, python3
# (to unpack) and dpkg-deb; torch in that Python adds the PyTorch twin beside the lab.
#
#   sh gpu-check.sh [--quick] [--python CMD]
#
# Unpacks Node, the compiled lab and Vulkan's loader beside itself (into unpacked/, once; not into
# /), then runs the check (scripts/gpu-check.ts): the adapter, webgpu training against wasm, the
# timings. gpu-check.json and gpu-check.md go to $OUT (default: out/ beside this file).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
work=$here/unpacked

if [ ! -x "$work/node" ]; then
  echo "gpu-check: unpacking Node and the lab into $work" >&2
  python3 - "$here" "$work" <<'PY'
import lzma, os, shutil, sys, tarfile
here, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
with tarfile.open(os.path.join(here, "lab.tar.xz")) as t:
    t.extractall(work, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
# Node last, under a temporary name: an interrupted unpack is done again next time.
part = os.path.join(work, "node.part")
with lzma.open(os.path.join(here, "node.xz")) as src, open(part, "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(part, 0o755)
os.replace(part, os.path.join(work, "node"))
PY
fi

# Vulkan's loader, through which Dawn finds the GPU's driver.
if [ ! -d "$work/vulkan" ]; then
  dpkg-deb -x "$here"/libvulkan1_*.deb "$work/vulkan.part" && mv "$work/vulkan.part" "$work/vulkan"
fi
export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Where GPU containers mount NVIDIA's Vulkan driver, when the loader's own search misses it.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES="$nvidia_icd"; fi

exec "$work/node" "$work/lab/scripts/gpu-check.js" --out "$out" --data "$work/lab/data/sample" "$@"
