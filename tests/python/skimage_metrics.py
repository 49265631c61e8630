"""Reference PSNR/SSIM for tests/metrics.test.ts, computed by Debian's python3-skimage.

Reads a JSON list of {"a": file, "b": file, "height": h, "width": w} from stdin, where each file is
raw little-endian float32 H x W x 3; prints a JSON list of {"psnr", "ssim"}. The arrays are cast to
float64 first, so skimage computes in double precision like src/metrics.ts.
"""
import json
import sys

import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def load(path, h, w):
    return np.fromfile(path, dtype='<f4').reshape(h, w, 3).astype(np.float64)


out = []
for case in json.load(sys.stdin):
    a = load(case['a'], case['height'], case['width'])
    b = load(case['b'], case['height'], case['width'])
    out.append({
        'psnr': float(peak_signal_noise_ratio(a, b, data_range=1)),
        'ssim': float(structural_similarity(a, b, channel_axis=-1, data_range=1, gaussian_weights=True,
                                            sigma=1.5, use_sample_covariance=False)),
    })
json.dump({'skimage': skimage.__version__, 'results': out}, sys.stdout)
