import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { installLeanBackprop, uninstallLeanBackprop } from '../../src/kernels/index';
import { deblurLoss } from '../../src/loss';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { imagePyramid } from '../../src/pyramid';
import { relError, seeded, startBackendForTest } from '../helpers';

/** Loss gradients of a real (lite) network on a 2 × side² batch, and the engine's peak bytes for them. */
async function networkGradients(side: number): Promise<{ grads: Float32Array[]; peak: number; leaked: number }> {
  const model = buildNet(variantConfig('lite'), { seed: 3 });
  const x = tf.tensor4d(seeded(2 * side * side * 3, 5).map((v) => 0.5 + 0.4 * v), [2, side, side, 3]);
  const targets = imagePyramid(tf.tidy(() => tf.clipByValue(tf.add(x, 0.05), 0, 1)) as tf.Tensor4D);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const before = tf.memory().numTensors;
  let grads: Float32Array[] = [];
  const info = await tf.profile(async () => {
    const r = tf.variableGrads(() => deblurLoss(model.apply(x, { training: true }) as tf.Tensor4D[], targets).total, vars);
    grads = await Promise.all(vars.map(async (v) => (await r.grads[v.name]!.data()) as Float32Array));
    tf.dispose([r.value, ...Object.values(r.grads)]);
  });
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, ...targets]);
  model.dispose();
  return { grads, peak: info.peakBytes, leaked };
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`on ${backend}: the freeing backward pass gives tfjs's gradients, leaks nothing, and peaks lower`, async () => {
    await startBackendForTest(backend);
    const side = backend === 'cpu' ? 16 : 32; // plain-JS kernels are slow
    uninstallLeanBackprop();
    await networkGradients(side); // warm-up: the loss keeps its DFT matrices for later steps
    const plain = await networkGradients(side);
    installLeanBackprop();
    const lean = await networkGradients(side);
    assert.is(plain.grads.length, lean.grads.length);
    // Same kernels in the same order: only the freeing differs, so results are identical.
    lean.grads.forEach((g, i) => assert.ok(relError(g, plain.grads[i]!) === 0, `weight ${i}: gradients differ`));
    assert.is(lean.leaked, 0, 'tensors left behind');
    assert.is(plain.leaked, 0);
    assert.ok(lean.peak < 0.8 * plain.peak, `peak ${lean.peak} bytes is not well below tfjs's ${plain.peak}`);
  });
}

test('higher-order gradients still work (the tape is kept while an outer pass needs it), and a given dy is not freed', async () => {
  await startBackendForTest('cpu');
  installLeanBackprop();
  const x = tf.scalar(2);
  const d2 = tf.grad((v: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.pow(u, 3))(v))(x); // d²/dx² x³ = 6x
  assert.ok(Math.abs((await d2.data())[0]! - 12) < 1e-5);
  const dy = tf.tensor([1, 2, 3]);
  const g = tf.grad((u: tf.Tensor) => tf.mul(u, u))(tf.tensor([1, 1, 1]), dy);
  assert.equal(Array.from(await g.data()), [2, 4, 6]);
  assert.equal(Array.from(await dy.data()), [1, 2, 3], 'the caller’s dy is intact');
  tf.dispose([x, d2, dy, g]);
});

test('a node whose gradient returns the same tensor for two inputs (x + x) is counted right', async () => {
  await startBackendForTest('cpu');
  installLeanBackprop();
  const before = tf.memory().numTensors;
  const x = tf.tensor([1, 2]);
  const g = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.add(u, u), tf.add(u, u))))(x); // d/du (2u)² = 8u
  assert.equal(Array.from(await g.data()), [8, 16]);
  tf.dispose([x, g]);
  assert.is(tf.memory().numTensors, before);
});

test.run();
