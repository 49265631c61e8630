import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { effectiveReceptiveField, massRadius, supportBox } from '../../src/viz/erf';
import { buildNet } from '../../src/model/net';
import { VARIANTS } from '../../src/model/config';
import { rejectsWithUsage, seeded, startBackendForTest } from '../helpers';

test.before(() => startBackendForTest('wasm'));

/** k stacked 3×3 'same' convs with seeded weights: theoretical field (2k+1)². */
function stack(k: number, size: number, relu: boolean): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  let x: tf.SymbolicTensor = input;
  for (let i = 1; i <= k; i++) {
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: relu ? 'relu' : 'linear', name: `c${i}` });
    x = conv.apply(x) as tf.SymbolicTensor;
    const [kernel, bias] = conv.getWeights();
    conv.setWeights([tf.tensor(seeded(kernel!.size, 10 + i), kernel!.shape), tf.tensor(seeded(bias!.size, 20 + i), bias!.shape)]);
  }
  return tf.model({ inputs: input, outputs: x });
}

test('stacked 3×3 convs: the field fills exactly the (2k+1)² theoretical box around the centre', async () => {
  const images = tf.tensor4d(seeded(2 * 17 * 17 * 3, 1), [2, 17, 17, 3]);
  for (const k of [1, 2, 3]) {
    const model = stack(k, 17, false);
    const rf = await effectiveReceptiveField(model, `c${k}`, images);
    const box = await supportBox(rf.map, 1e-9);
    assert.equal(box, { top: 8 - k, left: 8 - k, height: 2 * k + 1, width: 2 * k + 1 }, `k = ${k}`);
    assert.ok(Math.abs((await rf.map.sum().data())[0]! - 1) < 1e-5, 'normalised to sum 1');
    rf.map.dispose();
    model.dispose();
  }
  images.dispose();
});

test('the field equals |∂ centre / ∂ input| by central finite differences (float64 reference)', async () => {
  const size = 9;
  const model = stack(2, size, true);
  const x = seeded(size * size * 3, 5);
  const images = tf.tensor4d(x, [1, size, size, 3]);
  const rf = await effectiveReceptiveField(model, 'c2', images);
  const ours = await rf.map.data();
  const centreSum = (values: Float32Array) =>
    tf.tidy(() => {
      const out = model.predict(tf.tensor4d(values, [1, size, size, 3])) as tf.Tensor4D;
      return tf.sum(tf.slice(out, [0, 4, 4, 0], [1, 1, 1, 4])).dataSync()[0]!;
    });
  const h = 1e-2;
  const fd = new Float64Array(size * size);
  for (let p = 0; p < size * size; p++)
    for (let c = 0; c < 3; c++) {
      const plus = Float32Array.from(x);
      const minus = Float32Array.from(x);
      plus[p * 3 + c]! += h;
      minus[p * 3 + c]! -= h;
      fd[p]! += Math.abs((centreSum(plus) - centreSum(minus)) / (2 * h));
    }
  const total = fd.reduce((a, b) => a + b, 0);
  let worst = 0;
  fd.forEach((v, i) => (worst = Math.max(worst, Math.abs(v / total - ours[i]!))));
  // ReLU kinks are not crossed by a 1e-2 step for these inputs; what is left is float32 rounding.
  assert.ok(worst < 2e-3, `max |Δ| ${worst}`);
  tf.dispose([images, rf.map]);
  model.dispose();
});

test('massRadius: a point mass has radius 0; a ring of radius 3 has radius 3; bad mass is refused', async () => {
  const point = tf.tidy(() => tf.oneHot(tf.tensor1d([12], 'int32'), 25).reshape([5, 5]).toFloat()) as tf.Tensor2D;
  assert.is(await massRadius(point, { y: 2, x: 2 }, 0.5), 0);
  const ring = new Float32Array(9 * 9);
  ring[4 * 9 + 1] = 0.5; // (4, 1): 3 px left of the centre (4, 4)
  ring[4 * 9 + 7] = 0.5;
  const m = tf.tensor2d(ring, [9, 9]);
  assert.is(await massRadius(m, { y: 4, x: 4 }, 0.9), 3);
  await rejectsWithUsage(massRadius(m, { y: 4, x: 4 }, 1.5), /mass must be in/);
  tf.dispose([point, m]);
});

test('on the network: an MSRM branch y_k at level 1 reaches exactly 2k + 5 px (head conv, depthwise conv, k convs)', async () => {
  const model = buildNet(VARIANTS.lite, { seed: 3, height: 32, width: 32 });
  const images = tf.tensor4d(seeded(32 * 32 * 3, 9).map((v) => 0.5 + 0.4 * v), [1, 32, 32, 3]);
  const before = tf.memory().numTensors;
  for (const k of [1, 2, 3, 4]) {
    const rf = await effectiveReceptiveField(model, `em1_b1_y${k}`, images);
    const box = await supportBox(rf.map, 0);
    // Dead ReLUs could only shrink the support; with seeded weights all paths are live.
    assert.is(box.width, 2 * k + 5, `y${k} width`);
    assert.is(box.height, 2 * k + 5, `y${k} height`);
    rf.map.dispose();
  }
  assert.is(tf.memory().numTensors, before, 'no tensors leaked');
  images.dispose();
  model.dispose();
});

test.run();
