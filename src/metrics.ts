import type { Raster } from './data/raster';
import { channelPlane, gaussianFilter, gaussianTaps } from './filters';

/**
 * Image quality metrics on RGB rasters in [0, 1], following scikit-image 0.19 (the reference the
 * tests compare against, to 1e-4):
 *
 * - PSNR: `peak_signal_noise_ratio(ref, test, data_range=1)`: 10·log10(1 / MSE), MSE over every
 *   pixel and channel. Identical images give +Infinity.
 * - SSIM: `structural_similarity(a, b, channel_axis=-1, data_range=1, gaussian_weights=True,
 *   sigma=1.5, use_sample_covariance=False)`: an 11-tap Gaussian window (σ 1.5, truncated at 3.5σ)
 *   with mirror ("reflect") edges, K1 0.01, K2 0.03, the SSIM map averaged after dropping a 5-pixel
 *   border, then averaged over the three channels. MATLAB's `ssim` (and some papers) differ.
 *
 * All sums are in float64.
 */

function checkPair(a: Raster, b: Raster, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what}: images differ in size (${a.width}×${a.height} vs ${b.width}×${b.height})`);
  }
}

export function mse(a: Raster, b: Raster): number {
  checkPair(a, b, 'mse');
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    sum += d * d;
  }
  return sum / a.data.length;
}

export function psnr(a: Raster, b: Raster, dataRange = 1): number {
  checkPair(a, b, 'psnr');
  return 10 * Math.log10((dataRange * dataRange) / mse(a, b));
}

export const SSIM_SIGMA = 1.5;
const SSIM_RADIUS = Math.trunc(3.5 * SSIM_SIGMA + 0.5); // 5, scipy's truncate rule → 11 taps
/** SSIM's window side: images must be at least this large. */
export const SSIM_WINDOW = 2 * SSIM_RADIUS + 1;

/** SSIM of one channel, skimage's way; returns the mean over the cropped map. */
function ssimPlane(x: Float64Array, y: Float64Array, width: number, height: number, dataRange: number): number {
  const taps = gaussianTaps(SSIM_SIGMA, SSIM_RADIUS);
  const f = (p: Float64Array): Float64Array => gaussianFilter(p, width, height, taps);
  const ux = f(x);
  const uy = f(y);
  const uxx = f(x.map((v) => v * v));
  const uyy = f(y.map((v) => v * v));
  const uxy = f(x.map((v, i) => v * y[i]!));
  const c1 = (0.01 * dataRange) ** 2;
  const c2 = (0.03 * dataRange) ** 2;
  let sum = 0;
  for (let row = SSIM_RADIUS; row < height - SSIM_RADIUS; row++) {
    for (let col = SSIM_RADIUS; col < width - SSIM_RADIUS; col++) {
      const i = row * width + col;
      const mx = ux[i]!;
      const my = uy[i]!;
      const vx = uxx[i]! - mx * mx;
      const vy = uyy[i]! - my * my;
      const vxy = uxy[i]! - mx * my;
      sum += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    }
  }
  return sum / ((height - 2 * SSIM_RADIUS) * (width - 2 * SSIM_RADIUS));
}

export function ssim(a: Raster, b: Raster, dataRange = 1): number {
  checkPair(a, b, 'ssim');
  const win = 2 * SSIM_RADIUS + 1;
  if (a.width < win || a.height < win) throw new Error(`ssim: images must be at least ${win}×${win} (got ${a.width}×${a.height})`);
  let total = 0;
  for (let c = 0; c < 3; c++) total += ssimPlane(channelPlane(a, c), channelPlane(b, c), a.width, a.height, dataRange);
  return total / 3;
}

export interface Scores {
  psnr: number;
  ssim: number;
}

export function scores(a: Raster, b: Raster): Scores {
  return { psnr: psnr(a, b), ssim: ssim(a, b) };
}
