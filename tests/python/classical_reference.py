"""Independent references for tests/classical: scipy.ndimage's Gaussian filter, numpy's FFT and
scipy.ndimage's convolution. Reads a JSON list of jobs on stdin, writes results as float32 files."""
import json
import sys

import numpy as np
import scipy
from scipy import ndimage

jobs = json.load(sys.stdin)
for job in jobs:
    x = np.fromfile(job["input"], dtype=np.float32).astype(np.float64)
    if job["op"] == "gaussian":
        x = x.reshape(job["height"], job["width"], 3)
        # the unsharp mask: x + amount * (x - G_sigma * x), per channel, then clipped
        g = np.stack([ndimage.gaussian_filter(x[..., c], job["sigma"], mode="reflect", truncate=4.0) for c in range(3)], -1)
        y = np.clip(x + job["amount"] * (x - g), 0, 1)
    elif job["op"] == "fft2":
        z = x.reshape(2, job["height"], job["width"])
        f = np.fft.fft2(z[0] + 1j * z[1])
        y = np.stack([f.real, f.imag])
    elif job["op"] == "convolve":
        x = x.reshape(job["height"], job["width"], 3)
        k = np.fromfile(job["kernel"], dtype=np.float32).astype(np.float64).reshape(job["size"], job["size"])
        y = np.stack([ndimage.convolve(x[..., c], k, mode="reflect") for c in range(3)], -1)
    else:
        raise SystemExit("unknown op " + job["op"])
    y.astype(np.float32).tofile(job["output"])
print(json.dumps({"scipy": scipy.__version__, "numpy": np.__version__}))
