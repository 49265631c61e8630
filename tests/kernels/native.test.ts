import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { getKernel, getKernelsForBackend, type KernelConfig } from '@tensorflow/tfjs';
import { startWasm } from '../../src/backend';
import { registerNativeKernels, wasmTrainingKernels } from '../../src/kernels/index';
import { broadcastLayout, outerLayout } from '../../src/kernels/support/broadcast';
import { poolBlocks, upscaleBlocks } from '../../src/kernels/support/blocks';
import { productLayout } from '../../src/kernels/ops/batch-mat-mul';
import { reductionLayout } from '../../src/kernels/support/reduction';
import { transposeLayout } from '../../src/kernels/ops/transpose';
import { GELU } from '../../src/kernels/ops/gelu';
import { LAYER_NORM } from '../../src/kernels/ops/layer-norm';
import { CONV2D_GELU } from '../../src/kernels/support/onednn-conv';
import { original } from '../../src/kernels/support/replacing';
import { buildNet, deblurLoss, imagePyramid, variantConfig } from '../../src';
import { KERNEL_SETS, onBackend, relError, seeded, sizeOf, startBackendForTest } from '../helpers';
import type { ConvCase } from './conv-case';

// The native addon's kernels (the native kernels of src/kernels/ops/). The convolution gradients are
// checked in wasm-gradients.test.ts, for both kernel sets; here: the forward convolutions, Sum and
// Mean, Concat and SplitV, the fallbacks, and how the backend reports and turns off the addon.
const TOL = 1e-5;

type Case = ConvCase;

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

