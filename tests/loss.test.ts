import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { deblurLoss, FFT_WEIGHT, LOG_LOSS_FLOOR, RELATIVE_LOSS_FLOOR } from '../src/loss';
import { imagePyramid } from '../src/pyramid';
import { naiveDft } from './reference';
import { onBackend, seeded, startBackendForTest } from './helpers';

const SHAPES: [number, number, number, number][] = [
  [2, 4, 3, 3], // S3
  [2, 8, 6, 3], // S2
  [2, 16, 12, 3], // S1
];

/** The paper's loss in float64 by its definition (eq. 4–6), independent of src/. */
function naiveLoss(outs: Float64Array[], tgts: Float64Array[], shapes = SHAPES): number {
  let content = 0;
  let fft = 0;
  shapes.forEach(([b, h, w, c], k) => {
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

/** The log-per-image objective by its definition: each image's paper loss alone, its log, their mean. */
function naiveLogPerImage(outs: Float64Array[], tgts: Float64Array[]): number {
  const batch = SHAPES[0]![0];
  let sum = 0;
  for (let n = 0; n < batch; n++) {
    const one = SHAPES.map(([, h, w, c]) => [1, h, w, c] as [number, number, number, number]);
    const image = (a: Float64Array[]): Float64Array[] => a.map((v) => v.slice(n * (v.length / batch), (n + 1) * (v.length / batch)));
    sum += Math.log(naiveLoss(image(outs), image(tgts), one) + LOG_LOSS_FLOOR);
  }
  return sum / batch;
}

test('the log-per-image objective is the mean of each image\'s log loss; the reported total stays the paper\'s', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    const [objective, total] = await onBackend(backend, () => {
      const parts = deblurLoss(outs32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)), tgts32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)), FFT_WEIGHT, 'log-per-image');
      return [parts.objective, parts.total];
    });
    const o64 = outs32.map((v) => Float64Array.from(v));
    const t64 = tgts32.map((v) => Float64Array.from(v));
    const ref = naiveLogPerImage(o64, t64);
    assert.ok(Math.abs(objective![0]! - ref) < 1e-5 * Math.abs(ref) + 1e-6, `${backend}: objective ${objective![0]} vs ${ref}`);
    assert.ok(Math.abs(total![0]! - naiveLoss(o64, t64)) / naiveLoss(o64, t64) < 1e-5, `${backend}: total ${total![0]}`);
  }
});

test('the log-per-image gradient matches finite differences, and weights a nearly sharp image up', async () => {
  await startBackendForTest('wasm');
  // Image 1 of the batch nearly reproduces its target: its share of the paper's gradient is small, of the log form's large.
  const near = outs32.map((v, k) => {
    const t = tgts32[k]!;
    const half = v.length / 2;
    return Float32Array.from(v, (x, i) => (i < half ? x : t[i]! + 0.01 * (x - t[i]!)));
  });
  const gradsOf = async (form: 'paper' | 'log-per-image'): Promise<Float32Array[]> => {
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      deblurLoss([a, b, c] as tf.Tensor4D[], tgts32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)), FFT_WEIGHT, form).objective,
    )(near.map((v, k) => tf.tensor4d(v, SHAPES[k]!)));
    const g = (await Promise.all(grads.map((t) => t.data()))) as Float32Array[];
    tf.dispose(grads);
    return g;
  };
  const g = await gradsOf('log-per-image');
  const base = near.map((v) => Float64Array.from(v));
  const tg = tgts32.map((v) => Float64Array.from(v));
  const eps = 1e-7;
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 8; j++) {
      const i = (j * 7919) % base[k]!.length;
      const plus = base.map((a) => a.slice());
      const minus = base.map((a) => a.slice());
      plus[k]![i]! += eps;
      minus[k]![i]! -= eps;
      const fd = (naiveLogPerImage(plus, tg) - naiveLogPerImage(minus, tg)) / (2 * eps);
      assert.ok(Math.abs(g[k]![i]! - fd) <= 1e-3 * Math.abs(fd) + 1e-5, `scale ${k} index ${i}: autodiff ${g[k]![i]} vs FD ${fd}`);
    }
  }
  const share = (gs: Float32Array[]): number => {
    let first = 0;
    let second = 0;
    for (const v of gs) v.forEach((x, i) => (i < v.length / 2 ? (first += Math.abs(x)) : (second += Math.abs(x))));
    return second / (first + second);
  };
  const paper = share(await gradsOf('paper'));
  const log = share(g);
  // L1's gradient is a sign per pixel: the paper's form pushes every image alike, however small its error.
  assert.ok(paper > 0.4 && paper < 0.6 && log > 0.9, `the nearly sharp image's share of the gradient: log-per-image ${log.toFixed(3)}, paper ${paper.toFixed(3)}`);
});

