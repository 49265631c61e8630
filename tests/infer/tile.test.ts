import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { restore } from '../../src/infer/restore';
import { imagePyramid } from '../../src/pyramid';
import { blendRamp, DEFAULT_TILING, restoreTiled, tileStarts } from '../../src/infer/tile';
import { AUTO_TILE_PIXELS, deblurImage, labAutoTiling, NATIVE_AUTO_TILE_PIXELS, tilesFor } from '../../src/infer/deblur';
import { restorationKey } from '../../src/infer/restoration-cache';
import type { PeerNetwork } from '../../src/infer/restore';
import type { Raster } from '../../src/data/raster';
import { MAXIM_AUTO_TILING } from '../../src/peers/maxim';
import { seeded, startBackendForTest } from '../helpers';

/** A smooth test picture with edges (not noise, which no network output resembles). */
function picture(h: number, w: number): tf.Tensor4D {
  const noise = seeded(h * w * 3, 9);
  const data = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * w + x) * 3 + c;
        data[i] = 0.5 + 0.3 * Math.sin(x / (7 + c)) * Math.cos(y / 11) + (x > w / 2 ? 0.1 : 0) + 0.03 * noise[i]!;
      }
    }
  }
  return tf.tensor4d(data, [1, h, w, 3]);
}

async function stats(a: tf.Tensor, b: tf.Tensor): Promise<{ max: number; psnr: number }> {
  const [max, mse] = await Promise.all(tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))), tf.mean(tf.square(tf.sub(a, b)))]).map(async (t) => {
    const v = (await t.data())[0]!;
    t.dispose();
    return v;
  }));
  return { max: max!, psnr: 10 * Math.log10(1 / mse!) };
}

test('tiles cover every pixel, start on the 4-pixel grid, and their blend weights are positive', () => {
  assert.equal(tileStarts(256, 128, 32), [0, 96, 128]);
  assert.equal(tileStarts(100, 128, 32), [0]);
  for (const [n, tile, overlap] of [[1280, 512, 64], [720, 512, 64], [252, 96, 32], [64, 16, 4]] as const) {
    const starts = tileStarts(n, tile, overlap);
    assert.ok(starts.every((s) => s % 4 === 0 && s + tile <= n), `${starts}`);
    for (const f of [1, 2, 4]) {
      const sum = new Float32Array(n / f);
      for (const s of starts) blendRamp(s, tile, n, overlap, f).forEach((w, i) => (sum[s / f + i]! += w));
      assert.ok(sum.every((w) => w > 0), `uncovered pixel at n=${n} scale 1/${f}`);
    }
  }
});

test('with a zero residual the tiled output is exactly the input pyramid: the merge itself adds no error', async () => {
  await startBackendForTest('wasm');
  const model = buildNet(variantConfig('lite'), { seed: 2 });
  model.setWeights(model.getWeights().map((w) => tf.zerosLike(w)));
  const img = picture(96, 136);
  const r = await restoreTiled(model, img, { tile: 48, overlap: 16 });
  const [p3, p2, p1] = imagePyramid(img);
  for (const [got, want] of [[r.s1, p1], [r.s2, p2], [r.s3, p3]] as const) {
    assert.equal(got.shape, want.shape);
    assert.ok((await stats(got, want)).max < 1e-6);
  }
  tf.dispose([img, p1, p2, p3, r.s1, r.s2, r.s3]);
  model.dispose();
});

test('tiled = untiled within tolerance (256×256 and an odd 250×190, 128² tiles overlapping 32)', async () => {
  await startBackendForTest('wasm');
  const model = buildNet(variantConfig('lite'), { seed: 1 });
  for (const [h, w] of [[256, 256], [190, 250]] as const) {
    const img = picture(h, w);
    const whole = restore(model, img);
    const tiled = await restoreTiled(model, img, { tile: 128, overlap: 32 });
    assert.equal(tiled.s1.shape, [1, h, w, 3]);
    assert.equal(tiled.s2.shape, whole.s2.shape);
    assert.equal(tiled.s3.shape, whole.s3.shape);
    // Not exact: channel attention and DFFM pool over the whole input they see. The bound at full
    // size is 2.5 eight-bit levels; scripts/tiling-error.ts measures the real gap (at most 0.0041
    // for the shipped weights on a sample photo at these tile sizes).
    const s1 = await stats(tiled.s1, whole.s1);
    assert.ok(s1.max < 0.01 && s1.psnr > 55, `S1: max |Δ| ${s1.max}, PSNR ${s1.psnr.toFixed(1)} dB`);
    const s3 = await stats(tiled.s3, whole.s3);
    assert.ok(s3.max < 0.05 && s3.psnr > 45, `S3: max |Δ| ${s3.max}, PSNR ${s3.psnr.toFixed(1)} dB`);
    // And the network does something, so agreement is not trivial.
    assert.ok((await stats(whole.s1, img)).max > 0.01);
    tf.dispose([img, whole.s1, whole.s2, whole.s3, tiled.s1, tiled.s2, tiled.s3]);
  }
  model.dispose();
});