/** Runs `fn` on cpu and on wasm with the native kernels, and compares (and checks wasm leaks nothing). */
async function againstCpu(what: string, fn: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<void> {
  const ref = await onBackend('cpu', fn);
  await startBackendForTest('wasm', 'native');
  const ids = tf.engine().findBackend('wasm')!.numDataIds();
  const got = await onBackend('wasm', fn, 'native');
  assert.is(tf.engine().findBackend('wasm')!.numDataIds(), ids, `${what}: backend buffers leaked`);
  assert.is(got.length, ref.length);
  got.forEach((g, i) => {
    const err = relError(g, ref[i]!);
    assert.ok(err < tol, `${what} (output ${i}): relative error ${err.toExponential(2)} ≥ ${tol}`);
  });
}

const tensors = (c: Case) => ({ x: tf.tensor4d(seeded(c.x.reduce((a, b) => a * b), 1), c.x), f: tf.tensor4d(seeded(c.f.reduce((a, b) => a * b), 2), c.f) });

const REPLACED = ['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'Sum', 'Mean', 'Add', 'Sub', 'Multiply', 'RealDiv', 'Square', 'Tanh', 'Transpose', 'StridedSlice', 'Slice', 'BatchMatMul', 'Tile', 'AddN', 'AvgPool', 'AvgPoolGrad', 'ResizeNearestNeighbor'];

test("the native kernels replace wasm's own when the addon is built, and the backend report says so", async () => {
  await startBackendForTest('wasm', 'native');
  for (const name of REPLACED) assert.is.not(getKernel(name, 'wasm')!.kernelFunc, original(name, 'wasm').kernelFunc, name);
  const report = await startWasm();
  assert.type(report, 'object');
  assert.match((report as { device: string }).device, /^XNNPACK, SIMD, 1 thread; native kernels \(oneDNN \d+\.\d+\.\d+\), (up to )?\d+ threads?(, one fewer per core other processes keep busy)?$/);
});

test('reductionLayout: reduced axes that sit together (size-1 axes between them allowed) as [A, R, B]', () => {
  assert.equal(reductionLayout([4, 8, 8, 16], [0, 1, 2]), { A: 1, R: 256, B: 16 });
  assert.equal(reductionLayout([4, 8, 8, 16], [1, 2]), { A: 4, R: 64, B: 16 });
  assert.equal(reductionLayout([4, 8, 8, 16], [3]), { A: 256, R: 16, B: 1 });
  assert.equal(reductionLayout([4, 1, 8, 16], [0, 2]), { A: 1, R: 32, B: 16 });
  assert.equal(reductionLayout([4, 8, 1, 16], [2]), { A: 512, R: 1, B: 1 });
  assert.is(reductionLayout([4, 8, 8, 16], [0, 2]), undefined);
  assert.is(reductionLayout([4, 8, 8, 16], [1, 3]), undefined);
});

test('Sum and Mean on the addon match cpu, over every kind of axis set, keepDims or not', async () => {
  const shapes: Array<[number[], number | number[]]> = [
    [[4, 16, 16, 8], [0, 1, 2]], // a bias gradient
    [[4, 16, 16, 8], [1, 2]], // the channel attention's pooling
    [[4, 16, 16, 8], 3],
    [[4, 16, 16, 8], [0, 2]], // not together: the wasm kernel
    [[3, 1, 5, 7], [0, 2]], // together across a size-1 axis
    [[70000], 0], // long enough to split over threads
    [[2, 3], []],
  ];
  for (const [shape, axis] of shapes) {
    for (const keepDims of [false, true]) {
      await againstCpu(`sum/mean ${JSON.stringify(shape)} axis ${JSON.stringify(axis)} keepDims ${keepDims}`, () => {
        const x = tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), 7), shape);
        return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
      });
    }
  }
  // Other dtypes go to the wasm kernel.
  await againstCpu('sum of int32', () => tf.sum(tf.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'), 0));
});

test('broadcastLayout: the broadcast operand as [P, 1, S] of an [P, Q, S] output', () => {
  assert.equal(broadcastLayout([4, 8, 8, 16], [4, 8, 8, 16], [4, 8, 8, 16]), { P: 1, Q: 1, S: 4096, aFull: true, bFull: true });
  assert.equal(broadcastLayout([4, 8, 8, 16], [4, 8, 8, 16], [16]), { P: 1, Q: 256, S: 16, aFull: true, bFull: false });
  assert.equal(broadcastLayout([4, 8, 8, 16], [4, 1, 1, 16], [4, 8, 8, 16]), { P: 4, Q: 64, S: 16, aFull: false, bFull: true });
  assert.equal(broadcastLayout([4, 8, 8, 16], [4, 8, 8, 16], []), { P: 1, Q: 4096, S: 1, aFull: true, bFull: false });
  assert.equal(broadcastLayout([4, 1, 8, 16], [4, 1, 8, 16], [1, 1, 1, 16]), { P: 1, Q: 32, S: 16, aFull: true, bFull: false });
  assert.is(broadcastLayout([4, 8, 8, 16], [4, 1, 8, 1], [4, 8, 8, 16]), undefined);
  assert.is(broadcastLayout([4, 8, 8, 16], [4, 1, 1, 16], [1, 8, 8, 1]), undefined);
});

test('Add, Sub, Multiply and RealDiv on the addon match cpu, either operand broadcast', async () => {
  const pairs: Array<[number[], number[]]> = [
    [[4, 16, 16, 8], [4, 16, 16, 8]],
    [[2, 130, 130, 9], [2, 130, 130, 9]], // equal and large: flat blocks on all cores, the last one partial
    [[4, 16, 16, 8], [8]], // a bias
    [[4, 1, 1, 8], [4, 16, 16, 8]], // the channel attention's scaling
    [[], [4, 16, 16, 8]], // a scalar on the left
    [[4, 16, 16, 8], []],
    [[2, 300, 300, 1], [2, 1, 1, 1]], // large, S = 1: the per-row scalar path on all cores
    [[1, 64, 64, 32], [1, 64, 64, 1]], // S = 1 with short rows (layer norm's x − mean): rows shared by the cores
    [[4, 16, 16, 8], [4, 1, 16, 1]], // broadcast axes apart: the wasm kernel
    [[4, 1, 1, 8], [1, 16, 16, 1]], // both broadcast: the wasm kernel
  ];
  for (const [sa, sb] of pairs) {
    await againstCpu(`binary ${JSON.stringify(sa)} ∘ ${JSON.stringify(sb)}`, () => {
      const a = tf.tensor(seeded(sa.reduce((p, d) => p * d, 1), 30), sa);
      const b = tf.tensor(seeded(sb.reduce((p, d) => p * d, 1), 31), sb).add(3); // away from 0 for the division
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b)];
    });
  }
  await againstCpu('int32 add: the wasm kernel', () => tf.add(tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([4], [1], 'int32')).toFloat());
});

