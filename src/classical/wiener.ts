import { createRaster, mirrorIndex, type Raster } from '../data/raster';
import { Fft2, nextPowerOfTwo } from './fft2';

/**
 * Non-blind deconvolution with an oracle kernel: the uniform blur kernel that best maps the sharp
 * image to the blurred one (least squares in the Fourier domain, cut to a square support, clipped
 * to non-negative and normalised), then a Wiener filter whose noise-to-signal ratio follows a
 * natural image's 1/f² spectrum, nsr · |∇|² (|∇|² the transfer of the squared finite differences;
 * zero at DC, so brightness is kept). It needs the sharp image, so it is an upper reference for
 * uniform non-blind methods, not a deblurring method: no real photo comes with its kernel. Camera
 * shake with rotation blurs differently across a frame; one kernel per image is the best uniform fit.
 */

/** Pixels of mirrored border around the image before transforming (at least the kernel's reach). */
const MARGIN = 48;

/** An image mirrored into a power-of-two grid, its border faded to the mean so the grid wraps smoothly. */
interface Padded {
  fft: Fft2;
  top: number;
  left: number;
  /** Per channel: the padded plane's spectrum (re, im). */
  spectra: Array<{ re: Float64Array; im: Float64Array }>;
}

function fade(t: number, length: number): number {
  // 1 next to the image on either side of the wrapped border, 0 half-way across it.
  return 0.5 * (1 + Math.cos((2 * Math.PI * (t + 1)) / (length + 1)));
}

function weights(n: number, start: number, size: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  const pad = n - size;
  for (let t = 0; t < pad; t++) w[(start + size + t) % n] = fade(t, pad);
  return w;
}

function channelMean(image: Raster, c: number): number {
  let sum = 0;
  for (let i = 0; i < image.width * image.height; i++) sum += image.data[i * 3 + c]!;
  return sum / (image.width * image.height);
}

function pad(image: Raster, fft: Fft2, top: number, left: number): Padded {
  const { height: P, width: Q } = fft;
  const wy = weights(P, top, image.height);
  const wx = weights(Q, left, image.width);
  const spectra: Padded['spectra'] = [];
  for (let c = 0; c < 3; c++) {
    const mean = channelMean(image, c);
    const re = new Float64Array(P * Q);
    for (let y = 0; y < P; y++) {
      const sy = mirrorIndex(y - top, image.height);
      for (let x = 0; x < Q; x++) {
        const v = image.data[(sy * image.width + mirrorIndex(x - left, image.width)) * 3 + c]!;
        re[y * Q + x] = mean + wy[y]! * wx[x]! * (v - mean);
      }
    }
    const im = new Float64Array(P * Q);
    fft.forward(re, im);
    spectra.push({ re, im });
  }
  return { fft, top, left, spectra };
}

/** Pixels over which the fit's window falls from 1 to 0 inside the image's border. */
const FIT_TAPER = 24;

/**
 * The image for the kernel fit: mean removed, faded to 0 over its outer FIT_TAPER pixels, zeros
 * around. A mirrored border would show the kernel's mirror image to the fit as well.
 */
function windowed(image: Raster, fft: Fft2, top: number, left: number): Padded {
  const { height: P, width: Q } = fft;
  const ramp = (i: number, n: number): number => {
    const t = Math.min(FIT_TAPER, Math.floor(n / 4));
    const d = Math.min(i, n - 1 - i);
    return d >= t ? 1 : 0.5 * (1 - Math.cos((Math.PI * (d + 0.5)) / t));
  };
  const spectra: Padded['spectra'] = [];
  for (let c = 0; c < 3; c++) {
    const mean = channelMean(image, c);
    const re = new Float64Array(P * Q);
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) re[(y + top) * Q + (x + left)] = ramp(y, image.height) * ramp(x, image.width) * (image.data[(y * image.width + x) * 3 + c]! - mean);
    }
    const im = new Float64Array(P * Q);
    fft.forward(re, im);
    spectra.push({ re, im });
  }
  return { fft, top, left, spectra };
}

function grid(image: Raster): { fft: Fft2; top: number; left: number } {
  const P = nextPowerOfTwo(image.height + 2 * MARGIN);
  const Q = nextPowerOfTwo(image.width + 2 * MARGIN);
  return { fft: new Fft2(P, Q), top: Math.floor((P - image.height) / 2), left: Math.floor((Q - image.width) / 2) };
}

/** A blur kernel: size × size weights (size odd), centred, summing to 1. */
export interface BlurKernel {
  size: number;
  weights: Float64Array;
}

/** Default kernel side: camera shake up to 32 px at GoPro scale moves a point at most ~32 px from its place. */
export const ORACLE_KERNEL_SIZE = 65;

/**
 * The uniform kernel k (size × size, non-negative, sum 1) for which k ∗ sharp best matches blurred,
 * fitted jointly over the three channels.
 */
export function fitKernel(sharp: Raster, blurred: Raster, size = ORACLE_KERNEL_SIZE): BlurKernel {
  if (sharp.width !== blurred.width || sharp.height !== blurred.height) throw new Error('fitKernel: images differ in size');
  if (!(Number.isInteger(size) && size % 2 === 1 && size >= 1)) throw new Error(`fitKernel: size must be odd (got ${size})`);
  const g = grid(sharp);
  return fitPadded(windowed(sharp, g.fft, g.top, g.left), windowed(blurred, g.fft, g.top, g.left), size);
}

