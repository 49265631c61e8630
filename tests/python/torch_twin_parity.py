"""Runs the PyTorch twin (bench/torch_twin.py) with weights exported from tfjs, on an input from tfjs.

stdin: {"config": NetConfig, "manifest": path, "weights": path, "input": path, "shape": [N, H, W, 3]}
stdout: {"outputs": [[S3 values NHWC], [S2], [S1]]}
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from torch_twin import Net, load_tfjs_weights  # noqa: E402

spec = json.load(sys.stdin)
net = Net(spec["config"])
load_tfjs_weights(net, spec["manifest"], spec["weights"])
x = np.fromfile(spec["input"], dtype="<f4").reshape(spec["shape"]).transpose(0, 3, 1, 2)
with torch.no_grad():
    outs = net(torch.from_numpy(np.ascontiguousarray(x)))
print(json.dumps({"outputs": [o.permute(0, 2, 3, 1).contiguous().numpy().ravel().tolist() for o in outs]}))