test('outerLayout: each operand broadcast along the axes the other spans, one leading, one trailing', () => {
  assert.equal(outerLayout([1, 16, 16, 8], [1, 16, 16, 1], [1, 1, 1, 8]), { M: 256, N: 8, aAlongRows: true });
  assert.equal(outerLayout([1, 16, 16, 8], [8], [1, 16, 16, 1]), { M: 256, N: 8, aAlongRows: false });
  assert.equal(outerLayout([4, 5], [4, 1], [5]), { M: 4, N: 5, aAlongRows: true });
  assert.is(outerLayout([4, 5, 6], [4, 1, 6], [1, 5, 1]), undefined); // interleaved
  assert.is(outerLayout([4, 5], [4, 5], [1, 5]), undefined); // one-sided: broadcastLayout's
  assert.is(outerLayout([4, 5], [4, 1], [4, 5]), undefined);
});

test('Add, Sub, Multiply and RealDiv of outer-product shapes on the addon match cpu, either operand leading; Square too', async () => {
  const a = () => tf.tensor(seeded(40 * 36, 44), [1, 40, 36, 1]);
  const b = () => tf.tensor(seeded(24, 45).map((v) => v + 2), [1, 1, 1, 24]);
  for (const [name, f] of [['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div]] as const) {
    await againstCpu(`${name} [1, 40, 36, 1] ∘ [1, 1, 1, 24]`, () => f(a(), b()));
    await againstCpu(`${name} [24] ∘ [1, 40, 36, 1]`, () => f(b().reshape([24]), a().add(3)));
  }
  await againstCpu('square', () => tf.square(tf.tensor(seeded(2 * 130 * 130 * 8, 46), [2, 130, 130, 8])));
});

test('productLayout: op(a) · op(b) as [batch, m, k] · [batch, k, n], one side a single matrix allowed', () => {
  assert.equal(productLayout([6, 4], [4, 5], false, false), { batchA: 1, batchB: 1, m: 6, k: 4, n: 5, shape: [6, 5] });
  assert.equal(productLayout([4, 6], [5, 4], true, true), { batchA: 1, batchB: 1, m: 6, k: 4, n: 5, shape: [6, 5] });
  assert.equal(productLayout([2, 3, 6, 4], [4, 5], false, false), { batchA: 6, batchB: 1, m: 6, k: 4, n: 5, shape: [2, 3, 6, 5] });
  assert.equal(productLayout([1, 6, 4], [3, 4, 5], false, false), { batchA: 1, batchB: 3, m: 6, k: 4, n: 5, shape: [3, 6, 5] });
  assert.is(productLayout([2, 1, 6, 4], [1, 3, 4, 5], false, false), undefined); // both broadcast: the wasm kernel
  assert.is(productLayout([6, 4], [5, 4], false, false), undefined); // inner sizes differ
});

test('BatchMatMul on the addon matches cpu: plain, transposed either side, batched, one side broadcast', async () => {
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[1560, 128], [128, 128], false, false], // the FFT loss's product at 128²
    [[37, 19], [19, 23], false, false],
    [[19, 37], [19, 23], true, false],
    [[37, 19], [23, 19], false, true],
    [[19, 37], [23, 19], true, true],
    [[3, 7, 5], [3, 5, 4], false, false],
    [[2, 3, 7, 5], [5, 4], false, false],
    [[1, 7, 5], [3, 4, 5], false, true],
    [[2, 1, 7, 5], [1, 3, 5, 4], false, false], // both broadcast: the wasm kernel
  ];
  for (const [sa, sb, ta, tb] of cases) {
    await againstCpu(`matMul ${JSON.stringify(sa)} · ${JSON.stringify(sb)} t ${ta} ${tb}`, () =>
      tf.matMul(tf.tensor(seeded(sa.reduce((p, d) => p * d, 1), 50), sa), tf.tensor(seeded(sb.reduce((p, d) => p * d, 1), 51), sb), ta, tb),
    );
  }
});

