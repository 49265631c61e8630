import { mirrorIndex, type Raster } from './data/raster';

/**
 * scipy.ndimage's normalised 1-D Gaussian weights over [-radius, radius]. scipy's radius is
 * int(truncate · σ + 0.5), truncate 4 by default (SSIM passes 3.5).
 */
export function gaussianTaps(sigma: number, radius = Math.trunc(4 * sigma + 0.5)): Float64Array {
  if (!(sigma > 0)) throw new Error(`gaussianTaps: sigma must be positive (got ${sigma})`);
  const taps = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += taps[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  return taps.map((t) => t / sum);
}

/** Separable filter of a W×H plane, rows then columns, mirror ("reflect") edges, as scipy.ndimage does. */
export function gaussianFilter(plane: Float64Array, width: number, height: number, taps: Float64Array): Float64Array {
  const tmp = new Float64Array(plane.length);
  const out = new Float64Array(plane.length);
  // Each line is copied with its mirrored margins into one buffer, so the inner loop has no index arithmetic.
  const r = (taps.length - 1) / 2;
  const line = new Float64Array(Math.max(width, height) + 2 * r);
  const filterLine = (n: number, read: (i: number) => number, write: (i: number, v: number) => void): void => {
    for (let i = -r; i < n + r; i++) line[i + r] = read(mirrorIndex(i, n));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < taps.length; k++) s += taps[k]! * line[i + k]!;
      write(i, s);
    }
  };
  for (let x = 0; x < width; x++) filterLine(height, (y) => plane[y * width + x]!, (y, v) => (tmp[y * width + x] = v));
  for (let y = 0; y < height; y++) filterLine(width, (x) => tmp[y * width + x]!, (x, v) => (out[y * width + x] = v));
  return out;
}

/** One channel of a raster as a float64 plane. */
export function channelPlane(r: Raster, c: number): Float64Array {
  const plane = new Float64Array(r.width * r.height);
  for (let i = 0; i < plane.length; i++) plane[i] = r.data[i * 3 + c]!;
  return plane;
}
