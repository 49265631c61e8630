"""Reference spectra for tests/viz/spectra.test.ts, computed by numpy.fft (Debian's python3-numpy).

Reads {"file": raw little-endian float32 H x W x 3, "height": h, "width": w} from stdin; prints
{"logPower": centred log10(|F|^2/(HW) + 1e-10) of the channel mean, row-major, "frequency",
"power", "count": the radial profile by the definition in src/viz/spectra.ts, written here
independently with numpy's fftfreq and fftshift}.
"""
import json
import sys

import numpy as np

spec = json.load(sys.stdin)
h, w = spec["height"], spec["width"]
x = np.fromfile(spec["file"], dtype="<f4").reshape(h, w, 3).astype(np.float64).mean(axis=2)
power = np.abs(np.fft.fft2(x)) ** 2 / (h * w)
log_power = np.fft.fftshift(np.log10(power + 1e-10))
n = min(h, w)
# Ring of each coefficient: round(n * |f|), halves up, decided exactly in integers (Python's ints
# are unbounded): the largest k with (2k - 1)^2 h^2 w^2 <= 4 n^2 (iy^2 w^2 + ix^2 h^2).
iy = [int(v) for v in np.rint(np.fft.fftfreq(h) * h)]
ix = [int(v) for v in np.rint(np.fft.fftfreq(w) * w)]
ring = np.zeros((h, w), dtype=int)
for a, y in enumerate(iy):
    for b, x in enumerate(ix):
        q = 4 * n * n * (y * y * w * w + x * x * h * h)
        k = int(np.hypot(y / h, x / w) * n) + 2
        while k > 0 and (2 * k - 1) ** 2 * h * h * w * w > q:
            k -= 1
        ring[a, b] = k
rings = np.bincount(ring.ravel(), weights=power.ravel())
count = np.bincount(ring.ravel())
keep = count > 0
json.dump({
    "logPower": log_power.ravel().tolist(),
    "frequency": (np.arange(len(count))[keep] / n).tolist(),
    "power": (rings[keep] / count[keep]).tolist(),
    "count": count[keep].tolist(),
}, sys.stdout)