test('Tile (broadcastTo) and AddN on the addon match cpu; other tiles fall back to wasm', async () => {
  await againstCpu('broadcastTo [4,1,1,8] → [4,16,16,8]', () => tf.broadcastTo(tf.tensor(seeded(32, 60), [4, 1, 1, 8]), [4, 16, 16, 8]));
  await againstCpu('broadcastTo large, S = 1', () => tf.broadcastTo(tf.tensor(seeded(3, 61), [3, 1]), [3, 70000]));
  await againstCpu('tile that repeats a full axis: the wasm kernel', () => tf.tile(tf.tensor(seeded(12, 62), [3, 4]), [2, 3]));
  for (const n of [1, 2, 4, 5]) {
    await againstCpu(`addN of ${n}`, () => tf.addN(Array.from({ length: n }, (_, i) => tf.tensor(seeded(2 * 130 * 130 * 8, 70 + i), [2, 130, 130, 8]))));
  }
});

test("the lean gradients of Mean and of a broadcast Multiply equal their formulas (dy / count; Σ dy · other), the latter in one native pass", async () => {
  const shape = [4, 16, 16, 8];
  const grads = () =>
    tf.tidy(() => {
      const x = tf.tensor(seeded(4 * 16 * 16 * 8, 80), shape);
      const s = tf.tensor(seeded(4 * 8, 81), [4, 1, 1, 8]);
      const w = tf.tensor(seeded(4 * 16 * 16 * 8, 82), shape);
      const [dMean] = tf.grads((a) => tf.sum(tf.mul(tf.mean(a, [1, 2], true), s)))([x]);
      const [dx, ds] = tf.grads((a, b) => tf.sum(tf.mul(tf.mul(a, b), w)))([x, s]);
      // The formulas, written out: d mean(x)/dx = s / 256 at every pixel; d/dx = w·s, d/ds = Σ_hw w·x.
      return [dMean!, tf.broadcastTo(tf.div(s, 256), shape), dx!, tf.mul(w, s), ds!, tf.sum(tf.mul(w, x), [1, 2], true)];
    });
  for (const backend of ['cpu', 'wasm'] as const) {
    const got = await onBackend(backend, grads, backend === 'wasm' ? 'native' : undefined);
    for (let i = 0; i < got.length; i += 2) {
      const err = relError(got[i]!, got[i + 1]!);
      assert.ok(err < TOL, `${backend}, gradient ${i / 2}: relative error ${err.toExponential(2)}`);
    }
  }
  await startBackendForTest('wasm', 'native');
  const profile = await tf.profile(() => {
    tf.dispose(grads());
  });
  assert.ok(profile.kernels.some((k) => k.name === 'DeblurMulSum'), 'the broadcast factor\'s gradient ran as DeblurMulSum');
});

test('poolBlocks and upscaleBlocks: pools whose windows tile the input, and whole-factor nearest upscaling, as blocks', () => {
  assert.equal(poolBlocks([2, 8, 8, 3], { filterSize: 2, strides: 2, pad: 'valid' }), { n: 2, h: 4, w: 4, c: 3, kh: 2, kw: 2, H: 8, W: 8 });
  assert.equal(poolBlocks([2, 9, 11, 5], { filterSize: 4, strides: 4, pad: 'valid' }), { n: 2, h: 2, w: 2, c: 5, kh: 4, kw: 4, H: 9, W: 11 }); // the last rows and columns in no block
  assert.equal(poolBlocks([1, 8, 6, 1], { filterSize: [2, 3], strides: [2, 3], pad: 'same' }), { n: 1, h: 4, w: 2, c: 1, kh: 2, kw: 3, H: 8, W: 6 }); // 'same' without padding
  assert.is(poolBlocks([1, 9, 9, 1], { filterSize: 2, strides: 2, pad: 'same' }), undefined); // padded
  assert.is(poolBlocks([1, 9, 9, 1], { filterSize: 3, strides: 2, pad: 'valid' }), undefined); // overlapping
  assert.equal(upscaleBlocks([2, 4, 5, 3], [8, 15], false, false), { n: 2, h: 4, w: 5, c: 3, kh: 2, kw: 3, H: 8, W: 15 });
  assert.is(upscaleBlocks([2, 4, 5, 3], [6, 10], false, false), undefined); // ×1.5
  assert.is(upscaleBlocks([2, 4, 5, 3], [8, 10], true, false), undefined);
  assert.is(upscaleBlocks([2, 4, 5, 3], [8, 10], false, true), undefined);
});

