"""RealBlur's evaluation of one restored image, as its authors' Python script computes it (for
tests/eval/realblur-protocol.test.ts): written after the published evaluate_RealBlur.py, with
scikit-image's reader and metrics and OpenCV's ECC; the lab's masked PSNR and SSIM (src/metrics.ts)
are checked against it.

Usage: realblur_reference.py RESTORED.png SHARP.png → JSON {"psnr", "ssim", "warp"}.
"""
import json
import sys

import cv2
import numpy as np
from skimage import io
from skimage.metrics import structural_similarity


def image_align(deblurred, gt):
    z = deblurred
    x = gt
    zs = (np.sum(x * z) / np.sum(z * z)) * z  # one intensity gain
    warp_matrix = np.eye(3, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 0)
    _, warp_matrix = cv2.findTransformECC(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.cvtColor(zs, cv2.COLOR_RGB2GRAY),
                                          warp_matrix, cv2.MOTION_HOMOGRAPHY, criteria, inputMask=None, gaussFiltSize=5)
    shape = (x.shape[1], x.shape[0])
    zr = cv2.warpPerspective(zs, warp_matrix, shape, flags=cv2.INTER_CUBIC + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
    cr = cv2.warpPerspective(np.ones_like(zs, dtype='float32'), warp_matrix, shape,
                             flags=cv2.INTER_NEAREST + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return zr * cr, x * cr, cr, warp_matrix


def compute_psnr(image_true, image_test, image_mask, data_range):
    err = np.sum((image_true - image_test) ** 2, dtype=np.float64) / np.sum(image_mask)
    return 10 * np.log10((data_range ** 2) / err)


def compute_ssim(tar_img, prd_img, cr1):
    _, ssim_map = structural_similarity(tar_img, prd_img, channel_axis=-1, gaussian_weights=True,
                                        use_sample_covariance=False, data_range=1.0, full=True)
    ssim_map = ssim_map * cr1
    r = int(3.5 * 1.5 + 0.5)
    pad = (2 * r + 1 - 1) // 2
    ssim = ssim_map[pad:-pad, pad:-pad, :]
    crop_cr1 = cr1[pad:-pad, pad:-pad, :]
    return np.mean(ssim.sum(axis=0).sum(axis=0) / crop_cr1.sum(axis=0).sum(axis=0))


prd = io.imread(sys.argv[1])[:, :, :3].astype(np.float32) / 255.0
tar = io.imread(sys.argv[2])[:, :, :3].astype(np.float32) / 255.0
prd, tar, cr, warp = image_align(prd, tar)
json.dump({'psnr': float(compute_psnr(tar, prd, cr, 1)), 'ssim': float(compute_ssim(tar, prd, cr)),
           'warp': [float(v) for v in warp.reshape(-1)]}, sys.stdout)
