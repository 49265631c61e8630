"""RealBlur's alignment of a restored image to its ground truth, as RealBlur's evaluation does it.

The lab scores `eval --protocol realblur` with this (src/eval/realblur-protocol.ts). The steps follow
the authors' published evaluation script (after Köhler et al.'s): a single intensity gain
that best matches the restored image to the target in least squares, then OpenCV's ECC with a
homography (100 iterations, no epsilon stop, 5-tap Gaussian pre-filter) between the grey images, then
the gained image warped onto the target with bicubic sampling and mirrored edges, and a mask of the
pixels the warp actually covers (nearest sampling, zeros outside).

Protocol (stdin → stdout, one image per run): a JSON line {"width", "height"}, then the restored and
the target images as float32 H × W × 3 in [0, 1], row-major. Answers a JSON line {"gain", "warp"
(3 × 3, row-major), "cc", "converged", "error"?}, then the warped, gained image multiplied by the mask
and the mask (one value per pixel), both float32. Where ECC does not converge the warp is the
identity and "converged" is false, so the caller can say so (RealBlur's script would stop there).
"""
import json
import sys

import cv2
import numpy as np


def align(restored, target):
    z = restored
    x = target
    # In float32, as the script sums: the gain, and so the warp ECC finds, are the script's to the last bit.
    gain = np.sum(x * z) / np.sum(z * z)
    zs = (gain * z).astype(np.float32)
    gain = float(gain)
    warp = np.eye(3, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 0)
    cc, converged, error = 0.0, True, None
    try:
        cc, warp = cv2.findTransformECC(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.cvtColor(zs, cv2.COLOR_RGB2GRAY),
                                        warp, cv2.MOTION_HOMOGRAPHY, criteria, None, 5)
    except cv2.error as e:
        converged, error = False, str(e).strip().splitlines()[-1]
        warp = np.eye(3, 3, dtype=np.float32)
    size = (x.shape[1], x.shape[0])
    zr = cv2.warpPerspective(zs, warp, size, flags=cv2.INTER_CUBIC + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
    mask = cv2.warpPerspective(np.ones(x.shape[:2], dtype=np.float32), warp, size,
                               flags=cv2.INTER_NEAREST + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    head = {'gain': gain, 'warp': [float(v) for v in warp.reshape(-1)], 'cc': float(cc), 'converged': converged}
    if error:
        head['error'] = error
    return head, (zr * mask[:, :, None]).astype(np.float32), mask.astype(np.float32)


def main():
    stdin = sys.stdin.buffer
    size = json.loads(stdin.readline())
    w, h = int(size['width']), int(size['height'])
    n = w * h * 3
    data = np.frombuffer(stdin.read(2 * n * 4), dtype=np.float32)
    if data.size != 2 * n:
        sys.stderr.write(f'realblur_align: expected {2 * n} floats, got {data.size}\n')
        sys.exit(2)
    restored = data[:n].reshape(h, w, 3).copy()
    target = data[n:].reshape(h, w, 3).copy()
    head, aligned, mask = align(restored, target)
    out = sys.stdout.buffer
    out.write((json.dumps(head) + '\n').encode())
    out.write(aligned.tobytes())
    out.write(mask.tobytes())
    out.flush()


if __name__ == '__main__':
    main()