test('AvgPool, ResizeNearestNeighbor and both gradients on the addon match cpu; other pools and resizes fall back to wasm', async () => {
  const pools: Array<[number[], number | [number, number], 'valid' | 'same', number]> = [
    [[2, 8, 8, 3], 2, 'valid', 2], // the network's box ×½
    [[2, 9, 11, 5], 4, 'valid', 4], // ×¼, rows and columns past the last block
    [[1, 8, 6, 2], [2, 3], 'same', 0], // 'same' without padding, a non-square window
    [[2, 130, 130, 8], 2, 'valid', 2], // large: rows shared by the cores
    [[1, 9, 9, 2], 3, 'valid', 2], // overlapping windows: the wasm kernels
    [[1, 9, 9, 2], 2, 'same', 2], // padded: the wasm kernels
  ];
  for (const [shape, size, pad, stride] of pools) {
    await againstCpu(`avgPool ${JSON.stringify(shape)} window ${JSON.stringify(size)} stride ${stride || 'window'} ${pad}, and its gradient`, () => {
      const x = tf.tensor4d(seeded(sizeOf(shape), 90), shape as [number, number, number, number]);
      const strides = stride === 0 ? size : stride;
      const pooled = tf.avgPool(x, size, strides, pad);
      const w = tf.tensor(seeded(pooled.size, 91), pooled.shape);
      const [dx] = tf.grads((a) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, size, strides, pad), w)))([x]);
      return [pooled, dx!];
    });
  }
  const resizes: Array<[number[], [number, number], boolean, boolean]> = [
    [[2, 4, 5, 3], [8, 10], false, false], // the network's nearest ×2
    [[2, 4, 5, 3], [16, 15], false, false], // ×4 down, ×3 across
    [[2, 65, 65, 8], [130, 130], false, false], // large
    [[2, 4, 5, 3], [6, 10], false, false], // ×1.5: the wasm kernels
    [[2, 4, 5, 3], [8, 10], true, false], // aligned corners: the wasm kernels
    [[2, 4, 5, 3], [8, 10], false, true], // half-pixel centres: the wasm kernels
  ];
  for (const [shape, size, alignCorners, halfPixel] of resizes) {
    await againstCpu(`resizeNearestNeighbor ${JSON.stringify(shape)} → ${JSON.stringify(size)} align ${alignCorners} half-pixel ${halfPixel}, and its gradient`, () => {
      const x = tf.tensor4d(seeded(sizeOf(shape), 92), shape as [number, number, number, number]);
      const up = tf.image.resizeNearestNeighbor(x, size, alignCorners, halfPixel);
      const w = tf.tensor(seeded(up.size, 93), up.shape);
      const [dx] = tf.grads((a) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, alignCorners, halfPixel), w)))([x]);
      return [up, dx!];
    });
  }
});

test('Tanh on the addon matches cpu, small and large (the threaded path), saturating ends included', async () => {
  for (const shape of [[7], [2, 130, 130, 8]]) {
    await againstCpu(`tanh ${JSON.stringify(shape)}`, () => tf.tanh(tf.tensor(seeded(shape.reduce((p, d) => p * d, 1), 40), shape).mul(12)));
  }
});

/** GELU's tanh form in double precision. */
const geluOf = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