function fitPadded(s: Padded, b: Padded, size: number): BlurKernel {
  const { height: P, width: Q } = s.fft;
  const re = new Float64Array(P * Q);
  const im = new Float64Array(P * Q);
  const power = new Float64Array(P * Q);
  for (let i = 0; i < P * Q; i++) {
    let nr = 0;
    let ni = 0;
    let d = 0;
    for (let c = 0; c < 3; c++) {
      const sr = s.spectra[c]!.re[i]!;
      const si = s.spectra[c]!.im[i]!;
      const br = b.spectra[c]!.re[i]!;
      const bi = b.spectra[c]!.im[i]!;
      nr += sr * br + si * bi; // conj(S) · B
      ni += sr * bi - si * br;
      d += sr * sr + si * si;
    }
    re[i] = nr;
    im[i] = ni;
    power[i] = d;
  }
  // A small ridge keeps frequencies the sharp image hardly has from blowing up the fit; relative to
  // the median power, since the mean is all DC.
  const ridge = RIDGE * median(power);
  for (let i = 0; i < P * Q; i++) {
    re[i]! /= power[i]! + ridge;
    im[i]! /= power[i]! + ridge;
  }
  s.fft.inverse(re, im);
  const half = (size - 1) / 2;
  const weights = new Float64Array(size * size);
  for (let v = -half; v <= half; v++) {
    for (let u = -half; u <= half; u++) weights[(v + half) * size + (u + half)] = re[(((v % P) + P) % P) * Q + (((u % Q) + Q) % Q)]!;
  }
  // The fit's noise spreads thinly over the whole support; clipping it to non-negative would keep
  // its positive half as a low-pass pedestal. Keep only weights above a fraction of the peak.
  const floor = KERNEL_FLOOR * Math.max(...weights);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    if (!(weights[i]! > floor)) weights[i] = 0;
    sum += weights[i]!;
  }
  if (!(sum > 0)) weights[half * size + half] = sum = 1; // nothing fits: the identity
  for (let i = 0; i < weights.length; i++) weights[i]! /= sum;
  return { size, weights };
}

/** Kernel weights below this fraction of the largest are noise (cf. the kernel clean-up of blind deblurring methods). */
const KERNEL_FLOOR = 0.05;

/** The fit's ridge as a fraction of the median power (tested: 1e-3 to 3e-2 fit a known kernel alike). */
const RIDGE = 1e-2;

function median(xs: Float64Array): number {
  const sorted = Float64Array.from(xs).sort();
  return sorted[sorted.length >> 1]!;
}

/** The kernel's transfer function on the grid (kernel centre at the origin, wrapped). */
function transfer(k: BlurKernel, fft: Fft2): { re: Float64Array; im: Float64Array } {
  const { height: P, width: Q } = fft;
  const re = new Float64Array(P * Q);
  const im = new Float64Array(P * Q);
  const half = (k.size - 1) / 2;
  for (let v = -half; v <= half; v++) {
    for (let u = -half; u <= half; u++) re[(((v % P) + P) % P) * Q + (((u % Q) + Q) % Q)]! += k.weights[(v + half) * k.size + (u + half)]!;
  }
  fft.forward(re, im);
  return { re, im };
}

/** Wiener deconvolution of `blurred` by `kernel`, noise-to-signal ratio nsr · |∇|², clipped to [0, 1]. */
export function wienerDeconvolve(blurred: Raster, kernel: BlurKernel, nsr: number): Raster {
  const g = grid(blurred);
  return deconvolvePadded(pad(blurred, g.fft, g.top, g.left), blurred, kernel, [nsr])[0]!;
}

function deconvolvePadded(b: Padded, image: Raster, kernel: BlurKernel, nsrs: readonly number[]): Raster[] {
  if (nsrs.some((n) => !(n > 0))) throw new Error(`wiener: the noise-to-signal ratio must be positive (got ${nsrs.join(', ')})`);
  const { fft, top, left } = b;
  const { height: P, width: Q } = fft;
  const k = transfer(kernel, fft);
  const gradient = new Float64Array(P * Q);
  for (let v = 0; v < P; v++) {
    for (let u = 0; u < Q; u++) gradient[v * Q + u] = 4 - 2 * Math.cos((2 * Math.PI * u) / Q) - 2 * Math.cos((2 * Math.PI * v) / P);
  }
  return nsrs.map((nsr) => {
    const out = new Float32Array(image.width * image.height * 3);
    for (let c = 0; c < 3; c++) {
      const re = new Float64Array(P * Q);
      const im = new Float64Array(P * Q);
      const br = b.spectra[c]!.re;
      const bi = b.spectra[c]!.im;
      for (let i = 0; i < P * Q; i++) {
        const kr = k.re[i]!;
        const ki = k.im[i]!;
        const d = kr * kr + ki * ki + nsr * gradient[i]!;
        re[i] = (kr * br[i]! + ki * bi[i]!) / d; // conj(K) · B / (|K|² + nsr · |∇|²)
        im[i] = (kr * bi[i]! - ki * br[i]!) / d;
      }
      fft.inverse(re, im);
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) out[(y * image.width + x) * 3 + c] = Math.min(1, Math.max(0, re[(y + top) * Q + (x + left)]!));
      }
    }
    return createRaster(image.width, image.height, out);
  });
}

/**
 * The oracle Wiener restoration of a pair for each noise-to-signal ratio: one kernel fit and one
 * forward transform shared by all of them (what tuning over a grid needs).
 */
export function oracleWiener(sharp: Raster, blurred: Raster, nsrs: readonly number[], size = ORACLE_KERNEL_SIZE): { kernel: BlurKernel; restored: Raster[] } {
  const g = grid(blurred);
  const b = pad(blurred, g.fft, g.top, g.left);
  const kernel = fitPadded(windowed(sharp, g.fft, g.top, g.left), windowed(blurred, g.fft, g.top, g.left), size);
  return { kernel, restored: deconvolvePadded(b, blurred, kernel, nsrs) };
}
