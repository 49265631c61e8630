import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { KERNEL_SETS, onBackend, relError, seeded, sizeOf, startBackendForTest, type KernelSet } from '../helpers';
import type { ConvCase } from './conv-case';

// Float32 sums of a few hundred products: the wasm and cpu results may differ by rounding only.
const TOL = 1e-5;

type Case = ConvCase;

const convCases: Case[] = [
  { x: [2, 9, 11, 5], f: [3, 3, 5, 7], stride: 1, pad: 'same' },
  { x: [2, 9, 11, 5], f: [3, 3, 5, 7], stride: 2, pad: 'same' },
  { x: [1, 10, 8, 3], f: [3, 3, 3, 4], stride: 2, pad: 'valid' },
  { x: [1, 13, 7, 6], f: [3, 3, 6, 6], stride: 1, pad: 'valid' },
  { x: [2, 8, 8, 4], f: [4, 4, 4, 3], stride: 2, pad: 'same' }, // the conv2dTranspose shape of MIMO-UNet
  { x: [1, 7, 6, 3], f: [1, 1, 3, 5], stride: 1, pad: 'same' },
  { x: [1, 9, 9, 2], f: [3, 3, 2, 3], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] }, // PyTorch-style padding
  { x: [1, 6, 5, 2], f: [3, 3, 2, 2], stride: 1, pad: [[0, 0], [2, 0], [0, 3], [0, 0]] },
  // Narrowing convs take the other product order in the wasm kernel (dY transposed, not x).
  { x: [2, 6, 7, 8], f: [1, 1, 8, 3], stride: 1, pad: 'same' },
  { x: [1, 7, 9, 6], f: [3, 3, 6, 2], stride: 1, pad: 'same' },
  { x: [2, 8, 6, 5], f: [3, 3, 5, 3], stride: 1, pad: 'valid' },
];

const depthwiseCases: Case[] = [
  { x: [2, 9, 11, 4], f: [3, 3, 4, 1], stride: 1, pad: 'same' },
  { x: [2, 9, 11, 4], f: [3, 3, 4, 1], stride: 2, pad: 'same' },
  { x: [1, 10, 7, 3], f: [3, 3, 3, 2], stride: 1, pad: 'valid' },
  { x: [1, 11, 9, 3], f: [5, 5, 3, 1], stride: 2, pad: 'valid' },
];

// tfjs's cpu depthwise backprop kernels ignore `dilations` (tfjs refuses dilated depthwise gradients
// anyway), so dilated cases are checked against the naive loops below instead.
const dilatedDepthwiseCases: Case[] = [
  { x: [1, 12, 12, 2], f: [3, 3, 2, 1], stride: 1, pad: 'same', dilation: 2 },
  { x: [2, 11, 9, 2], f: [3, 3, 2, 2], stride: 1, pad: 'valid', dilation: 2 },
];

/** Naive depthwise backprop (both gradients) by definition: y[n,r,c,k·m+q] = Σ x[n, r·s+i·d−top, c·s+j·d−left, k]·w[i,j,k,q]. */
function naiveDepthwiseGrads(c: Case, xv: Float32Array, fv: Float32Array, dyv: Float32Array, dyShape: number[]) {
  const [n, h, w, ch] = c.x;
  const [kh, kw, , m] = c.f;
  const [, oh, ow] = dyShape as [number, number, number, number];
  const d = c.dilation ?? 1;
  const info = tf.backend_util.computeConv2DInfo(c.x, c.f, c.stride, d, c.pad, undefined, true);
  const dx = new Float64Array(xv.length);
  const dw = new Float64Array(fv.length);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < oh; r++)
      for (let col = 0; col < ow; col++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const xr = r * c.stride + i * d - info.padInfo.top;
            const xc = col * c.stride + j * d - info.padInfo.left;
            if (xr < 0 || xr >= h || xc < 0 || xc >= w) continue;
            for (let k = 0; k < ch; k++)
              for (let q = 0; q < m; q++) {
                const g = dyv[((b * oh + r) * ow + col) * ch * m + k * m + q]!;
                const xi = ((b * h + xr) * w + xc) * ch + k;
                const wi = ((i * kw + j) * ch + k) * m + q;
                dx[xi]! += g * fv[wi]!;
                dw[wi]! += g * xv[xi]!;
              }
          }
  return { dx: Float32Array.from(dx), dw: Float32Array.from(dw) };
}

function describe(c: Case): string {
  return `x${c.x.join('x')} f${c.f.join('x')} s${c.stride} ${typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad)}${c.dilation ? ` d${c.dilation}` : ''}`;
}

function outShape(c: Case, depthwise: boolean): number[] {
  const x = tf.zeros(c.x);
  const f = tf.zeros(c.f);
  const y = depthwise ? tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation ?? 1) : tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad);
  const s = y.shape;
  tf.dispose([x, f, y]);
  return s;
}

