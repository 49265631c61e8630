import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { deblurLoss, FFT_WEIGHT } from '../src/loss';
import { imagePyramid } from '../src/pyramid';
import { naiveDft } from './reference';
import { onBackend, seeded, startBackendForTest } from './helpers';

const SHAPES: [number, number, number, number][] = [
  [2, 4, 3, 3], // S3
  [2, 8, 6, 3], // S2
  [2, 16, 12, 3], // S1
];

/** The paper's loss in float64 by its definition (eq. 4–6), independent of src/. */
function naiveLoss(outs: Float64Array[], tgts: Float64Array[]): number {
  let content = 0;
  let fft = 0;
  SHAPES.forEach(([b, h, w, c], k) => {
    const o = outs[k]!;
    const t = tgts[k]!;
    let l1 = 0;
    for (let i = 0; i < o.length; i++) l1 += Math.abs(o[i]! - t[i]!);
    content += l1 / o.length;
    let f = 0;
    for (let n = 0; n < b; n++)
      for (let ch = 0; ch < c; ch++) {
        const po = new Float64Array(h * w);
        const pt = new Float64Array(h * w);
        for (let i = 0; i < h * w; i++) {
          po[i] = o[(n * h * w + i) * c + ch]!;
          pt[i] = t[(n * h * w + i) * c + ch]!;
        }
        const fo = naiveDft(po, h, w);
        const ft = naiveDft(pt, h, w);
        for (let i = 0; i < h * w; i++) f += Math.abs(fo.re[i]! - ft.re[i]!) + Math.abs(fo.im[i]! - ft.im[i]!);
      }
    fft += f / (2 * o.length);
  });
  return content + FFT_WEIGHT * fft;
}

const outs32 = SHAPES.map((s, k) => seeded(s.reduce((a, b) => a * b), 10 + k));
const tgts32 = SHAPES.map((s, k) => seeded(s.reduce((a, b) => a * b), 20 + k));

test('deblurLoss equals the paper loss computed naively in float64', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    const [total] = await onBackend(backend, () => deblurLoss(
      outs32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)),
      tgts32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)),
    ).total);
    const ref = naiveLoss(outs32.map((v) => Float64Array.from(v)), tgts32.map((v) => Float64Array.from(v)));
    assert.ok(Math.abs(total![0]! - ref) / ref < 1e-5, `${backend}: ${total![0]} vs ${ref}`);
  }
});

test('deblurLoss gradient matches central finite differences of the float64 loss', async () => {
  await startBackendForTest('wasm');
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
    deblurLoss([a, b, c] as tf.Tensor4D[], tgts32.map((v, k) => tf.tensor4d(v, SHAPES[k]!))).total,
  )(outs32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)));
  const g = await Promise.all(grads.map((t) => t.data()));
  tf.dispose(grads);
  const eps = 1e-6;
  const base = outs32.map((v) => Float64Array.from(v));
  const tg = tgts32.map((v) => Float64Array.from(v));
  let checked = 0;
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 12; j++) {
      const i = (j * 7919) % base[k]!.length;
      const plus = base.map((a) => a.slice());
      const minus = base.map((a) => a.slice());
      plus[k]![i]! += eps;
      minus[k]![i]! -= eps;
      const fd = (naiveLoss(plus, tg) - naiveLoss(minus, tg)) / (2 * eps);
      const ad = g[k]![i]!;
      // The loss is piecewise linear; away from kinks FD is exact up to float64 rounding (~1e-9).
      assert.ok(Math.abs(ad - fd) <= 1e-4 * Math.max(1e-3, Math.abs(fd)) + 1e-7, `scale ${k} index ${i}: autodiff ${ad} vs FD ${fd}`);
      checked++;
    }
  }
  assert.is(checked, 36);
});

test('loss steps leave the tensor count flat', async () => {
  await startBackendForTest('wasm');
  const outs = outs32.map((v, k) => tf.tensor4d(v, SHAPES[k]!));
  const tgts = tgts32.map((v, k) => tf.tensor4d(v, SHAPES[k]!));
  const step = () => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => deblurLoss([a, b, c] as tf.Tensor4D[], tgts).total)(outs));
  tf.dispose(step());
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(step());
  assert.is(tf.memory().numTensors, before);
  tf.dispose([...outs, ...tgts]);
});

test('imagePyramid is the 2×2 box mean, twice', async () => {
  const [h, w] = [8, 12];
  const xv = seeded(h * w * 3, 5);
  const [r3, r2, r1] = await onBackend('cpu', () => imagePyramid(tf.tensor4d(xv, [1, h, w, 3])));
  assert.equal(Array.from(r1!), Array.from(xv));
  const at = (v: Float32Array, ww: number, y: number, x: number, c: number) => v[(y * ww + x) * 3 + c]!;
  for (let y = 0; y < h / 2; y++)
    for (let x = 0; x < w / 2; x++)
      for (let c = 0; c < 3; c++) {
        const m = (at(xv, w, 2 * y, 2 * x, c) + at(xv, w, 2 * y + 1, 2 * x, c) + at(xv, w, 2 * y, 2 * x + 1, c) + at(xv, w, 2 * y + 1, 2 * x + 1, c)) / 4;
        assert.ok(Math.abs(at(r2!, w / 2, y, x, c) - m) < 1e-6);
      }
  assert.is(r3!.length, (h / 4) * (w / 4) * 3);
});

test.run();
