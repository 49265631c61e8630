import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { buildNet, deblurLoss, imagePyramid, variantConfig } from '../../src';
import { seeded, startBackendForTest } from '../helpers';

test('a full training step (forward, loss, backward, Adam) on wasm keeps the tensor count flat and lowers the loss', async () => {
  await startBackendForTest('wasm');
  const model = buildNet(variantConfig('lite'), { seed: 3 });
  const optimizer = tf.train.adam(1e-3);
  const blurred = tf.tensor4d(seeded(2 * 32 * 32 * 3, 1).map((v) => (v + 1) / 2), [2, 32, 32, 3]);
  const targets = imagePyramid(tf.tensor4d(seeded(2 * 32 * 32 * 3, 2).map((v) => (v + 1) / 2), [2, 32, 32, 3]));
  const step = () => tf.tidy(() => optimizer.minimize(() => deblurLoss(model.apply(blurred, { training: true }) as tf.Tensor4D[], targets).total, true)!);
  const first = step(); // creates Adam's slots and the cached DFT bases
  const firstLoss = (await first.data())[0]!;
  first.dispose();
  const before = tf.memory().numTensors;
  let last = firstLoss;
  for (let i = 0; i < 5; i++) {
    const l = step();
    last = (await l.data())[0]!;
    l.dispose();
    assert.is(tf.memory().numTensors, before, `step ${i + 2}: tensor count changed`);
  }
  assert.ok(last < firstLoss, `loss did not fall on one repeated batch: ${firstLoss} → ${last}`);
  tf.dispose([blurred, ...targets]);
  optimizer.dispose();
  model.dispose();
});

test.run();