test("'auto' is each network's own: the lab's 512² tiles above a 1280×720 frame with the native kernels (512×768 elsewhere), a peer's where it says (MAXIM: 768²); the cache key names the tiles 'auto' chose", async () => {
  await startBackendForTest('cpu');
  assert.is(labAutoTiling().wholeUpTo, AUTO_TILE_PIXELS);
  assert.equal(tilesFor('auto', 720, 1280), DEFAULT_TILING);
  assert.is(tilesFor('auto', 512, 768), undefined);
  await startBackendForTest('wasm', 'native');
  assert.is(labAutoTiling().wholeUpTo, NATIVE_AUTO_TILE_PIXELS);
  assert.is(tilesFor('auto', 720, 1280), undefined);
  assert.equal(tilesFor('auto', 724, 1280), DEFAULT_TILING);
  assert.equal(tilesFor('auto', 1080, 1920), DEFAULT_TILING);
  assert.equal(tilesFor('auto', 720, 1280, MAXIM_AUTO_TILING), { tile: 768, overlap: 64 });
  assert.is(tilesFor('auto', 768, 768, MAXIM_AUTO_TILING), undefined);
  assert.is(tilesFor('none', 4000, 4000), undefined);
  assert.equal(tilesFor({ tile: 96, overlap: 8 }, 10, 10), { tile: 96, overlap: 8 });
  // A peer with its own 'auto': a 64 × 80 image in its 32² tiles, each tile restored by it.
  let calls = 0;
  const peer: PeerNetwork = { peer: 'halves', restoreFull: (x) => (calls++, tf.mul(x, 0.5)), dispose: () => undefined, autoTiling: { wholeUpTo: 32 * 32, tiles: { tile: 32, overlap: 8 } } };
  const img = picture(64, 80);
  const r = await deblurImage(peer, img, 'auto');
  assert.is(r.tiles, 9);
  assert.is(calls, 9);
  tf.dispose([img, r.s1, r.s2, r.s3]);
  // Cache keys: a whole image's is as it always was (the committed restorations keep theirs); a
  // tiled one's depends on the tiles 'auto' chose.
  const small: Raster = { width: 4, height: 4, data: new Float32Array(48) };
  const frame: Raster = { width: 1280, height: 720, data: new Float32Array(1280 * 720 * 3) };
  assert.is(restorationKey('n', 'auto', small, MAXIM_AUTO_TILING), restorationKey('n', 'auto', small));
  assert.is.not(restorationKey('n', 'auto', frame, MAXIM_AUTO_TILING), restorationKey('n', 'auto', frame));
  assert.is(restorationKey('n', { tile: 512, overlap: 64 }, frame, MAXIM_AUTO_TILING), restorationKey('n', { tile: 512, overlap: 64 }, frame));
});

test('deblurImage: whole below the auto threshold, tiles above it or when asked', async () => {
  await startBackendForTest('wasm');
  const model = buildNet(variantConfig('lite'), { seed: 1 });
  const img = picture(64, 80);
  const auto = await deblurImage(model, img, 'auto');
  assert.is(auto.tiles, 1);
  const tiled = await deblurImage(model, img, { tile: 32, overlap: 8 });
  assert.is(tiled.tiles, 3 * 3);
  assert.equal(tiled.s1.shape, [1, 64, 80, 3]);
  tf.dispose([img, auto.s1, auto.s2, auto.s3, tiled.s1, tiled.s2, tiled.s3]);
  model.dispose();
});

test.run();
