import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPairsFolder } from '../../src/data/pairs';
import { readRaster } from '../../src/data/image';
import { quantize8, tensorToRaster } from '../../src/data/raster';
import { evaluate } from '../../src/eval/evaluate';
import { psnr, ssim } from '../../src/metrics';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { restore } from '../../src/infer/restore';
import { fixtureImage } from '../data/fixtures';
import { startBackendForTest } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evaluate-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('evaluate: whole images of sizes not divisible by 4, scored like an independent restore + metrics', async () => {
  await startBackendForTest('wasm');
  const sizes: Array<[number, number]> = [[30, 22], [45, 37]];
  for (const [i, [w, h]] of sizes.entries()) {
    await fixtureImage(path.join(tmp, 'blur', `${i}.png`), w, h, 300 + i);
    await fixtureImage(path.join(tmp, 'sharp', `${i}.png`), w, h, 400 + i);
  }
  const { pairs } = await readPairsFolder(tmp);
  const model = buildNet(variantConfig('lite'), { seed: 4 });
  const seen: number[] = [];
  const before = tf.memory().numTensors;
  const report = await evaluate(model, pairs, { scales: true, onImage: (done) => seen.push(done) });
  assert.is(tf.memory().numTensors, before, 'evaluate leaked tensors');
  assert.equal(seen, [1, 2]);
  assert.is(report.n, 2);
  for (const [i, img] of report.images.entries()) {
    const blur = (await readRaster(pairs[i]!.blur)).raster;
    const sharp = (await readRaster(pairs[i]!.sharp)).raster;
    const input = tf.tensor4d(blur.data, [1, blur.height, blur.width, 3]);
    const r = restore(model, input);
    const out = quantize8(await tensorToRaster(r.s1));
    assert.equal([img.width, img.height], sizes[i]);
    assert.ok(Math.abs(img.psnr.input - psnr(blur, sharp)) < 1e-9);
    assert.ok(Math.abs(img.psnr.output - psnr(out, sharp)) < 1e-9);
    assert.ok(Math.abs(img.ssim.output! - ssim(out, sharp)) < 1e-9);
    assert.equal(img.scales!.S1, { psnr: img.psnr, ssim: img.ssim });
    // S3 of these images (8×6, 12×10) is too small for SSIM's 11×11 window: no SSIM rather than a wrong one.
    assert.is(img.scales!.S3.ssim.output, null);
    assert.ok(img.scales!.S2.ssim.output !== null && Number.isFinite(img.scales!.S3.psnr.output));
    tf.dispose([input, r.s1, r.s2, r.s3]);
  }
  const mean = (f: (i: (typeof report.images)[number]) => number): number => report.images.reduce((s, i) => s + f(i), 0) / report.n;
  assert.ok(Math.abs(report.psnr.input - mean((i) => i.psnr.input)) < 1e-9);
  assert.ok(Math.abs(report.psnr.output - mean((i) => i.psnr.output)) < 1e-9);
  assert.ok(Math.abs(report.gain.psnr - (report.psnr.output - report.psnr.input)) < 1e-9);
  assert.is(report.scales!.S3.ssim.input, null, 'a mean over an image without S3 SSIM is not a number');
  model.dispose();
});

test.run();
