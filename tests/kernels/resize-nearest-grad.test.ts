import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { onBackend, relError, seeded } from '../helpers';

/** The gradient of nearest-neighbour upsampling (what tfjs's upSampling2d records), on a backend. */
const grad = (h: number, w: number, oh: number, ow: number, align = false) => () => {
  const x = tf.tensor4d(seeded(2 * h * w * 3, h + w), [2, h, w, 3]);
  const dy = tf.tensor4d(seeded(2 * oh * ow * 3, oh * ow), [2, oh, ow, 3]);
  return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [oh, ow], align), dy)))(x);
};

test('ResizeNearestNeighborGrad on wasm equals the (fixed) cpu kernel: integer ×2 and ×4 as block sums, other scales by the fallback', async () => {
  for (const [h, w, oh, ow, align] of [[5, 7, 10, 14, false], [3, 4, 12, 16, false], [4, 4, 6, 6, false], [5, 7, 10, 14, true], [4, 6, 4, 6, false]] as const) {
    const [cpu] = await onBackend('cpu', grad(h, w, oh, ow, align));
    const [wasm] = await onBackend('wasm', grad(h, w, oh, ow, align));
    assert.ok(relError(wasm!, cpu!) < 1e-6, `${h}×${w} → ${oh}×${ow}${align ? ' aligned' : ''}: ${relError(wasm!, cpu!)}`);
  }
});

test.run();
