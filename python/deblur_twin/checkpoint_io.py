"""Moves PyTorch checkpoints in and out of deblur-lab (`import-torch`, `export-torch`).

The lab's TypeScript side maps names and layouts; this script only speaks torch's file format,
through a plain exchange folder:
  meta.json   {"tensors": [{"key": str, "shape": [int]}], "deblurLab": {...} or null, "wrapper": str}
  data.bin    every tensor's values, float32 little-endian, in that order

  python3 -m deblur_twin.checkpoint_io read CKPT DIR [--trust]   checkpoint -> exchange folder
  python3 -m deblur_twin.checkpoint_io write DIR CKPT   exchange folder -> checkpoint {'model': state_dict, 'deblurLab': ...}

Reading never runs code from the file: torch.load(weights_only=True) unpickles tensors and plain
containers only (and in torch 1.13 not even floats: a training checkpoint with an optimizer's state
fails there). --trust reads with weights_only=False, which runs whatever the pickle names: only for
files from a trusted source. A checkpoint may be a bare state_dict, or wrap it as {'model': ...} (MIMO-UNet's
official releases and train.py) or {'state_dict': ...}; DistributedDataParallel's 'module.' prefix
is dropped.
"""
import json
import os
import sys
import zipfile
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


def looks_like_torch_file(path):
    """torch.save writes a zip archive (torch >= 1.6) or a pickle stream (older; its first byte is PROTO, 0x80)."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def read(ckpt, out_dir, trust=False):
    if not looks_like_torch_file(ckpt):
        raise CheckpointError("not a PyTorch checkpoint (neither torch.save's zip format nor its older pickle format)")
    try:
        obj = torch.load(ckpt, map_location="cpu", weights_only=not trust)
    except Exception as e:  # torch raises many kinds; the first line says which
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        if not trust and "eights only load failed" in first:
            raise CheckpointError("it holds more than tensors and plain containers, and reading it would run code it names; "
                                  "if you trust its source, pass --trust-pickle")
        raise CheckpointError(f"torch cannot read it as a checkpoint ({first[:300]})")
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
        if len(sys.argv) in (4, 5) and sys.argv[1] == "read":
            read(sys.argv[2], sys.argv[3], trust=sys.argv[4:] == ["--trust"])
        elif len(sys.argv) == 4 and sys.argv[1] == "write":
            write(sys.argv[2], sys.argv[3])
        else:
            sys.exit(__doc__)
    except CheckpointError as e:
        print(f"checkpoint_io: {e}", file=sys.stderr)
        sys.exit(3)
