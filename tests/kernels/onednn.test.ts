import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { getKernel } from '@tensorflow/tfjs';
import { startWasm } from '../../src/backend';
import { registerOnednnKernels } from '../../src/kernels/index';
import { original } from '../../src/kernels/replacing';
import { buildNet, deblurLoss, imagePyramid, variantConfig } from '../../src';
import { CONVS, onBackend, relError, seeded, startBackendForTest } from '../helpers';

// The gradient kernels are checked in wasm-gradients.test.ts, for both kernel sets; here: the
// forward convolutions, the fallbacks, and how the backend reports and turns off oneDNN.
const TOL = 1e-5;

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: Pad;
  dilation?: number;
}

const convCases: Case[] = [
  { x: [2, 9, 11, 5], f: [3, 3, 5, 7], stride: 1, pad: 'same' },
  { x: [2, 9, 11, 5], f: [3, 3, 5, 7], stride: 2, pad: 'same' },
  { x: [1, 10, 8, 3], f: [3, 3, 3, 4], stride: 2, pad: 'valid' }, // tfjs's bottom pad exceeds what oneDNN takes
  { x: [1, 7, 6, 3], f: [1, 1, 3, 5], stride: 1, pad: 'same' },
  { x: [1, 9, 9, 2], f: [3, 3, 2, 3], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { x: [1, 6, 5, 2], f: [3, 3, 2, 2], stride: 1, pad: [[0, 0], [2, 0], [0, 3], [0, 0]] },
  { x: [1, 12, 12, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same', dilation: 2 },
];

const depthwiseCases: Case[] = [
  { x: [2, 9, 11, 4], f: [3, 3, 4, 1], stride: 1, pad: 'same' },
  { x: [2, 9, 11, 4], f: [3, 3, 4, 1], stride: 2, pad: 'same' },
  { x: [1, 10, 7, 3], f: [3, 3, 3, 2], stride: 1, pad: 'valid' }, // channel multiplier 2
  { x: [1, 12, 12, 2], f: [3, 3, 2, 1], stride: 1, pad: 'same', dilation: 2 },
];

const describe = (c: Case): string => `x${c.x.join('x')} f${c.f.join('x')} s${c.stride} ${JSON.stringify(c.pad)} d${c.dilation ?? 1}`;

/** Runs `fn` on cpu and on wasm with oneDNN's kernels, and compares (and checks wasm leaks nothing). */
async function againstCpu(what: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const ref = await onBackend('cpu', fn);
  await startBackendForTest('wasm', 'onednn');
  const ids = tf.engine().findBackend('wasm')!.numDataIds();
  const got = await onBackend('wasm', fn, 'onednn');
  assert.is(tf.engine().findBackend('wasm')!.numDataIds(), ids, `${what}: backend buffers leaked`);
  got.forEach((g, i) => {
    const err = relError(g, ref[i]!);
    assert.ok(err < TOL, `${what} (output ${i}): relative error ${err.toExponential(2)} ≥ ${TOL}`);
  });
}

const tensors = (c: Case) => ({ x: tf.tensor4d(seeded(c.x.reduce((a, b) => a * b), 1), c.x), f: tf.tensor4d(seeded(c.f.reduce((a, b) => a * b), 2), c.f) });

test('oneDNN replaces the wasm convolutions when its addon is built', async () => {
  await startBackendForTest('wasm', 'onednn');
  for (const name of ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D']) {
    assert.is.not(getKernel(name, 'wasm')!.kernelFunc, original(name, 'wasm').kernelFunc, name);
  }
  const report = await startWasm();
  assert.type(report, 'object');
  assert.match((report as { device: string }).device, /^XNNPACK, SIMD, 1 thread; convolutions on oneDNN \d+\.\d+\.\d+, \d+ threads?$/);
});

test('conv2d and depthwiseConv2d forward on oneDNN match cpu', async () => {
  for (const c of convCases) {
    await againstCpu(`conv2d ${describe(c)}`, () => {
      const { x, f } = tensors(c);
      return tf.conv2d(x, f, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
    });
  }
  for (const c of depthwiseCases) {
    await againstCpu(`depthwiseConv2d ${describe(c)}`, () => {
      const { x, f } = tensors(c);
      return tf.depthwiseConv2d(x, f, c.stride, c.pad as 'same', 'NHWC', c.dilation ?? 1);
    });
  }
});

test('fused forms: bias and ReLU on oneDNN, other activations fall back to wasm, all match cpu', async () => {
  const c = convCases[1]!;
  const d = depthwiseCases[2]!;
  for (const activation of ['linear', 'relu', 'elu', 'leakyrelu'] as const) {
    for (const withBias of [true, false]) {
      await againstCpu(`fused conv2d ${activation} bias=${withBias}`, () => {
        const { x, f } = tensors(c);
        const bias = withBias ? tf.tensor1d(seeded(c.f[3], 3)) : undefined;
        return tf.fused.conv2d({ x, filter: f, strides: c.stride, pad: c.pad, bias, activation, leakyreluAlpha: 0.1 });
      });
      await againstCpu(`fused depthwise ${activation} bias=${withBias}`, () => {
        const { x, f } = tensors(d);
        const bias = withBias ? tf.tensor1d(seeded(d.x[3] * d.f[3], 4)) : undefined;
        return tf.fused.depthwiseConv2d({ x, filter: f, strides: d.stride, pad: d.pad as 'valid', bias, activation, leakyreluAlpha: 0.1 });
      });
    }
  }
});

test('conv2dTranspose (a Conv2DBackpropInput) on oneDNN matches cpu', async () => {
  await againstCpu('conv2dTranspose 4×4 stride 2', () => {
    const b = tf.tensor4d(seeded(2 * 5 * 4 * 6, 5), [2, 5, 4, 6]);
    const t = tf.tensor4d(seeded(4 * 4 * 3 * 6, 6), [4, 4, 3, 6]);
    return tf.conv2dTranspose(b, t, [2, 10, 8, 3], 2, 'same');
  });
});

test("the full network's loss and every weight gradient agree between oneDNN and wasm's kernels", async () => {
  const net = { loss: [] as number[], grads: [] as Float32Array[][] };
  for (const convs of CONVS) {
    await startBackendForTest('wasm', convs);
    const model = buildNet(variantConfig('full'), { seed: 5 });
    const blurred = tf.tensor4d(seeded(2 * 32 * 32 * 3, 1).map((v) => (v + 1) / 2), [2, 32, 32, 3]);
    const targets = imagePyramid(tf.tensor4d(seeded(2 * 32 * 32 * 3, 2).map((v) => (v + 1) / 2), [2, 32, 32, 3]));
    const { value, grads } = tf.variableGrads(() => deblurLoss(model.apply(blurred, { training: true }) as tf.Tensor4D[], targets).total);
    net.loss.push((await value.data())[0]!);
    net.grads.push(await Promise.all(model.trainableWeights.map((w) => grads[(w.read() as tf.Variable).name]!.data() as Promise<Float32Array>)));
    tf.dispose([value, blurred, ...targets, ...Object.values(grads)]);
    model.dispose();
  }
  assert.ok(Math.abs(net.loss[0]! - net.loss[1]!) < 1e-5 * Math.abs(net.loss[0]!), `loss ${net.loss[0]} vs ${net.loss[1]}`);
  net.grads[0]!.forEach((g, i) => {
    // Float32 sums in another order through a deep network: agreement to rounding, scaled.
    const err = relError(net.grads[1]![i]!, g);
    assert.ok(err < 1e-4, `weight ${i}: relative error ${err.toExponential(2)}`);
  });
});

test('DEBLUR_ONEDNN=0 keeps every convolution on wasm, and the backend report says so', async () => {
  const saved = process.env['DEBLUR_ONEDNN'];
  process.env['DEBLUR_ONEDNN'] = '0';
  try {
    assert.is(registerOnednnKernels(), 'turned off by DEBLUR_ONEDNN=0');
    for (const name of ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D']) {
      assert.is(getKernel(name, 'wasm')!.kernelFunc, original(name, 'wasm').kernelFunc, `${name} is wasm's own again`);
    }
    const report = await startWasm();
    assert.match((report as { device: string }).device, /; convolutions on wasm: turned off by DEBLUR_ONEDNN=0$/);
  } finally {
    if (saved === undefined) delete process.env['DEBLUR_ONEDNN'];
    else process.env['DEBLUR_ONEDNN'] = saved;
    await startBackendForTest('wasm', 'onednn');
  }
});

test.run();
