import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { ADAM_STEP } from '../../src/kernels/ops/adam-step';
import { ScheduledAdam } from '../../src/train/adam';
import { WeightAverage } from '../../src/train/ema';
import { seeded, startBackendForTest, type KernelSet } from '../helpers';

const SHAPES = [[3, 3, 4, 8], [8], [1, 1, 8, 2], [2], [40000]]; // the last spans several of the kernel's chunks
const STEPS = 4;

/** Adam (PyTorch's formula) and the weight average by plain loops in float64: the reference. */
function reference(lrs: number[], decay: number): { w: Float64Array[]; e: Float64Array[] } {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const w = SHAPES.map((s, i) => Float64Array.from(seeded(size(s), 10 + i)));
  const m = w.map((x) => new Float64Array(x.length));
  const v = w.map((x) => new Float64Array(x.length));
  const e = w.map((x) => Float64Array.from(x));
  for (let t = 1; t <= STEPS; t++) {
    const rate = 1 - Math.min(decay, t / (9 + t));
    w.forEach((wi, i) => {
      const g = seeded(wi.length, 100 * t + i);
      for (let k = 0; k < wi.length; k++) {
        m[i]![k] = b1 * m[i]![k]! + (1 - b1) * g[k]!;
        v[i]![k] = b2 * v[i]![k]! + (1 - b2) * g[k]! * g[k]!;
        wi[k] = wi[k]! - (lrs[t - 1]! * (m[i]![k]! / (1 - b1 ** t))) / (Math.sqrt(v[i]![k]! / (1 - b2 ** t)) + eps);
        e[i]![k] = e[i]![k]! + rate * (wi[k]! - e[i]![k]!);
      }
    });
  }
  return { w, e };
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

async function run(backend: 'cpu' | 'wasm', kernels: KernelSet | undefined, lrs: number[], decay: number): Promise<{ w: Float32Array[]; e: Float32Array[]; fused: boolean }> {
  await startBackendForTest(backend, kernels);
  const before = tf.memory().numTensors;
  const vars = tf.tidy(() => SHAPES.map((s, i) => tf.variable(tf.tensor(seeded(size(s), 10 + i), s))));
  const adam = new ScheduledAdam();
  const avg = WeightAverage.start(vars, decay, 0);
  for (let t = 1; t <= STEPS; t++) {
    adam.setLearningRate(lrs[t - 1]!);
    const grads = SHAPES.map((s, i) => tf.tensor(seeded(size(s), 100 * t + i), s));
    const p = adam.propose(vars, grads, avg);
    assert.is((await p.finite.data())[0], 1);
    adam.commit(vars, p, avg);
    tf.dispose(grads);
  }
  const w = await Promise.all(vars.map(async (x) => new Float32Array(await x.data())));
  const e = await avg.export();
  const fused = tf.getKernel(ADAM_STEP, tf.getBackend()) !== undefined;
  assert.is(adam.iterations, STEPS);
  tf.dispose(vars);
  adam.dispose();
  avg.dispose();
  assert.is(tf.memory().numTensors, before, `${backend}/${kernels}: tensors left behind by Adam or the average`);
  return { w, e, fused };
}

function maxDiff(a: Float32Array[], b: Float64Array[]): number {
  let d = 0;
  a.forEach((x, i) => x.forEach((y, k) => (d = Math.max(d, Math.abs(y - b[i]![k]!)))));
  return d;
}

test('Adam and the weight average: the native one-kernel step, tfjs ops on wasm and on cpu all equal a float64 loop to 2e-6', async () => {
  const lrs = [1e-3, 5e-4, 2e-3, 1e-4];
  const ref = reference(lrs, 0.5);
  for (const [backend, kernels] of [['wasm', 'native'], ['wasm', 'wasm'], ['cpu', undefined]] as const) {
    const got = await run(backend, kernels, lrs, 0.5);
    assert.is(got.fused, kernels === 'native', `${backend}/${kernels}: the fused kernel is used exactly with the native kernels`);
    const dw = maxDiff(got.w, ref.w);
    const de = maxDiff(got.e, ref.e);
    assert.ok(dw < 2e-6 && de < 2e-6, `${backend}/${kernels}: weights ${dw}, averages ${de}`);
  }
});

test('a NaN or infinite gradient anywhere makes the step propose nothing to commit, on both paths', async () => {
  for (const kernels of ['native', 'wasm'] as const) {
    await startBackendForTest('wasm', kernels);
    const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(seeded(size(s), 10 + i), s)));
    const adam = new ScheduledAdam();
    adam.setLearningRate(1e-3);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const grads = SHAPES.map((s, i) => {
        const g = seeded(size(s), 50 + i);
        if (i === 4) g[39999] = bad;
        return tf.tensor(g, s);
      });
      const p = adam.propose(vars, grads);
      assert.is((await p.finite.data())[0], 0, `${kernels}: ${bad}`);
      tf.dispose([...grads, ...p.weights, ...p.m, ...p.v, p.finite]);
    }
    assert.is(adam.iterations, 0);
    tf.dispose(vars);
    adam.dispose();
  }
});

test.run();
