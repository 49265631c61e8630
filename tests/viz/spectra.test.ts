import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRaster } from '../../src/data/image';
import { cropRaster, rasterToTensor } from '../../src/data/raster';
import { fftShift, logPowerSpectrum, powerRatio, radialPower, restoredBand } from '../../src/viz/spectra';
import { startBackendForTest } from '../helpers';

test.before(() => startBackendForTest('wasm'));

// A real photo, odd-sized so that fftshift's and fftfreq's odd-length conventions are exercised.
async function photo(h: number, w: number) {
  const { raster } = await readRaster('data/sample/test/china/sharp/000001.png');
  return cropRaster(raster, 20, 30, w, h);
}

function numpyReference(r: { width: number; height: number; data: Float32Array }) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spectra-')), 'x.f32');
  fs.writeFileSync(file, Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
  const out = execFileSync('/usr/bin/python3', ['tests/python/numpy_spectra.py'], { input: JSON.stringify({ file, height: r.height, width: r.width }) });
  return JSON.parse(out.toString()) as { logPower: number[]; frequency: number[]; power: number[]; count: number[] };
}

for (const [h, w] of [[64, 64], [45, 70]] as const) {
  test(`log power spectrum and radial profile match numpy.fft at ${w}×${h}`, async () => {
    const r = await photo(h, w);
    const ref = numpyReference(r);
    const image = rasterToTensor(r);
    const log = logPowerSpectrum(image);
    const ours = await log.data();
    // float32 DFT by matmul vs float64 FFT: log10 power within 0.02 where power is well above
    // float32 noise (log10 > −6), which covers the image's real content.
    let worst = 0;
    ref.logPower.forEach((v, i) => {
      if (v > -6) worst = Math.max(worst, Math.abs(ours[i]! - v));
    });
    assert.ok(worst < 0.02, `max |Δ log10 power| ${worst}`);
    const prof = await radialPower(image);
    assert.equal(prof.frequency, ref.frequency.map((f) => f));
    assert.equal(prof.count, ref.count);
    prof.power.forEach((p, i) => assert.ok(Math.abs(p - ref.power[i]!) <= 1e-3 * ref.power[i]! + 1e-9, `ring ${i}: ${p} vs ${ref.power[i]}`));
    tf.dispose([image, log]);
  });
}

test('fftShift puts zero frequency at floor(n/2), like numpy, for odd and even sizes', async () => {
  const m = tf.tensor2d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], [3, 5]);
  const s = fftShift(m);
  // numpy.fft.fftshift(np.arange(15).reshape(3, 5))
  assert.equal(await s.array(), [[13, 14, 10, 11, 12], [3, 4, 0, 1, 2], [8, 9, 5, 6, 7]]);
  tf.dispose([m, s]);
});

test('a blurred image has less high-frequency power than its sharp original; powerRatio checks sizes', async () => {
  const sharp = rasterToTensor((await readRaster('data/sample/test/china/sharp/000001.png')).raster);
  const blurred = tf.tidy(() => tf.avgPool(sharp, 5, 1, 'same') as tf.Tensor4D);
  const ratio = powerRatio(await radialPower(blurred), await radialPower(sharp));
  assert.ok(Math.abs(ratio[0]! - 1) < 0.01, `a box blur keeps the mean (DC power): ratio ${ratio[0]}`);
  assert.ok(ratio[ratio.length - 10]! < 0.05, `high-frequency power kept: ${ratio[ratio.length - 10]}`);
  assert.throws(() => powerRatio({ frequency: [0], power: [1], count: [1] }, { frequency: [0, 0.1], power: [1, 1], count: [1, 1] }), /different sizes/);
  tf.dispose([sharp, blurred]);
});

test('restoredBand finds the frequencies where a restoration beats its input, the best gain and the largest ratio', () => {
  const f = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
  const blurred = [1, 0.9, 0.5, 0.2, 0.05, 0.01];
  const restored = [1, 0.91, 0.7, 0.3, 0.06, 0.01];
  const band = restoredBand(f, blurred, restored);
  assert.equal([band.from, band.to, band.maxRatio, band.bestAt], [0.2, 0.3, 0.91, 0.2]);
  assert.ok(Math.abs(band.bestGain - 0.2) < 1e-12, `best gain ${band.bestGain}`);
  assert.equal(restoredBand(f, blurred, blurred).from, null);
});

test.run();
