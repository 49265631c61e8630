import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { curveTrend, type CurvePoint, type SetScore } from '../../src/train/curve';

const score = (gain: number): SetScore => ({ n: 4, psnrIn: 25, psnrOut: 25 + gain, gain, ssimIn: null, ssimOut: null, improved: 4 });
const point = (step: number, weights: CurvePoint['weights'], gain: number, cpuHours: number): CurvePoint => ({
  step,
  weights,
  at: '2026-12-06T00:00:00Z',
  training: { seconds: cpuHours * 3600, cpuHours, gpuMinutes: 0 },
  sets: { 'held-out': score(gain) },
  backend: 'wasm',
});

test('curveTrend: the latest point and the slope of one kind of weights, never a mix of averaged and raw', () => {
  // Each milestone holds the averaged (ema) and the raw weights: raw ones are noisier and lower here.
  const curve: CurvePoint[] = [];
  for (let k = 1; k <= 6; k++) curve.push(point(1000 * k, 'ema', 0.1 * k, k), point(1000 * k, 'raw', 0.1 * k - 0.5, k));
  const t = curveTrend(curve, 'held-out')!;
  assert.is(t.latest.weights, 'ema');
  assert.is(t.latest.step, 6000);
  assert.is(t.points, 4);
  // ema from step 3000 (0.3 dB, 3 h) to 6000 (0.6 dB, 6 h): 0.1 dB per hour.
  assert.ok(Math.abs(t.slope - 0.1) < 1e-12, `slope ${t.slope}`);
  // The last four rows of the file, as the notebook once took them, mix the two and give another slope.
  const mixed = curve.slice(-4);
  const naive = (mixed[3]!.sets['held-out']!.gain - mixed[0]!.sets['held-out']!.gain) / (mixed[3]!.training.cpuHours - mixed[0]!.training.cpuHours);
  assert.ok(Math.abs(naive - t.slope) > 0.1, `the mixed slope ${naive} differs`);

  const rawOnly = curveTrend(curve.filter((p) => p.weights === 'raw'), 'held-out', 2)!;
  assert.is(rawOnly.latest.weights, 'raw');
  assert.ok(Math.abs(rawOnly.slope - 0.1) < 1e-12);
  assert.is(curveTrend([point(1000, 'ema', 0.2, 1)], 'held-out')!.slope, 0, 'one point: no slope');
  assert.is(curveTrend(curve, 'sample test'), undefined);
});

test.run();
