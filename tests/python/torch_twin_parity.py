"""Runs the PyTorch twin (deblur_twin.torch_twin) with weights exported from tfjs, on an input from tfjs.

stdin: {"config": NetConfig, "manifest": path, "weights": path, "input": path, "shape": [N, H, W, 3]}
stdout: {"outputs": [[S3 values NHWC], [S2], [S1]]}
"""
import json
import sys

import numpy as np
import torch

from deblur_twin.torch_twin import Net, load_tfjs_weights

spec = json.load(sys.stdin)
net = Net(spec["config"])
load_tfjs_weights(net, spec["manifest"], spec["weights"])
x = np.fromfile(spec["input"], dtype="<f4").reshape(spec["shape"]).transpose(0, 3, 1, 2)
with torch.no_grad():
    outs = net(torch.from_numpy(np.ascontiguousarray(x)))
print(json.dumps({"outputs": [o.permute(0, 2, 3, 1).contiguous().numpy().ravel().tolist() for o in outs]}))
