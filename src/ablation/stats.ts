import { Rng } from '../random';

/**
 * How sure are we? Per-image gains are far from normal (a flat crop gains nothing, a textured one
 * a lot), so intervals come from the bootstrap and paired tests from sign flips, not from t tables.
 * Every resampling is seeded: the same numbers give the same interval.
 */

export interface MeanEstimate {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1) over images: the spread, not the uncertainty of the mean. */
  std: number;
  /** 95% bootstrap percentile interval of the mean. */
  ci95: [number, number];
}

const RESAMPLES = 10000;

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

/** The q-quantile of sorted values, linearly interpolated (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Mean, spread and a 95% bootstrap interval of the mean. */
export function estimateMean(xs: readonly number[], seed = 0): MeanEstimate {
  if (xs.length === 0) throw new Error('estimateMean: no values');
  const rng = Rng.seeded('bootstrap', seed);
  const means = new Float64Array(RESAMPLES);
  for (let r = 0; r < RESAMPLES; r++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[rng.int(0, xs.length - 1)]!;
    means[r] = s / xs.length;
  }
  const sorted = Array.from(means).sort((a, b) => a - b);
  return { n: xs.length, mean: mean(xs), std: sampleStd(xs), ci95: [quantile(sorted, 0.025), quantile(sorted, 0.975)] };
}

export interface PairedComparison extends MeanEstimate {
  /** Images where A beat B, and where B beat A (ties in neither). */
  wins: [number, number];
  /** Two-sided p of "mean difference 0" by random sign flips of the per-image differences. */
  p: number;
}

/**
 * A − B over the images both were scored on (matched by id). The paired difference removes the
 * image-to-image spread that both runs share, which is most of it.
 */
export function comparePaired(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, seed = 0): PairedComparison {
  const ids = [...a.keys()].filter((id) => b.has(id));
  if (ids.length === 0) throw new Error('comparePaired: the two runs share no image');
  const d = ids.map((id) => a.get(id)! - b.get(id)!);
  return { ...estimateMean(d, seed), wins: [d.filter((x) => x > 0).length, d.filter((x) => x < 0).length], p: signFlipP(d, seed) };
}

/**
 * Two-sided sign-flip (paired permutation) p-value of the mean of `d`: exact over all 2^n sign
 * patterns for n ≤ 16, else from 10,000 random patterns (counting the observed one, so p > 0).
 */
export function signFlipP(d: readonly number[], seed = 0): number {
  const observed = Math.abs(mean(d));
  const tol = 1e-12 * Math.max(1, observed);
  if (d.length <= 16) {
    let hits = 0;
    const patterns = 2 ** d.length;
    for (let m = 0; m < patterns; m++) {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += m & (1 << i) ? -d[i]! : d[i]!;
      if (Math.abs(s / d.length) >= observed - tol) hits++;
    }
    return hits / patterns;
  }
  const rng = Rng.seeded('sign-flip', seed);
  let hits = 1;
  for (let r = 0; r < RESAMPLES; r++) {
    let s = 0;
    for (const x of d) s += rng.bernoulli(0.5) ? -x : x;
    if (Math.abs(s / d.length) >= observed - tol) hits++;
  }
  return hits / (RESAMPLES + 1);
}