/** One image of the batch (every scale), for the per-image references. */
function imageOf(a: Float64Array[], n: number): Float64Array[] {
  const batch = SHAPES[0]![0];
  return a.map((v) => v.slice(n * (v.length / batch), (n + 1) * (v.length / batch)));
}
const ONE = SHAPES.map(([, h, w, c]) => [1, h, w, c] as [number, number, number, number]);

test('the relative objective is the mean of each image\'s loss over its input\'s own, and weights an image the input nearly matches up', async () => {
  // Image 0's input is far from its target, image 1's nearly right: the same output error costs image 1 far more.
  const ins32 = tgts32.map((t, k) => Float32Array.from(t, (x, i) => x + (i < t.length / 2 ? 0.5 : 0.001) * (outs32[k]![i]! - x)));
  for (const backend of ['cpu', 'wasm'] as const) {
    const [objective, gradOut] = await onBackend(backend, () => {
      const tgts = tgts32.map((v, k) => tf.tensor4d(v, SHAPES[k]!));
      const ins = ins32.map((v, k) => tf.tensor4d(v, SHAPES[k]!));
      const outs = outs32.map((v, k) => tf.tensor4d(v, SHAPES[k]!));
      const objective = deblurLoss(outs, tgts, FFT_WEIGHT, 'relative', ins).objective;
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => deblurLoss([a, b, c] as tf.Tensor4D[], tgts, FFT_WEIGHT, 'relative', ins).objective)(outs);
      return [objective, g[2]!];
    });
    const o64 = outs32.map((v) => Float64Array.from(v));
    const t64 = tgts32.map((v) => Float64Array.from(v));
    const i64 = ins32.map((v) => Float64Array.from(v));
    const weights = [0, 1].map((n) => 1 / (naiveLoss(imageOf(i64, n), imageOf(t64, n), ONE) + RELATIVE_LOSS_FLOOR));
    const ref = [0, 1].reduce((sum, n) => sum + weights[n]! * naiveLoss(imageOf(o64, n), imageOf(t64, n), ONE), 0) / 2;
    assert.ok(Math.abs(objective![0]! - ref) < 1e-5 * Math.abs(ref), `${backend}: objective ${objective![0]} vs ${ref}`);
    // The gradient at full scale is each image's own times its fixed weight: compare the two halves' sizes.
    const half = gradOut!.length / 2;
    const size = (from: number) => gradOut!.slice(from, from + half).reduce((a, x) => a + Math.abs(x), 0);
    const ratio = size(half) / size(0);
    assert.ok(weights[1]! / weights[0]! > 2 && Math.abs(ratio / (weights[1]! / weights[0]!) - 1) < 0.05, `${backend}: gradient ratio ${ratio} vs weights' ${weights[1]! / weights[0]!}`);
  }
  assert.throws(() => deblurLoss(outs32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)), tgts32.map((v, k) => tf.tensor4d(v, SHAPES[k]!)), FFT_WEIGHT, 'relative'), /needs the blurred inputs/);
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
