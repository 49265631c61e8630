import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { createRaster } from '../../src/data/raster';
import { VARIANTS } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { disposeProbes, Probe } from '../../src/model/probes';
import { channelAttentionAgainst, channelAttentionHeatmap, channelAttentionOver, channelAttentionSummary, CONSTANT, DECISIVE, famOverlay, famStrength, flatAndTexturedWindows } from '../../src/viz/block-attention';
import { seeded, seededImages, startBackendForTest } from '../helpers';

test.before(async () => {
  await startBackendForTest('cpu');
});

test('channelAttentionSummary: means, spreads and the decisive and constant shares of given weights (naive check)', async () => {
  // Four channels over three images: ch0 always shut, ch1 always open, ch2 varies, ch3 near the block's mean.
  const w = [
    [0.02, 0.97, 0.1, 0.5],
    [0.03, 0.98, 0.5, 0.52],
    [0.02, 0.97, 0.9, 0.5],
  ];
  const weights = tf.tensor2d(w);
  const s = await channelAttentionSummary({ module: 'em1_b1', stage: 'encoder', level: 1, block: 1, weights });
  weights.dispose();
  for (let ch = 0; ch < 4; ch++) {
    const col = w.map((r) => r[ch]!);
    const mean = col.reduce((a, b) => a + b, 0) / 3;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    assert.ok(Math.abs(s.mean[ch]! - mean) < 1e-6 && Math.abs(s.spread[ch]! - sd) < 1e-6, `channel ${ch}`);
  }
  const overall = s.mean.reduce((a, b) => a + b, 0) / 4;
  assert.is(s.decisive, s.mean.filter((m) => Math.abs(m - overall) > DECISIVE).length / 4);
  assert.is(s.decisive, 0.5, 'the shut and the open channel');
  assert.is(s.constant, s.spread.filter((d) => d < CONSTANT).length / 4);
  assert.is(s.constant, 0.75, 'all but the varying channel');
});

test('channelAttentionOver: 5 images 2 at a time equal one probe over all 5, without leaking; weights in (0, 1); charts build', async () => {
  const model = buildNet(VARIANTS.lite, { seed: 6 });
  const probe = new Probe(model);
  const { batch: x, images } = await seededImages(5, 8);
  const whole = probe.run(x);
  const expected = await Promise.all(whole.channelAttention.map((a) => channelAttentionSummary(a)));
  const fam = await famStrength(whole.fam[0]!.map, 1);
  const overlay = await famOverlay(images[1]!, whole.fam[1]!.map, 1);
  disposeProbes(whole);
  assert.equal([overlay.width, overlay.height], [32, 32], 'the level-3 map (8²) laid over the whole image');
  assert.ok(overlay.data.every((v) => v >= 0 && v <= 1));
  assert.equal([fam.width, fam.height], [16, 16], 'FAM of level 2 at half size');
  assert.ok(Math.max(...fam.data) === 1 && Math.min(...fam.data) >= 0, 'scaled to [0, 1]');
  const before = tf.memory().numTensors;
  const got = await channelAttentionOver(probe, images, { batch: 2 });
  assert.is(tf.memory().numTensors, before, 'no tensor left behind');
  assert.equal(got.map((s) => s.module), expected.map((s) => s.module));
  got.forEach((s, i) => {
    const e = expected[i]!;
    assert.is(s.images, 5);
    s.perImage.forEach((row, n) => row.forEach((v, ch) => assert.ok(Math.abs(v - e.perImage[n]![ch]!) < 1e-5, `${s.module} image ${n} channel ${ch}`)));
    assert.ok(s.perImage.flat().every((v) => v > 0 && v < 1), 'sigmoid weights');
  });
  const chart = await channelAttentionHeatmap(got[0]!);
  assert.ok(JSON.stringify(chart).includes('em1_b1'));
  const against = channelAttentionAgainst([0, 8], [got, got]);
  assert.ok(JSON.stringify(against).includes(got[0]!.module));
  x.dispose();
  model.dispose();
});

test('flatAndTexturedWindows: the flat windows come from the flat half, the textured from the noisy half', () => {
  const w = 64;
  const h = 32;
  const noise = seeded(w * h * 3, 3);
  const image = createRaster(w, h, Float32Array.from({ length: w * h * 3 }, (_, i) => (Math.floor(i / 3) % w < 32 ? 0.5 : 0.5 + 0.4 * noise[i]!)));
  const { flat, textured } = flatAndTexturedWindows([image], 16, 3);
  assert.is(flat.length, 3);
  assert.ok(flat.every((r) => r.width === 16 && r.data.every((v) => v === 0.5)), 'flat windows lie in the flat half');
  assert.ok(textured.every((r) => r.data.some((v) => v !== 0.5)), 'textured windows lie in the noisy half');
  assert.throws(() => flatAndTexturedWindows([image], 16, 20), /windows of 16² for 20 flat and 20 textured/);
});

test.run();