test('GELU (DeblurGelu) on the addon matches its formula in double precision, small and large (threaded), saturating ends included', async () => {
  for (const shape of [[7], [2, 130, 130, 8]]) {
    const x = seeded(shape.reduce((p, d) => p * d, 1), 41).map((v) => v * 9);
    const [got] = await onBackend('wasm', () => tf.engine().runKernel(GELU, { x: tf.tensor(x, shape) }) as tf.Tensor, 'native');
    const want = Float32Array.from(x, geluOf);
    const err = relError(got!, want);
    assert.ok(err < 1e-5, `gelu ${JSON.stringify(shape)}: relative error ${err.toExponential(2)}`);
  }
});

test("layer norm (DeblurLayerNorm) on the addon matches flax's formula computed row by row in double precision", async () => {
  for (const [shape, epsilon] of [[[3, 5], 1e-6], [[2, 40, 33, 32], 1e-6], [[1, 7, 9, 64], 0.5]] as Array<[number[], number]>) {
    const c = shape.at(-1)!;
    const n = shape.reduce((p, d) => p * d, 1);
    // Rows with their own offsets and scales, as activations have.
    const x = seeded(n, 42).map((v, i) => v * (1 + (Math.floor(i / c) % 5)) + (Math.floor(i / c) % 3) - 1);
    const gamma = seeded(c, 43);
    const beta = seeded(c, 44);
    const [got] = await onBackend('wasm', () => tf.engine().runKernel(LAYER_NORM, { x: tf.tensor(x, shape), gamma: tf.tensor(gamma, [1, 1, c]), beta: tf.tensor1d(beta) }, { epsilon }) as tf.Tensor, 'native');
    const want = new Float32Array(n);
    for (let r = 0; r < n / c; r++) {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < c; i++) {
        sum += x[r * c + i]!;
        squares += x[r * c + i]! ** 2;
      }
      const mean = sum / c;
      const scale = 1 / Math.sqrt(Math.max(0, squares / c - mean * mean) + epsilon);
      for (let i = 0; i < c; i++) want[r * c + i] = (x[r * c + i]! - mean) * scale * gamma[i]! + beta[i]!;
    }
    const err = relError(got!, want);
    assert.ok(err < 1e-5, `layer norm ${JSON.stringify(shape)}: relative error ${err.toExponential(2)}`);
  }
});

