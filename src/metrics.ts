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

/** skimage's SSIM map of one channel, every pixel (edges mirrored by the filter). */
function ssimMapPlane(x: Float64Array, y: Float64Array, width: number, height: number, dataRange: number): Float64Array {
  const taps = gaussianTaps(SSIM_SIGMA, SSIM_RADIUS);
  const f = (p: Float64Array): Float64Array => gaussianFilter(p, width, height, taps);
  const ux = f(x);
  const uy = f(y);
  const uxx = f(x.map((v) => v * v));
  const uyy = f(y.map((v) => v * v));
  const uxy = f(x.map((v, i) => v * y[i]!));
  const c1 = (0.01 * dataRange) ** 2;
  const c2 = (0.03 * dataRange) ** 2;
  const map = new Float64Array(width * height);
  for (let i = 0; i < map.length; i++) {
    const mx = ux[i]!;
    const my = uy[i]!;
    const vx = uxx[i]! - mx * mx;
    const vy = uyy[i]! - my * my;
    const vxy = uxy[i]! - mx * my;
    map[i] = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  }
  return map;
}

/** Σ weight·map and Σ weight over the map less a window radius at each edge (skimage's crop). */
function croppedSums(map: Float64Array, width: number, height: number, weight?: Float32Array): { sum: number; weight: number } {
  let sum = 0;
  let total = 0;
  for (let row = SSIM_RADIUS; row < height - SSIM_RADIUS; row++) {
    for (let col = SSIM_RADIUS; col < width - SSIM_RADIUS; col++) {
      const i = row * width + col;
      const w = weight ? weight[i]! : 1;
      sum += w * map[i]!;
      total += w;
    }
  }
  return { sum, weight: total };
}

function checkSsimSize(a: Raster, what: string): void {
  if (a.width < SSIM_WINDOW || a.height < SSIM_WINDOW) throw new Error(`${what}: images must be at least ${SSIM_WINDOW}×${SSIM_WINDOW} (got ${a.width}×${a.height})`);
}

export function ssim(a: Raster, b: Raster, dataRange = 1): number {
  checkPair(a, b, 'ssim');
  checkSsimSize(a, 'ssim');
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const s = croppedSums(ssimMapPlane(channelPlane(a, c), channelPlane(b, c), a.width, a.height, dataRange), a.width, a.height);
    total += s.sum / s.weight;
  }
  return total / 3;
}

/**
 * RealBlur's scores on the part of an image that an alignment covers (`mask`: one value per pixel,
 * 1 where covered). As its evaluation script computes them: both images multiplied by the mask; PSNR
 * from the squared error summed over every channel divided by the mask's sum over every channel;
 * SSIM as skimage's map of the masked images (the settings above), weighted by the mask, averaged
 * per channel over the map less its 5-pixel border, then over the channels.
 */
export function maskedPsnr(a: Raster, b: Raster, mask: Float32Array, dataRange = 1): number {
  checkMask(a, b, mask, 'maskedPsnr');
  let sum = 0;
  let covered = 0;
  for (let p = 0; p < mask.length; p++) {
    const m = mask[p]!;
    covered += 3 * m;
    for (let c = 0; c < 3; c++) {
      const d = (a.data[3 * p + c]! - b.data[3 * p + c]!) * m;
      sum += d * d;
    }
  }
  return 10 * Math.log10((dataRange * dataRange) / (sum / covered));
}

export function maskedSsim(a: Raster, b: Raster, mask: Float32Array, dataRange = 1): number {
  checkMask(a, b, mask, 'maskedSsim');
  checkSsimSize(a, 'maskedSsim');
  const masked = (r: Raster, c: number): Float64Array => channelPlane(r, c).map((v, i) => v * mask[i]!);
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const s = croppedSums(ssimMapPlane(masked(a, c), masked(b, c), a.width, a.height, dataRange), a.width, a.height, mask);
    total += s.sum / s.weight;
  }
  return total / 3;
}

function checkMask(a: Raster, b: Raster, mask: Float32Array, what: string): void {
  checkPair(a, b, what);
  if (mask.length !== a.width * a.height) throw new Error(`${what}: the mask has ${mask.length} values for ${a.width}×${a.height} pixels`);
}

export interface Scores {
  psnr: number;
  ssim: number;
}

export function scores(a: Raster, b: Raster): Scores {
  return { psnr: psnr(a, b), ssim: ssim(a, b) };
}
