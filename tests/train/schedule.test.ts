import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learningRate, validateSchedule, type Schedule } from '../../src/train/schedule';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-15 + 1e-12 * Math.abs(b), `${what}: ${a} vs ${b}`);

test('cosine: starts at initial, ends at final and stays there, symmetric about the middle, never rises', () => {
  const s: Schedule = { kind: 'cosine', initial: 1e-4, final: 1e-6, total: 1000 };
  close(learningRate(s, 0), 1e-4, 'start');
  close(learningRate(s, 1000), 1e-6, 'end');
  close(learningRate(s, 5000), 1e-6, 'after the end');
  close(learningRate(s, 500), (1e-4 + 1e-6) / 2, 'middle');
  for (let t = 0; t <= 1000; t += 37) close(learningRate(s, t) + learningRate(s, 1000 - t), 1e-4 + 1e-6, `symmetry at ${t}`);
  for (let t = 1; t <= 1000; t++) assert.ok(learningRate(s, t) <= learningRate(s, t - 1));
  // A quarter of the way: final + (initial − final)·(1 + cos(π/4))/2.
  close(learningRate(s, 250), 1e-6 + (99e-6 * (1 + Math.SQRT1_2)) / 2, 'quarter');
});

test('step: halves exactly every `every` steps (MIMO-UNet)', () => {
  const s: Schedule = { kind: 'step', initial: 1e-4, every: 500, factor: 0.5 };
  assert.equal([0, 499, 500, 999, 1000, 2999].map((t) => learningRate(s, t)), [1e-4, 1e-4, 5e-5, 5e-5, 2.5e-5, 3.125e-6]);
});

test('warm-up: a linear ramp to the schedule over the first steps, then the schedule itself', () => {
  const s: Schedule = { kind: 'cosine', initial: 1e-3, final: 1e-6, total: 1000, warmup: 100 };
  const plain: Schedule = { kind: 'cosine', initial: 1e-3, final: 1e-6, total: 1000 };
  close(learningRate(s, 0), learningRate(plain, 0) / 100, 'first step');
  close(learningRate(s, 49), (learningRate(plain, 49) * 50) / 100, 'half way up');
  close(learningRate(s, 99), learningRate(plain, 99), 'last warm-up step reaches the schedule');
  for (const t of [100, 500, 1000]) close(learningRate(s, t), learningRate(plain, t), `after the warm-up, step ${t}`);
  for (let t = 1; t < 100; t++) assert.ok(learningRate(s, t) > learningRate(s, t - 1), `rises at ${t}`);
  close(learningRate({ kind: 'constant', initial: 2e-4, warmup: 4 }, 1), 1e-4, 'constant');
  assert.throws(() => validateSchedule({ kind: 'constant', initial: 1e-4, warmup: 1.5 }), /warmup must be a non-negative integer/);
});

test('bad schedules and steps are refused with the reason', () => {
  assert.throws(() => validateSchedule({ kind: 'cosine', initial: 1e-6, final: 1e-4, total: 10 }), /final .* exceeds initial/);
  assert.throws(() => validateSchedule({ kind: 'cosine', initial: 1e-4, final: 1e-6, total: 0 }), /total must be a positive integer/);
  assert.throws(() => validateSchedule({ kind: 'step', initial: 1e-4, every: 10, factor: 2 }), /factor must be in \(0, 1\]/);
  assert.throws(() => validateSchedule({ kind: 'constant', initial: Number.NaN }), /initial must be a positive number/);
  assert.throws(() => learningRate({ kind: 'constant', initial: 1 }, -1), /bad step/);
});

test.run();
