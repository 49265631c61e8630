"""Moves PyTorch checkpoints in and out of deblur-lab (`import-torch`, `export-torch`).

The lab's TypeScript side maps names and layouts; this script only speaks torch's file format,
through a plain exchange folder:
  meta.json   {"tensors": [{"key": str, "shape": [int]}], "deblurLab": {...} or null, "wrapper": str}
  data.bin    every tensor's values, float32 little-endian, in that order

  python3 pytorch/checkpoint_io.py read CKPT DIR    checkpoint -> exchange folder
  python3 pytorch/checkpoint_io.py write DIR CKPT   exchange folder -> checkpoint {'model': state_dict, 'deblurLab': ...}

Reading never runs code from the file: torch.load(weights_only=True) unpickles tensors and plain
containers only. A checkpoint may be a bare state_dict, or wrap it as {'model': ...} (MIMO-UNet's
official releases and train.py) or {'state_dict': ...}; DistributedDataParallel's 'module.' prefix
is dropped.
"""
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch


class CheckpointError(Exception):
    pass


def unwrap(obj):
    """(state_dict, wrapper name, lab metadata or None)."""
    if not isinstance(obj, dict):
        raise CheckpointError(f"holds a {type(obj).__name__}, not a state_dict (a dict of tensors)")
    lab = obj.get("deblurLab") if isinstance(obj.get("deblurLab"), dict) else None
    for wrapper in ("model", "state_dict"):
        if isinstance(obj.get(wrapper), dict):
            return obj[wrapper], wrapper, lab
    return obj, "", lab


def read(ckpt, out_dir):
    try:
        obj = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many kinds; the first line says which
        raise CheckpointError(f"torch cannot read it as a plain checkpoint ({str(e).splitlines()[0][:300]})")
    sd, wrapper, lab = unwrap(obj)
    tensors = []
    arrays = []
    for key, value in sd.items():
        if not torch.is_tensor(value):
            raise CheckpointError(f"entry {key!r} is a {type(value).__name__}, not a tensor")
        if not value.is_floating_point():
            continue  # e.g. BatchNorm's num_batches_tracked: no weights of the network
        if key.startswith("module."):
            key = key[len("module."):]
        tensors.append({"key": key, "shape": list(value.shape)})
        arrays.append(value.detach().to(torch.float32).contiguous().numpy().ravel())
    if not tensors:
        raise CheckpointError("no floating-point tensors in it")
    os.makedirs(out_dir, exist_ok=True)
    np.concatenate(arrays).astype("<f4").tofile(os.path.join(out_dir, "data.bin"))
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump({"tensors": tensors, "deblurLab": lab, "wrapper": wrapper}, f)


def write(in_dir, ckpt):
    with open(os.path.join(in_dir, "meta.json")) as f:
        meta = json.load(f)
    data = np.fromfile(os.path.join(in_dir, "data.bin"), dtype="<f4")
    sd = OrderedDict()
    offset = 0
    for t in meta["tensors"]:
        size = int(np.prod(t["shape"], dtype=np.int64))
        sd[t["key"]] = torch.from_numpy(data[offset:offset + size].reshape(t["shape"]).copy())
        offset += size
    if offset != data.size:
        raise CheckpointError(f"{in_dir}: data.bin has {data.size - offset} values more than meta.json lists")
    tmp = ckpt + ".partial"
    torch.save({"model": sd, "deblurLab": meta.get("deblurLab")}, tmp)
    os.replace(tmp, ckpt)  # a reader never sees half a file


if __name__ == "__main__":
    try:
        if len(sys.argv) == 4 and sys.argv[1] == "read":
            read(sys.argv[2], sys.argv[3])
        elif len(sys.argv) == 4 and sys.argv[1] == "write":
            write(sys.argv[2], sys.argv[3])
        else:
            sys.exit(__doc__)
    except CheckpointError as e:
        print(f"checkpoint_io: {e}", file=sys.stderr)
        sys.exit(3)
