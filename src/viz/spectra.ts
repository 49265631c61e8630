import * as tf from '@tensorflow/tfjs';
import { spectrumHW } from '../dft';
import { UsageError } from '../errors';

/**
 * Fourier views of images, for seeing what a deblurring network restores: blur is a low-pass
 * filter, so a blurred image has less power at high frequencies than the sharp one, and a good
 * restoration brings that power back (without inventing more, which is ringing or noise).
 * Images are [H, W, 3] or [1, H, W, 3] in [0, 1]; spectra are of the mean of the three channels.
 */

function grey(image: tf.Tensor): tf.Tensor4D {
  const x = image.rank === 3 ? image.expandDims(0) : image;
  if (x.rank !== 4 || x.shape[0] !== 1 || x.shape[3] !== 3) throw new UsageError(`spectra take one RGB image [H, W, 3], got [${image.shape}]`);
  return tf.mean(x, 3, true) as tf.Tensor4D;
}

/** Moves row/column 0 (zero frequency) to the centre, like numpy.fft.fftshift. */
export function fftShift(m: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [h, w] = m.shape;
    const rows = tf.concat([tf.slice(m, [Math.ceil(h / 2), 0], [h - Math.ceil(h / 2), w]), tf.slice(m, [0, 0], [Math.ceil(h / 2), w])], 0);
    return tf.concat([tf.slice(rows, [0, Math.ceil(w / 2)], [h, w - Math.ceil(w / 2)]), tf.slice(rows, [0, 0], [h, Math.ceil(w / 2)])], 1) as tf.Tensor2D;
  });
}

/** |F|² / (H·W) of the grey image, [H, W], zero frequency at [0, 0] (unshifted). */
export function powerSpectrum(image: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const g = grey(image);
    const [, h, w] = g.shape;
    const { re, im } = spectrumHW(g);
    return tf.div(tf.add(tf.square(re), tf.square(im)), h * w).reshape([h, w]) as tf.Tensor2D;
  });
}

/** log10(|F|²/(H·W) + 1e-10), centred: the usual picture of a spectrum. */
export function logPowerSpectrum(image: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => fftShift(tf.div(tf.log(tf.add(powerSpectrum(image), 1e-10)), Math.LN10) as tf.Tensor2D));
}

export interface RadialProfile {
  /** Centre of each ring in cycles per pixel, 0 … 0.5·√2. */
  frequency: number[];
  /** Mean |F|²/(H·W) over the frequencies in each ring. */
  power: number[];
  /** How many DFT coefficients fell in each ring. */
  count: number[];
}

/**
 * The radially averaged power spectrum. Frequency (fy, fx) in cycles per pixel, with fy = ky/H
 * folded into [−½, ½) (same for x), falls in ring round(|f|·N) where N = min(H, W); each ring's
 * power is the mean over its coefficients. Rings past the Nyquist corner are empty and dropped.
 */
export async function radialPower(image: tf.Tensor): Promise<RadialProfile> {
  const p = powerSpectrum(image);
  const [h, w] = p.shape;
  const values = await p.data();
  p.dispose();
  const n = Math.min(h, w);
  const rings = Math.floor(n * Math.SQRT1_2) + 2;
  const sum = new Float64Array(rings);
  const count = new Float64Array(rings);
  for (let ky = 0; ky < h; ky++) {
    const fy = (ky < h - Math.floor(h / 2) ? ky : ky - h) / h;
    for (let kx = 0; kx < w; kx++) {
      const fx = (kx < w - Math.floor(w / 2) ? kx : kx - w) / w;
      // fy·h and fx·w are the signed integer indices again (exact: small integers).
      const ring = ringOf(fy * h, fx * w, h, w, n);
      sum[ring]! += values[ky * w + kx]!;
      count[ring]! += 1;
    }
  }
  const out: RadialProfile = { frequency: [], power: [], count: [] };
  for (let r = 0; r < rings; r++) {
    if (count[r] === 0) continue;
    out.frequency.push(r / n);
    out.power.push(sum[r]! / count[r]!);
    out.count.push(count[r]!);
  }
  return out;
}

/**
 * round(N·|f|) for f = (iy/H, ix/W), halves rounded up. Exact half-way points do occur (e.g.
 * 7/70 · 45 = 4.5) and floating point lands on either side of them, so those few are decided in
 * integers: N·|f| ≥ k + ½  ⇔  4N²(iy²W² + ix²H²) ≥ (2k + 1)²H²W².
 */
export function ringOf(iy: number, ix: number, h: number, w: number, n: number): number {
  const x = Math.hypot(iy / h, ix / w) * n;
  const k = Math.floor(x);
  if (Math.abs(x - k - 0.5) > 1e-9) return Math.round(x);
  const big = BigInt;
  const lhs = big(4) * big(n) ** big(2) * (big(iy) ** big(2) * big(w) ** big(2) + big(ix) ** big(2) * big(h) ** big(2));
  const rhs = big(2 * k + 1) ** big(2) * big(h) ** big(2) * big(w) ** big(2);
  return lhs >= rhs ? k + 1 : k;
}

/**
 * Per ring, power(a) / power(b): e.g. restored / sharp. 1 means that frequency band has the
 * sharp image's power; below 1 it is still missing, above 1 the network added energy.
 * Both profiles must come from images of the same size.
 */
export function powerRatio(a: RadialProfile, b: RadialProfile): number[] {
  if (a.frequency.length !== b.frequency.length || a.frequency.some((f, i) => f !== b.frequency[i])) {
    throw new UsageError('powerRatio: the two profiles come from images of different sizes');
  }
  return a.power.map((p, i) => p / b.power[i]!);
}

/** Where a restoration put back power: the frequencies at which its ratio to the sharp power beats the blurred input's. */
export interface RestoredBand {
  /** The lowest and highest frequency (cycles/px) where restored/sharp exceeds blurred/sharp by more than the margin; null when none. */
  from: number | null;
  to: number | null;
  /** The largest restored/sharp ratio over all frequencies but zero (above 1: more power than the sharp image). */
  maxRatio: number;
  /** The largest gain in ratio, restored − blurred, and where. */
  bestGain: number;
  bestAt: number;
}

/**
 * Summarises two power-ratio curves over the same frequencies up to `upTo` cycles/px (default the
 * Nyquist limit along the axes, 0.5: beyond it only the spectrum's corners). The DC ring is left out.
 */
export function restoredBand(frequency: readonly number[], blurred: readonly number[], restored: readonly number[], margin = 0.02, upTo = 0.5): RestoredBand {
  let from: number | null = null;
  let to: number | null = null;
  let maxRatio = 0;
  let bestGain = -Infinity;
  let bestAt = 0;
  for (let i = 1; i < frequency.length && frequency[i]! <= upTo; i++) {
    const gain = restored[i]! - blurred[i]!;
    if (gain > margin) {
      from ??= frequency[i]!;
      to = frequency[i]!;
    }
    if (gain > bestGain) [bestGain, bestAt] = [gain, frequency[i]!];
    maxRatio = Math.max(maxRatio, restored[i]!);
  }
  return { from, to, maxRatio, bestGain, bestAt };
}
