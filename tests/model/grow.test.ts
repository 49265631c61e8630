import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { variantConfig, type NetConfig } from '../../src/model/config';
import { growInto } from '../../src/model/grow';
import { buildNet } from '../../src/model/net';
import { Rng } from '../../src/random';
import { rejectsWithUsage, relError, seeded, startBackendForTest } from '../helpers';

const image = (h: number, w: number, seed: number): tf.Tensor4D => tf.tensor4d(seeded(h * w * 3, seed).map((v) => (v + 1) / 2), [1, h, w, 3]);

/** A source network with every weight random, biases too (a freshly built one has zero biases, which would hide a wrong bias copy). */
function randomSource(cfg: NetConfig): tf.LayersModel {
  const model = buildNet(cfg, { seed: 3 });
  let k = 0;
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (!ws.length) continue;
    const fresh = ws.map((w) => tf.tensor(seeded(w.size, 100 + k++).map((v) => v * (w.rank === 1 ? 0.1 : 0.3)), w.shape));
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
  return model;
}

function outputs(model: tf.LayersModel, x: tf.Tensor4D): Float32Array[] {
  return tf.tidy(() => (model.predict(x) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
}

/** The grown network's outputs against the source's, on cpu and on wasm. */
async function grownMatches(from: NetConfig, to: NetConfig, backend: 'cpu' | 'wasm'): Promise<number> {
  await startBackendForTest(backend);
  const source = randomSource(from);
  const target = buildNet(to, { seed: 5 });
  growInto(source, from, target, to, Rng.seeded('grow-test'));
  const x = image(36, 44, 7);
  const want = outputs(source, x);
  const got = outputs(target, x);
  tf.dispose([x]);
  source.dispose();
  target.dispose();
  return Math.max(...want.map((w, i) => relError(got[i]!, w)));
}

const lite = variantConfig('lite');
const full = variantConfig('full');

for (const backend of ['cpu', 'wasm'] as const) {
  test(`lite (C 16, N 2) grown to full (C 32, N 8) computes the same S3, S2, S1 on ${backend}`, async () => {
    const err = await grownMatches(lite, full, backend);
    assert.ok(err < 2e-5, `relative error ${err}`);
  });
}

test('wider only, deeper only, and three times wider: the same function', async () => {
  const small = variantConfig('lite', { channels: 8, blocks: 1 });
  for (const to of [variantConfig('lite', { channels: 16, blocks: 1 }), variantConfig('lite', { channels: 8, blocks: 3 }), variantConfig('lite', { channels: 24, blocks: 2 })]) {
    const err = await grownMatches(small, to, 'cpu');
    assert.ok(err < 2e-5, `C ${to.channels} N ${to.blocks}: relative error ${err}`);
  }
});

test('the copies are not clones: a layer reading duplicated channels splits each weight in unequal shares', async () => {
  await startBackendForTest('cpu');
  const source = randomSource(lite);
  const target = buildNet(full, { seed: 5 });
  growInto(source, lite, target, full, Rng.seeded('grow-test'));
  // em1_b1_fuse reads 16 channels of 4 groups grown to 32: channels 0 and 1 both copy source channel 0.
  const grown = target.getLayer('em1_b1_fuse').getWeights()[0]!.arraySync() as number[][][][];
  const was = source.getLayer('em1_b1_fuse').getWeights()[0]!.arraySync() as number[][][][];
  const a = grown[0]![0]![0]![0]!;
  const b = grown[0]![0]![1]![0]!;
  assert.ok(Math.abs(a + b - was[0]![0]![0]![0]!) < 1e-6, 'the shares sum to the source weight');
  assert.ok(Math.abs(a - b) > 1e-4 * Math.abs(a + b), 'the shares differ');
  // A new block starts as the identity: its last 1×1 conv is zero.
  const fuse = target.getLayer('em1_b2_fuse').getWeights();
  assert.ok(fuse.every((w) => (w.dataSync() as Float32Array).every((v) => v === 0)), 'new block fuse is zero');
  source.dispose();
  target.dispose();
});

test('growing refuses what it cannot do, in one line', async () => {
  await startBackendForTest('cpu');
  const source = buildNet(lite, { seed: 1 });
  const grow = (to: NetConfig): Promise<void> => Promise.resolve().then(() => growInto(source, lite, buildNet(to), to, Rng.seeded(1)));
  await rejectsWithUsage(grow(variantConfig('lite', { channels: 8 })), /cannot narrow/);
  await rejectsWithUsage(grow(variantConfig('lite', { blocks: 3 })), /multiple of the source's/);
  await rejectsWithUsage(grow(variantConfig('mimo')), /keeps the design/);
  source.dispose();
});

test.run();
