import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { dft2d, spectrumHW, spectrumL1 } from '../src/dft';
import { onBackend, relError, seeded, startBackendForTest } from './helpers';
import { naiveDft } from './reference';

// Sums of H·W float32 products of size ~1: rounding is ~1e-6 of the largest coefficient.
const TOL = 2e-5;

test('dft2d matches a naive float64 DFT (odd and even sizes, several channels)', async () => {
  for (const [h, w] of [[8, 8], [7, 12], [16, 5]] as const) {
    const b = 2;
    const c = 3;
    const xv = seeded(b * h * w * c, h * 100 + w);
    for (const backend of ['cpu', 'wasm'] as const) {
      const [re, im] = await onBackend(backend, () => {
        const s = spectrumHW(tf.tensor4d(xv, [b, h, w, c]));
        return [s.re, s.im];
      });
      for (let n = 0; n < b; n++)
        for (let ch = 0; ch < c; ch++) {
          const plane = new Float64Array(h * w);
          for (let i = 0; i < h * w; i++) plane[i] = xv[(n * h * w + i) * c + ch]!;
          const ref = naiveDft(plane, h, w);
          const off = (n * c + ch) * h * w;
          const er = relError(re!.subarray(off, off + h * w), Float32Array.from(ref.re));
          const ei = relError(im!.subarray(off, off + h * w), Float32Array.from(ref.im));
          assert.ok(er < TOL && ei < TOL, `${backend} ${h}×${w}: errors re ${er.toExponential(2)} im ${ei.toExponential(2)}`);
        }
    }
  }
});

test('dft2d matches tf.spectral.fft applied along both axes (cpu)', async () => {
  const [h, w] = [12, 10];
  const xv = seeded(h * w, 9);
  const [re, im, fre, fim] = await onBackend('cpu', () => {
    const x = tf.tensor4d(xv, [1, h, w, 1]);
    const s = spectrumHW(x);
    const plane = tf.complex(tf.reshape(x, [h, w]), tf.zeros([h, w]));
    const rowsDone = tf.spectral.fft(plane); // along W
    const full = tf.transpose(tf.spectral.fft(tf.transpose(rowsDone))); // along H
    return [s.re, s.im, tf.real(full), tf.imag(full)];
  });
  assert.ok(relError(re!, fre!) < TOL, `re ${relError(re!, fre!)}`);
  assert.ok(relError(im!, fim!) < TOL, `im ${relError(im!, fim!)}`);
});

test('dft2d is differentiable and leaves no tensors behind after the first call', async () => {
  await startBackendForTest('wasm');
  const x = tf.tensor4d(seeded(2 * 8 * 8 * 3, 3), [2, 8, 8, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(dft2d(t as tf.Tensor4D).re));
  tf.dispose(g(x)); // builds the cached basis
  const before = tf.memory().numTensors;
  const grad = g(x);
  // d/dx Σ_k Re X_k = Σ_{u,v} cos(2π(uy/H + vx/W)) = H·W at (0,0), else 0.
  const values = await grad.data();
  tf.dispose(grad);
  assert.is(tf.memory().numTensors, before);
  for (let i = 0; i < values.length; i++) {
    const pixel = Math.floor(i / 3) % 64;
    assert.ok(Math.abs(values[i]! - (pixel === 0 ? 64 : 0)) < 1e-3, `grad[${i}] = ${values[i]}`);
  }
  x.dispose();
});

test('spectrumL1 (half the spectrum, mirrored columns counted twice) equals Σ|Re| + |Im| over the whole naive spectrum', async () => {
  for (const [h, w] of [[8, 8], [7, 12], [16, 5], [6, 1], [1, 6]] as const) {
    const [b, c] = [2, 3];
    const xv = seeded(b * h * w * c, 7 * h + w);
    let want = 0;
    for (let n = 0; n < b; n++)
      for (let ch = 0; ch < c; ch++) {
        const plane = new Float64Array(h * w);
        for (let i = 0; i < h * w; i++) plane[i] = xv[(n * h * w + i) * c + ch]!;
        const ref = naiveDft(plane, h, w);
        for (let i = 0; i < h * w; i++) want += Math.abs(ref.re[i]!) + Math.abs(ref.im[i]!);
      }
    for (const backend of ['cpu', 'wasm'] as const) {
      const [got] = await onBackend(backend, () => spectrumL1(tf.tensor4d(xv, [b, h, w, c])));
      assert.ok(Math.abs(got![0]! - want) / want < 1e-5, `${backend} ${h}×${w}: ${got![0]} vs ${want}`);
    }
  }
});

test.run();
