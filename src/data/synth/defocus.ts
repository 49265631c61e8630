import type { Kernel } from './trajectory';

/** Sub-pixel samples per pixel side when measuring how much of a pixel the disk covers. */
const SUPERSAMPLE = 16;

/**
 * Out-of-focus blur: a uniform disk (the thin-lens circle of confusion, ignoring aperture shape
 * and lens aberrations) of the given diameter in pixels, centred on the middle of an odd grid.
 * Each pixel's weight is the share of its square that lies inside the disk (measured on a 16 × 16
 * sub-grid), so small and non-integer diameters give smooth kernels; normalised to sum 1. A
 * diameter below one pixel leaves most of the weight on the centre.
 */
export function diskKernel(diameter: number): Kernel {
  if (!(diameter >= 0) || !Number.isFinite(diameter)) throw new Error(`diskKernel: diameter must be ≥ 0 (got ${diameter})`);
  const r = diameter / 2;
  const size = 2 * Math.ceil(r + 0.5) + 1;
  const half = (size - 1) / 2;
  const weights = new Float32Array(size * size);
  let total = 0;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      let inside = 0;
      for (let j = 0; j < SUPERSAMPLE; j++) {
        const y = v - half - 0.5 + (j + 0.5) / SUPERSAMPLE;
        for (let i = 0; i < SUPERSAMPLE; i++) {
          const x = u - half - 0.5 + (i + 0.5) / SUPERSAMPLE;
          if (x * x + y * y <= r * r) inside++;
        }
      }
      weights[v * size + u] = inside;
      total += inside;
    }
  }
  // A disk smaller than a sub-sample may miss every sample: it is then no blur at all.
  if (total === 0) weights[half * size + half] = total = 1;
  for (let k = 0; k < weights.length; k++) weights[k]! /= total;
  return { size, weights };
}
