import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { WASM_HEAP_MAX } from '../../src/backend';
import { deblurLoss } from '../../src/loss';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { imagePyramid } from '../../src/pyramid';
import { HEAP_FIXED_BYTES, planHeap, trainingBytesPerPixel } from '../../src/train/memory';
import { startBackendForTest } from '../helpers';

test('the 64² probe predicts the peak tensor bytes of a larger training step within 10%', async () => {
  await startBackendForTest('wasm');
  const model = buildNet(variantConfig('lite'), { seed: 1 });
  const perPixel = await trainingBytesPerPixel(model);
  const [batch, crop] = [2, 96];
  const x = tf.randomUniform([batch, crop, crop, 3]) as tf.Tensor4D;
  const targets = imagePyramid(x);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => deblurLoss(model.apply(x, { training: true }) as tf.Tensor4D[], targets).total, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const predicted = perPixel * batch * crop * crop;
  const ratio = predicted / info.peakBytes;
  assert.ok(ratio > 0.9 && ratio < 1.1, `predicted ${predicted} vs measured ${info.peakBytes} bytes (ratio ${ratio.toFixed(3)})`);
  tf.dispose([x, ...targets]);
  model.dispose();
});

test('planHeap: what fits is the largest batch and crop under the ceiling', () => {
  const perPixel = 27_000;
  const plan = planHeap(perPixel, 4, 256);
  assert.not.ok(plan.fits);
  assert.ok(planHeap(perPixel, plan.maxBatch, 256).fits && !planHeap(perPixel, plan.maxBatch + 1, 256).fits);
  assert.ok(planHeap(perPixel, 4, plan.maxCrop).fits && !planHeap(perPixel, 4, plan.maxCrop + 4).fits);
  assert.is(plan.maxCrop % 4, 0);
  assert.ok(planHeap(perPixel, 1, 64).bytes > HEAP_FIXED_BYTES && planHeap(perPixel, 1, 64).bytes < WASM_HEAP_MAX);
});

test.run();
