import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { convBiasAct } from '../../src/kernels/gradients/conv-bias-act';
import { CONV_BIAS_GRAD } from '../../src/kernels/ops/conv-bias-grad';
import { LabConv2D } from '../../src/model/conv-layer';
import { conv } from '../../src/model/layers';
import { loadModel, saveModel } from '../../src/model/io';
import { KERNEL_SETS, onBackend, relError, seeded, sizeOf, startBackendForTest } from '../helpers';

// The fused conv + bias + ReLU op (src/kernels/gradients/conv-bias-act.ts) against tfjs's own unfused ops
// and their gradients on the cpu backend: outputs and all three gradients, on cpu (the op's tfjs
// composite), wasm with this lab's wasm kernels and wasm with the native addon (one kernel).
// Float32 sums of a few hundred products: equal to rounding.
const TOL = 1e-5;

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: 1 | 2;
  pad: 'same' | 'valid';
}

const cases: Case[] = [
  { x: [2, 9, 11, 5], f: [3, 3, 5, 7], stride: 1, pad: 'same' },
  { x: [2, 9, 11, 5], f: [3, 3, 5, 7], stride: 2, pad: 'same' },
  { x: [2, 8, 8, 6], f: [1, 1, 6, 3], stride: 1, pad: 'same' }, // MSRM's pointwise split
  { x: [1, 13, 7, 6], f: [3, 3, 6, 6], stride: 1, pad: 'valid' },
  { x: [1, 10, 8, 3], f: [3, 3, 3, 4], stride: 2, pad: 'valid' }, // a pad oneDNN cannot take: wasm's kernels
];

const describe = (c: Case, act: string) => `${act} x${c.x.join('x')} f${c.f.join('x')} s${c.stride} ${c.pad}`;

/** Output and the gradients of Σ w·out with respect to x, filter and bias; `fused` picks the op or tfjs's unfused ops. */
function forwardAndGrads(c: Case, activation: 'relu' | 'linear', fused: boolean): tf.Tensor[] {
  const x = tf.tensor4d(seeded(sizeOf(c.x), 1), c.x);
  const f = tf.tensor4d(seeded(sizeOf(c.f), 2), c.f);
  const b = tf.tensor1d(seeded(c.f[3], 3));
  const run = (xi: tf.Tensor4D, fi: tf.Tensor4D, bi: tf.Tensor1D): tf.Tensor4D => {
    if (fused) return convBiasAct(xi, fi, bi, { strides: [c.stride, c.stride], pad: c.pad }, activation);
    const z = tf.add(tf.conv2d(xi, fi, c.stride, c.pad), bi) as tf.Tensor4D;
    return activation === 'relu' ? tf.relu(z) : z;
  };
  const out = run(x, f, b);
  const w = tf.tensor(seeded(out.size, 4), out.shape);
  const grads = tf.grads((xi, fi, bi) => tf.sum(tf.mul(run(xi as tf.Tensor4D, fi as tf.Tensor4D, bi as tf.Tensor1D), w)))([x, f, b]);
  return [out, ...grads];
}

test('convBiasAct: output and gradients equal tfjs unfused ops on every backend and kernel set, leaking nothing', async () => {
  for (const c of cases) {
    for (const act of ['relu', 'linear'] as const) {
      const ref = await onBackend('cpu', () => forwardAndGrads(c, act, false));
      const runs: Array<[string, () => Promise<Float32Array[]>]> = [
        ['cpu', () => onBackend('cpu', () => forwardAndGrads(c, act, true))],
        ...KERNEL_SETS.map((k): [string, () => Promise<Float32Array[]>] => [`wasm ${k}`, () => onBackend('wasm', () => forwardAndGrads(c, act, true), k)]),
      ];
      for (const [name, run] of runs) {
        const backend = name === 'cpu' ? 'cpu' : 'wasm';
        await startBackendForTest(backend, name === 'cpu' ? undefined : (name.slice(5) as 'wasm' | 'native'));
        const ids = tf.engine().findBackend(backend)!.numDataIds();
        const got = await run();
        assert.is(tf.engine().findBackend(backend)!.numDataIds(), ids, `${describe(c, act)} on ${name}: backend buffers leaked`);
        ['output', 'dx', 'dFilter', 'dBias'].forEach((what, i) => {
          const err = relError(got[i]!, ref[i]!);
          assert.ok(err < TOL, `${describe(c, act)} on ${name}, ${what}: relative error ${err.toExponential(2)}`);
        });
      }
    }
  }
});

test('convBiasAct: the wasm kernel is one DeblurConvBiasGrad call per backward step, and a NaN output passes NaN back', async () => {
  const c = cases[0]!;
  for (const k of KERNEL_SETS) {
    await startBackendForTest('wasm', k);
    const profile = await tf.profile(() => {
      tf.dispose(forwardAndGrads(c, 'relu', true));
    });
    const names = profile.kernels.map((p) => p.name);
    assert.is(names.filter((n) => n === CONV_BIAS_GRAD).length, 1, `${k}: ${names.join(', ')}`);
    for (const unfused of ['Relu', 'Step', 'Conv2D']) assert.not.ok(names.includes(unfused), `${k}: ${unfused} ran`);
    // The ReLU's mask: dy where y > 0, 0 where y ≤ 0, NaN where y is NaN (tfjs's step(NaN) is NaN).
    const db = (yValues: number[]) =>
      tf.tidy(() => {
        const x = tf.ones([1, 2, 2, 1]);
        const outs = tf.engine().runKernel(CONV_BIAS_GRAD, { x, filter: tf.ones([1, 1, 1, 1]), dy: tf.tensor4d([1, 2, 4, 8], [1, 2, 2, 1]), y: tf.tensor4d(yValues, [1, 2, 2, 1]) }, { strides: [1, 1], pad: 'same' } as never) as tf.Tensor[];
        return outs[2]!.dataSync()[0]!;
      });
    assert.is(db([5, 1, -1, 0]), 3, `${k}: masked bias gradient`);
    assert.ok(Number.isNaN(db([5, NaN, -1, 0])), `${k}: a NaN output must give a NaN gradient`);
  }
});

test("the lab's Conv2D layer: a saved network names tfjs's Conv2D and loads back as the lab's class with the same outputs", async () => {
  await startBackendForTest('cpu');
  const input = tf.input({ shape: [8, 8, 3] });
  const model = tf.model({ inputs: input, outputs: conv(conv(input, { filters: 4, kernel: 3, relu: true, name: 'a' }), { filters: 2, kernel: 1, name: 'b' }) });
  assert.ok(model.getLayer('a') instanceof LabConv2D);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-conv-'));
  try {
    await saveModel(model, dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: Array<{ class_name: string }> } } };
    assert.equal(json.modelTopology.config.layers.map((l) => l.class_name), ['InputLayer', 'Conv2D', 'Conv2D']);
    const loaded = await loadModel(dir);
    assert.ok(loaded.getLayer('a') instanceof LabConv2D);
    const x = tf.tensor4d(seeded(2 * 8 * 8 * 3, 9), [2, 8, 8, 3]);
    // The same weights through tfjs's own layers (a stock Conv2D): the reference output.
    const stock = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), tf.layers.conv2d({ filters: 2, kernelSize: 1, padding: 'same' })] });
    assert.not.ok(stock.layers[0] instanceof LabConv2D);
    stock.setWeights(model.getWeights());
    const ref = (stock.predict(x) as tf.Tensor).dataSync() as Float32Array;
    for (const m of [model, loaded]) assert.ok(relError((m.predict(x) as tf.Tensor).dataSync() as Float32Array, ref) < TOL);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
