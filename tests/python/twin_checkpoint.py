"""Checkpoints of the PyTorch twin (deblur_twin.torch_twin) made on PyTorch's side, for import-torch tests.

  make CKPT '<NetConfig JSON>' [--seed S] [--ddp]   random weights (PyTorch's default init, biases
      included), saved as a bare state_dict with no record of the config; --ddp: keys prefixed
      'module.' as DistributedDataParallel saves them
  forward CKPT '<NetConfig JSON>' < {"input": path, "shape": [N, H, W, 3]}   the three outputs, NHWC,
      any size: padded and cropped as the lab's restore() does
"""
import argparse
import json
import sys

import numpy as np
import torch

from deblur_twin.torch_twin import Net

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
    x = np.fromfile(spec["input"], dtype="<f4").reshape(spec["shape"])
    # As the lab's restore(): mirror-pad bottom/right ('symmetric') to a multiple of 4, run, crop.
    n, h, w, _ = x.shape
    padded = np.pad(x, ((0, 0), (0, (-h) % 4), (0, (-w) % 4), (0, 0)), mode="symmetric").transpose(0, 3, 1, 2)
    with torch.no_grad():
        outs = net(torch.from_numpy(np.ascontiguousarray(padded)))
    sizes = [(-(-h // 4), -(-w // 4)), (-(-h // 2), -(-w // 2)), (h, w)]
    print(json.dumps({"outputs": [o.permute(0, 2, 3, 1).numpy()[:, :sh, :sw].ravel().tolist() for o, (sh, sw) in zip(outs, sizes)]}))
