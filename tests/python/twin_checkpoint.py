"""Checkpoints of the PyTorch twin (bench/torch_twin.py) made on PyTorch's side, for import-torch tests.

  make CKPT '<NetConfig JSON>' [--seed S] [--ddp]   random weights (PyTorch's default init, biases
      included), saved as a bare state_dict with no record of the config; --ddp: keys prefixed
      'module.' as DistributedDataParallel saves them
  forward CKPT '<NetConfig JSON>' < {"input": path, "shape": [N, H, W, 3]}   the three outputs, NHWC
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from torch_twin import Net  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("command", choices=["make", "forward"])
p.add_argument("ckpt")
p.add_argument("config")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--ddp", action="store_true")
args = p.parse_args()
cfg = json.loads(args.config)
if args.command == "make":
    torch.manual_seed(args.seed)
    sd = Net(cfg).state_dict()
    torch.save({("module." + k if args.ddp else k): v for k, v in sd.items()}, args.ckpt)
else:
    net = Net(cfg).eval()
    state = torch.load(args.ckpt, map_location="cpu")
    sd = state.get("model", state)
    net.load_state_dict({k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()})
    spec = json.load(sys.stdin)
    x = np.fromfile(spec["input"], dtype="<f4").reshape(spec["shape"]).transpose(0, 3, 1, 2)
    with torch.no_grad():
        outs = net(torch.from_numpy(np.ascontiguousarray(x)))
    print(json.dumps({"outputs": [o.permute(0, 2, 3, 1).contiguous().numpy().ravel().tolist() for o in outs]}))
