import { execFileSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { comparePaired, signFlipP, estimateMean } from '../../src/ablation/stats';
import { Rng } from '../../src/random';

/** Skewed, gain-like samples: most images gain a little, a few a lot, some lose. */
function gains(n: number, seed: number): number[] {
  const rng = Rng.seeded('gains', seed);
  return Array.from({ length: n }, () => 0.05 + 0.3 * Math.exp(rng.normal()) * (rng.bernoulli(0.2) ? 3 : 1) - 0.3);
}

const samples = [gains(9, 1), gains(12, 2), gains(14, 3), gains(60, 4), gains(240, 5)];
let scipy: Array<{ p?: number; bootstrap: [number, number]; t: [number, number]; std: number }>;

test.before(() => {
  scipy = JSON.parse(execFileSync('/usr/bin/python3', ['tests/python/scipy_stats.py'], { input: JSON.stringify({ samples }) }).toString());
});

test('sign-flip p-values are exact: equal to scipy.stats.permutation_test over all 2^n sign patterns (n ≤ 16)', () => {
  samples.forEach((xs, i) => {
    if (xs.length > 16) return;
    const p = signFlipP(xs);
    assert.ok(Math.abs(p - scipy[i]!.p!) < 1e-12, `n=${xs.length}: ${p} vs scipy ${scipy[i]!.p}`);
  });
  // A sample with no effect at all: every pattern is as extreme.
  assert.is(signFlipP([0.5, -0.5, 0.5, -0.5]), 1);
});

test('sign-flip p for large n (Monte Carlo) agrees with the exact p of a smaller sample and with the t test', () => {
  // Shift a 240-image sample until its mean is about 2 standard errors from 0: p should be ≈ 0.05.
  const xs = samples[4]!;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sem = estimateMean(xs).std / Math.sqrt(xs.length);
  const shifted = xs.map((x) => x - m + 1.97 * sem);
  const p = signFlipP(shifted);
  assert.ok(p > 0.03 && p < 0.08, `p ${p} for a mean 1.97 SEM from 0`);
  assert.ok(signFlipP(xs.map((x) => x - m + 5 * sem)) < 0.001);
});

test('bootstrap intervals match scipy.stats.bootstrap (percentile) and the t interval to within sampling noise', () => {
  samples.forEach((xs, i) => {
    const s = estimateMean(xs);
    const ref = scipy[i]!;
    assert.ok(Math.abs(s.std - ref.std) < 1e-12, `std ${s.std} vs ${ref.std}`);
    const width = ref.bootstrap[1] - ref.bootstrap[0];
    // Two independent 10,000-resample bootstraps differ by a few percent of the width.
    for (const k of [0, 1] as const) assert.ok(Math.abs(s.ci95[k] - ref.bootstrap[k]) < 0.05 * width, `n=${xs.length} end ${k}: ${s.ci95[k]} vs scipy ${ref.bootstrap[k]} (width ${width})`);
    // The percentile bootstrap is narrower than t for small n (it ignores the n − 1), close for large n.
    const tWidth = ref.t[1] - ref.t[0];
    assert.ok(width / tWidth > (xs.length < 20 ? 0.75 : 0.9) && width / tWidth < 1.1, `n=${xs.length}: bootstrap/t width ${width / tWidth}`);
    assert.ok(s.ci95[0] < s.mean && s.mean < s.ci95[1]);
  });
  assert.equal(estimateMean(samples[3]!, 7), estimateMean(samples[3]!, 7), 'seeded: same interval every time');
});

test('paired comparison: matched by image id, wins counted, a shared image effect cancels', () => {
  const ids = samples[4]!.map((_, i) => `img${i}`);
  const base = new Map(ids.map((id, i) => [id, samples[4]![i]!]));
  // B is A plus 0.02 dB on every image, listed in another order, with one image A lacks.
  const b = new Map([...ids].reverse().map((id) => [id, base.get(id)! + 0.02]));
  b.set('extra', 100);
  const c = comparePaired(b, base);
  assert.is(c.n, 240);
  assert.ok(Math.abs(c.mean - 0.02) < 1e-12 && c.std < 1e-12);
  assert.equal(c.wins, [240, 0]);
  assert.ok(c.p < 0.001, 'a consistent 0.02 dB is certain even though the images spread by ' + estimateMean(samples[4]!).std.toFixed(2));
  // Unpaired, the same 0.02 dB would be lost in the spread: the means' intervals overlap.
  const [sa, sb] = [estimateMean([...base.values()]), estimateMean([...b.values()].slice(0, 240))];
  assert.ok(sa.ci95[1] > sb.ci95[0]);
  assert.throws(() => comparePaired(new Map([['x', 1]]), new Map([['y', 1]])), /share no image/);
});

test.run();
