import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { WeightAverage } from '../../src/train/ema';
import { legacyLedger, newSegment, processorOf, summarizeLedger, type LedgerSegment } from '../../src/train/ledger';
import { trainingAt } from '../../src/train/curve';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { seeded, startBackendForTest } from '../helpers';

test('the weight average follows avg ← avg + (1 − d)(w − avg), d = min(decay, (1 + n)/(10 + n)), like a plain loop', async () => {
  await startBackendForTest('cpu');
  const w = [tf.variable(tf.tensor(seeded(6, 1), [2, 3])), tf.variable(tf.tensor(seeded(4, 2), [4]))];
  const avg = WeightAverage.start(w, 0.9, 7);
  const naive = await Promise.all(w.map(async (v) => Float64Array.from(await v.data())));
  for (let n = 0; n < 30; n++) {
    w.forEach((v, i) => v.assign(tf.tensor(seeded(v.size, 100 + 10 * n + i), v.shape)));
    const d = Math.min(0.9, (1 + n) / (10 + n));
    for (const [i, v] of w.entries()) {
      const now = await v.data();
      naive[i] = naive[i]!.map((a, k) => a + (1 - d) * (now[k]! - a));
    }
    avg.update(w);
  }
  const got = await avg.export();
  got.forEach((g, i) => g.forEach((x, k) => assert.ok(Math.abs(x - naive[i]![k]!) < 1e-6, `weight ${i}[${k}]: ${x} vs ${naive[i]![k]}`)));
  assert.equal(avg.state, { decay: 0.9, since: 7, updates: 30 });
  // Restored from its export, it continues the same way.
  const again = WeightAverage.restore(w, got, avg.state);
  assert.equal(await again.export(), got);
  assert.throws(() => WeightAverage.start(w, 1, 0), /decay must be in \(0, 1\)/);
  tf.dispose([...w]);
  avg.dispose();
  again.dispose();
});

test('averagedModel is a separate network with the averaged weights; the trained one is untouched', async () => {
  await startBackendForTest('cpu');
  const model = buildNet(variantConfig('lite', { channels: 8, blocks: 1 }), { seed: 4 });
  const vars = model.trainableWeights.map((wt) => wt.read() as tf.Variable);
  const avg = WeightAverage.start(vars, 0.5, 0);
  const before = await Promise.all(model.getWeights().map((t) => t.data()));
  vars.forEach((v) => v.assign(tf.add(v, 1)));
  avg.update(vars); // first update: d = min(0.5, 1/10) = 0.1, so avg = 0.1 · old + 0.9 · new
  const copy = avg.averagedModel(model);
  const got = await Promise.all(copy.getWeights().map((t) => t.data()));
  got.forEach((g, i) => g.forEach((x, k) => assert.ok(Math.abs(x - (before[i]![k]! + 0.9)) < 1e-5)));
  const trained = await Promise.all(model.getWeights().map((t) => t.data()));
  trained.forEach((g, i) => g.forEach((x, k) => assert.ok(Math.abs(x - (before[i]![k]! + 1)) < 1e-6)));
  copy.dispose();
  avg.dispose();
  model.dispose();
});

const seg = (from: number, to: number, seconds: number, backend: string, device: string): LedgerSegment => ({ ...newSegment(from, backend, device), toStep: to, seconds });

test('ledger: a software WebGPU adapter is CPU work, a hardware one GPU work; summaries and the legacy entry', () => {
  assert.is(processorOf('webgpu', 'google vulkan llvmpipe (software)'), 'cpu');
  assert.is(processorOf('webgpu', 'nvidia nvidia-h200 NVIDIA: 580.159.04'), 'gpu');
  assert.is(processorOf('wasm', 'XNNPACK, SIMD, 1 thread; native kernels (oneDNN 2.6.3), 2 threads'), 'cpu');
  assert.is(processorOf('tensorflow', 'CUDA GPU 0'), 'gpu');
  const ledger = [seg(0, 100, 3600, 'wasm', 'XNNPACK'), seg(100, 1100, 120, 'webgpu', 'nvidia h200'), seg(1100, 1200, 1800, 'wasm', 'XNNPACK')];
  assert.equal(summarizeLedger(ledger), { steps: 1200, segments: 3, cpuHours: 1.5, gpuMinutes: 2 });
  assert.equal(legacyLedger({ step: 0, seconds: 0, backend: 'wasm' }), []);
  const old = legacyLedger({ step: 50, seconds: 99, backend: 'wasm', device: 'XNNPACK, SIMD, 1 thread' });
  assert.is(old.length, 1);
  assert.equal([old[0]!.fromStep, old[0]!.toStep, old[0]!.seconds, old[0]!.processor], [0, 50, 99, 'cpu']);
  assert.match(old[0]!.note!, /before the ledger was kept/);
});

test('trainingAt counts each logged step on the processor of its segment, up to the step asked', () => {
  const ledger = [seg(0, 2, 0, 'wasm', 'XNNPACK'), seg(2, 4, 0, 'webgpu', 'nvidia h200')];
  const rows = [1, 2, 3, 4].map((step) => ({ step, seconds: step * 60 }));
  assert.equal(trainingAt(rows, ledger, 3), { seconds: 360, cpuHours: 180 / 3600, gpuMinutes: 3 });
  assert.equal(trainingAt(rows, ledger, 4), { seconds: 600, cpuHours: 180 / 3600, gpuMinutes: 7 });
});

test.run();