async function compare(kernels: KernelSet, kernel: string, c: Case, depthwise: boolean, which: 'input' | 'filter', naive = false): Promise<void> {
  await startBackendForTest('cpu');
  const dyShape = outShape(c, depthwise);
  const xv = seeded(sizeOf(c.x), 1);
  const fv = seeded(sizeOf(c.f), 2);
  const dyv = seeded(sizeOf(dyShape), 3);
  const attrs = {
    strides: [c.stride, c.stride],
    pad: c.pad,
    dataFormat: 'NHWC',
    dilations: [c.dilation ?? 1, c.dilation ?? 1],
    ...(which === 'input' ? { inputShape: c.x } : { filterShape: c.f }),
  };
  const run = () => {
    const dy = tf.tensor(dyv, dyShape);
    const inputs: tf.NamedTensorMap = which === 'input' ? { dy, filter: tf.tensor(fv, c.f) } : { x: tf.tensor(xv, c.x), dy };
    return tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor;
  };
  const ref = naive ? naiveDepthwiseGrads(c, xv, fv, dyv, dyShape)[which === 'input' ? 'dx' : 'dw'] : (await onBackend('cpu', run))[0];
  await startBackendForTest('wasm', kernels);
  const wasmBackend = tf.engine().findBackend('wasm')!;
  const idsBefore = wasmBackend.numDataIds();
  const [got] = await onBackend('wasm', run, kernels);
  assert.is(wasmBackend.numDataIds(), idsBefore, `${kernels} ${kernel} ${describe(c)}: backend buffers leaked`);
  const err = relError(got!, ref!);
  assert.ok(err < TOL, `${kernels} ${kernel} ${describe(c)}: relative error ${err.toExponential(2)} ≥ ${TOL}`);
}

test('Conv2DBackpropFilter on wasm (its kernels and the native ones) matches cpu', async () => {
  for (const kernels of KERNEL_SETS) for (const c of convCases) await compare(kernels, 'Conv2DBackpropFilter', c, false, 'filter');
});

test('Conv2DBackpropInput on wasm (its kernels and the native ones) matches cpu', async () => {
  for (const kernels of KERNEL_SETS) for (const c of convCases) await compare(kernels, 'Conv2DBackpropInput', c, false, 'input');
});

test('DepthwiseConv2dNativeBackpropInput on wasm (its kernels and the native ones) matches cpu', async () => {
  for (const kernels of KERNEL_SETS) {
    for (const c of depthwiseCases) await compare(kernels, 'DepthwiseConv2dNativeBackpropInput', c, true, 'input');
    for (const c of dilatedDepthwiseCases) await compare(kernels, 'DepthwiseConv2dNativeBackpropInput', c, true, 'input', true);
  }
});

test('DepthwiseConv2dNativeBackpropFilter on wasm (its kernels and the native ones) matches cpu', async () => {
  for (const kernels of KERNEL_SETS) {
    for (const c of depthwiseCases) await compare(kernels, 'DepthwiseConv2dNativeBackpropFilter', c, true, 'filter');
    for (const c of dilatedDepthwiseCases) await compare(kernels, 'DepthwiseConv2dNativeBackpropFilter', c, true, 'filter', true);
  }
});

test('tf.grad through conv2d, depthwise and conv2dTranspose agrees across backends, with no leaks', async () => {
  const x = seeded(2 * 10 * 9 * 4, 4);
  const w = seeded(3 * 3 * 4 * 6, 5);
  const d = seeded(3 * 3 * 6 * 1, 6);
  const t = seeded(4 * 4 * 3 * 6, 7); // conv2dTranspose filter: [kh, kw, outC, inC]
  const fn = () => {
    const loss = (xs: tf.Tensor4D, ws: tf.Tensor4D, ds: tf.Tensor4D, ts: tf.Tensor4D) => {
      const a = tf.relu(tf.conv2d(xs, ws, 2, 'same'));
      const b = tf.depthwiseConv2d(a, ds, 1, 'same');
      const up = tf.conv2dTranspose(b, ts, [b.shape[0], b.shape[1] * 2, b.shape[2] * 2, 3], 2, 'same');
      return tf.mean(tf.square(up));
    };
    const g = tf.grads(loss as (...a: tf.Tensor[]) => tf.Tensor);
    return g([tf.tensor4d(x, [2, 10, 9, 4]), tf.tensor4d(w, [3, 3, 4, 6]), tf.tensor4d(d, [3, 3, 6, 1]), tf.tensor4d(t, [4, 4, 3, 6])]);
  };
  const ref = await onBackend('cpu', fn);
  for (const kernels of KERNEL_SETS) {
    await startBackendForTest('wasm', kernels);
    const before = tf.memory().numTensors;
    const got = await onBackend('wasm', fn, kernels);
    assert.is(tf.memory().numTensors, before, `${kernels}: tensors leaked`);
    got.forEach((g, i) => {
      const err = relError(g, ref[i]!);
      assert.ok(err < TOL, `${kernels}: gradient ${i}: relative error ${err.toExponential(2)}`);
    });
  }
});

test('nearest-upsampling gradient is the 2×2 block sum of dy on cpu (fixed kernel) and wasm', async () => {
  const [n, h, w, c] = [3, 5, 6, 2];
  const dy = seeded(n * 4 * h * w * c, 11);
  const ref = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < 2 * h; y++)
      for (let x = 0; x < 2 * w; x++)
        for (let k = 0; k < c; k++) ref[((b * h + (y >> 1)) * w + (x >> 1)) * c + k]! += dy[((b * 2 * h + y) * 2 * w + x) * c + k]!;
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const halfPixel of [false, true]) {
      const [g] = await onBackend(backend, () =>
        tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [2 * h, 2 * w], false, halfPixel), tf.tensor(dy, [n, 2 * h, 2 * w, c]))))(tf.zeros([n, h, w, c])),
      );
      assert.ok(relError(g!, ref) < 1e-6, `${backend} halfPixel=${halfPixel}: ${relError(g!, ref)}`);
    }
  }
});

test.run();