test('a convolution with bias and GELU as one oneDNN primitive (DeblurConv2DGelu) matches cpu: the fused convolution, then the formula', async () => {
  for (const c of [convCases[0]!, convCases[3]!, convCases[4]!]) {
    const { x, f } = tensors(c);
    const bias = seeded(c.f[3], 45);
    const [ref] = await onBackend('cpu', () => tf.fused.conv2d({ x, filter: f, strides: c.stride, pad: c.pad, bias: tf.tensor1d(bias) }));
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dilations: 1, activation: 'linear' };
    const [got] = await onBackend('wasm', () => tf.engine().runKernel(CONV2D_GELU, { x: tensors(c).x, filter: tensors(c).f, bias: tf.tensor1d(bias) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor, 'native');
    const err = relError(got!, ref!.map(geluOf));
    assert.ok(err < 1e-5, `conv gelu ${describe(c)}: relative error ${err.toExponential(2)}`);
  }
});

test('transposeLayout: size-1 axes dropped, axes that stay neighbours merged, identities to one axis', () => {
  // MAXIM's block partition: [1, 4, 64, 4, 64, 8] → [1, 4, 4, 64, 64, 8].
  assert.equal(transposeLayout([1, 4, 64, 4, 64, 8], [0, 1, 3, 2, 4, 5]), { shape: [4, 64, 4, 512], perm: [0, 2, 1, 3] });
  assert.equal(transposeLayout([2, 3, 5], [2, 0, 1]), { shape: [6, 5], perm: [1, 0] });
  assert.equal(transposeLayout([2, 3, 5, 7], [3, 2, 1, 0]), { shape: [2, 3, 5, 7], perm: [3, 2, 1, 0] });
  assert.equal(transposeLayout([2, 1, 5], [1, 0, 2]), { shape: [10], perm: [0] });
  assert.equal(transposeLayout([4, 6], [0, 1]), { shape: [24], perm: [0] });
  assert.equal(transposeLayout([4, 1, 5, 3], [3, 0, 1, 2]), { shape: [20, 3], perm: [1, 0] });
  // Neighbours in the output that were not neighbours in the input stay apart.
  assert.equal(transposeLayout([2, 3, 4], [0, 2, 1]), { shape: [2, 3, 4], perm: [0, 2, 1] });
});

test('Transpose on the addon matches cpu: 2 to 6 axes, size-1 axes, int32; small tensors and identities on wasm', async () => {
  const cases: Array<[number[], number[]]> = [
    [[1, 4, 64, 4, 64, 8], [0, 1, 3, 2, 4, 5]], // a block partition
    [[1, 4, 64, 4, 64, 8], [0, 2, 4, 1, 3, 5]], // a grid partition
    [[2, 130, 67], [2, 0, 1]],
    [[3, 40, 50, 7], [3, 1, 0, 2]],
    [[300, 200], [1, 0]],
    [[5, 6], [1, 0]], // small: wasm's
    [[64, 1, 300], [1, 0, 2]], // an identity in bytes: wasm's
  ];
  for (const [shape, perm] of cases) {
    await againstCpu(`transpose ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`, () => tf.transpose(tf.tensor(seeded(sizeOf(shape), 41), shape), perm), 1e-12);
  }
  await againstCpu('transpose of int32', () => tf.transpose(tf.tensor(Array.from({ length: 40 * 30 * 20 }, (_, i) => i - 7000), [40, 30, 20], 'int32'), [2, 0, 1]).toFloat(), 1e-12);
});

test('StridedSlice on the addon matches cpu: masks, ellipsis, new and shrunk axes, steps, int32; contiguous ones on wasm', async () => {
  const x = () => tf.tensor(seeded(2 * 40 * 36 * 24, 42), [2, 40, 36, 24]);
  const cases: Array<[string, () => tf.Tensor]> = [
    // MAXIM's channel split, x[..., :12] and x[..., 12:], written with an ellipsis and with masks.
    ['x[..., :12]', () => tf.stridedSlice(x(), [0, 0], [0, 12], [1, 1], 0, 0, 1)],
    ['x[:, :, :, 12:]', () => tf.stridedSlice(x(), [0, 0, 0, 12], [0, 0, 0, 0], [1, 1, 1, 1], 0b0111, 0b1111)],
    ['x[:, 1::2, 3:30:3, 5:20]', () => tf.stridedSlice(x(), [0, 1, 3, 5], [2, 40, 30, 20], [1, 2, 3, 1], 1, 2)],
    ['x[1, :, 4:, :] (a shrunk axis)', () => tf.stridedSlice(x(), [1, 0, 4, 0], [2, 40, 36, 24], [1, 1, 1, 1], 0, 0, 0, 0, 1)],
    ['x[:, None, ::2] (a new axis)', () => tf.stridedSlice(x(), [0, 0, 0], [2, 0, 40], [1, 1, 2], 0, 0, 0, 0b010)],
    ['x[1:] (contiguous: wasm)', () => tf.stridedSlice(x(), [1], [2], [1])],
    ['x[:, :, :, :3] of int32', () => tf.stridedSlice(x().mul(1000).toInt(), [0, 0, 0, 0], [2, 40, 36, 3], [1, 1, 1, 1]).toFloat()],
  ];
  for (const [what, fn] of cases) await againstCpu(what, fn, 1e-12);
});

test('Slice on the addon matches cpu: channel windows (native), windows in every axis, contiguous blocks and small ones (wasm)', async () => {
  const x = () => tf.tensor(seeded(2 * 40 * 36 * 24, 43), [2, 40, 36, 24]);
  const cases: Array<[number[], number[]]> = [
    [[0, 0, 0, 8], [2, 40, 36, 8]], // an MSRM branch
    [[1, 3, 5, 2], [1, 30, 30, 20]],
    [[1, 0, 0, 0], [1, 40, 36, 24]], // contiguous
    [[0, 0, 0, 0], [1, 2, 3, 4]], // small
  ];
  for (const [begin, size] of cases) await againstCpu(`slice at ${JSON.stringify(begin)} of ${JSON.stringify(size)}`, () => tf.slice(x(), begin, size), 1e-12);
  await againstCpu('slice of int32', () => tf.slice(x().mul(1000).toInt(), [0, 0, 0, 8], [2, 40, 36, 8]).toFloat(), 1e-12);
});

test('Concat and SplitV on the addon match cpu along every axis, for float32, int32 and bool, with empty parts', async () => {
  const a = [2, 3, 4, 5];
  for (const axis of [0, 1, 2, 3, -1]) {
    await againstCpu(`concat axis ${axis}`, () => {
      const k = axis < 0 ? a.length + axis : axis;
      const parts = [1, 3, 0, 2].map((size, i) => tf.tensor(seeded(a.reduce((p, d, j) => p * (j === k ? size : d), 1), 10 + i), a.map((d, j) => (j === k ? size : d))));
      return tf.concat(parts, axis);
    });
    await againstCpu(`split axis ${axis}`, () => {
      const x = tf.tensor(seeded(2 * 6 * 4 * 8, 20), [2, 6, 4, 8]);
      const size = [2, 6, 4, 8].at(axis)!;
      return tf.split(x, [1, 0, size - 1], axis);
    });
  }
  await againstCpu('concat and split of int32 and bool', () => {
    const i = tf.concat([tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor([[5], [6]], [2, 1], 'int32')], 1);
    const b = tf.concat([tf.tensor([[true], [false]], [2, 1], 'bool'), tf.tensor([[false, true], [true, true]], [2, 2], 'bool')], 1);
    return [i, b, ...tf.split(i, [2, 1], 1), ...tf.split(b, 3, 1)].map((t) => t.toFloat());
  });
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

test('fused forms: bias, ReLU and leaky ReLU on oneDNN, other activations fall back to wasm, all match cpu', async () => {
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

test("the full network's loss and every weight gradient agree between the native and the wasm kernels", async () => {
  const net = { loss: [] as number[], grads: [] as Float32Array[][] };
  for (const kernels of KERNEL_SETS) {
    await startBackendForTest('wasm', kernels);
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

test('DEBLUR_NATIVE=0 puts every wasm kernel back as it was before the native ones, found by walking them all (no list of names)', async () => {
  const funcs = (): Map<string, KernelConfig['kernelFunc']> => new Map(getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
  await startBackendForTest('wasm', 'wasm');
  const wasmOnly = funcs();
  const labWasm = new Set(wasmTrainingKernels().map((k) => k.kernelName));
  await startBackendForTest('wasm', 'native');
  const native = funcs();
  const replaced = [...native].filter(([name, f]) => wasmOnly.get(name) !== f).map(([name]) => name);
  for (const name of REPLACED) assert.ok(replaced.includes(name), `${name}: not replaced by a native kernel`);
  const saved = process.env['DEBLUR_NATIVE'];
  process.env['DEBLUR_NATIVE'] = '0';
  try {
    assert.is(registerNativeKernels(), 'turned off by DEBLUR_NATIVE=0');
    const after = funcs();
    assert.equal([...after.keys()].sort(), [...wasmOnly.keys()].sort(), 'kernels the backend lacks (the native Adam step) are gone again');
    for (const name of replaced) {
      // This lab's wasm kernels (Tile: ops/tile.ts) are made afresh; every other goes back to wasm's own.
      if (labWasm.has(name)) assert.is.not(after.get(name), native.get(name), `${name}: still the native kernel`);
      else assert.is(after.get(name), wasmOnly.get(name), `${name}: not wasm's own`);
    }
    const report = await startWasm();
    assert.match((report as { device: string }).device, /; no native kernels: turned off by DEBLUR_NATIVE=0$/);
  } finally {
    if (saved === undefined) delete process.env['DEBLUR_NATIVE'];
    else process.env['DEBLUR_NATIVE'] = saved;
    await startBackendForTest('wasm', 'native');
  }
});

test.run();
