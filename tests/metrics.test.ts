import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRaster } from '../src/data/image';
import { createRaster, cropRaster, type Raster } from '../src/data/raster';
import { psnr, ssim } from '../src/metrics';
import { seeded } from './helpers';

/** Image pairs with different kinds of damage, sizes and edge cases. */
async function cases(): Promise<Array<{ name: string; a: Raster; b: Raster }>> {
  const astronaut = cropRaster((await readRaster('data/images/astronaut.png')).raster, 100, 40, 96, 80);
  const clock = cropRaster((await readRaster('data/sample/real/clock_motion.png')).raster, 50, 60, 64, 71);
  const map = (r: Raster, f: (v: number, i: number) => number): Raster => createRaster(r.width, r.height, r.data.map(f));
  const noise = seeded(astronaut.data.length, 7);
  const shifted = createRaster(astronaut.width, astronaut.height);
  for (let y = 0; y < astronaut.height; y++) {
    for (let x = 0; x < astronaut.width; x++) {
      for (let c = 0; c < 3; c++) shifted.data[(y * astronaut.width + x) * 3 + c] = astronaut.data[(y * astronaut.width + Math.max(0, x - 2)) * 3 + c]!;
    }
  }
  const flat = createRaster(13, 11, new Float32Array(13 * 11 * 3).fill(0.5));
  return [
    { name: 'noise σ≈0.03', a: astronaut, b: map(astronaut, (v, i) => Math.min(1, Math.max(0, v + 0.05 * noise[i]!))) },
    { name: 'shift by 2 px', a: astronaut, b: shifted },
    { name: 'gain and offset', a: clock, b: map(clock, (v) => 0.8 * v + 0.1) },
    { name: 'random vs random, 17×23', a: createRaster(23, 17, seeded(23 * 17 * 3, 1).map((v) => (v + 1) / 2)), b: createRaster(23, 17, seeded(23 * 17 * 3, 2).map((v) => (v + 1) / 2)) },
    { name: 'flat vs slightly noisy, 11×13 (smallest window)', a: flat, b: map(flat, (v, i) => v + 0.01 * seeded(flat.data.length, 3)[i]!) },
  ];
}

test('PSNR and SSIM match scikit-image (python3-skimage) to 1e-4', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-'));
  const all = await cases();
  const spec = all.map((c, i) => {
    const a = path.join(dir, `${i}a.f32`);
    const b = path.join(dir, `${i}b.f32`);
    fs.writeFileSync(a, Buffer.from(c.a.data.buffer));
    fs.writeFileSync(b, Buffer.from(c.b.data.buffer));
    return { a, b, height: c.a.height, width: c.a.width };
  });
  const out = execFileSync('/usr/bin/python3', ['tests/python/skimage_metrics.py'], { input: JSON.stringify(spec) }).toString();
  const ref = JSON.parse(out) as { skimage: string; results: Array<{ psnr: number; ssim: number }> };
  assert.ok(ref.skimage.startsWith('0.19'), `reference is skimage ${ref.skimage}`);
  all.forEach((c, i) => {
    const want = ref.results[i]!;
    const gotPsnr = psnr(c.a, c.b);
    const gotSsim = ssim(c.a, c.b);
    if (process.env.METRICS_VERBOSE) console.log(`${c.name}: psnr ${gotPsnr.toFixed(6)} Δ ${(gotPsnr - want.psnr).toExponential(1)}, ssim ${gotSsim.toFixed(6)} Δ ${(gotSsim - want.ssim).toExponential(1)}`);
    assert.ok(Math.abs(gotPsnr - want.psnr) < 1e-4, `${c.name}: PSNR ${gotPsnr} vs skimage ${want.psnr}`);
    assert.ok(Math.abs(gotSsim - want.ssim) < 1e-4, `${c.name}: SSIM ${gotSsim} vs skimage ${want.ssim}`);
  });
  // The cases must span the range, or agreement would say little.
  const ssims = ref.results.map((r) => r.ssim);
  assert.ok(Math.min(...ssims) < 0.1 && Math.max(...ssims) > 0.7, `SSIM range ${ssims}`);
  fs.rmSync(dir, { recursive: true });
});

test('identical images: PSNR is +Infinity and SSIM is 1', async () => {
  const r = createRaster(16, 16, seeded(16 * 16 * 3, 5).map((v) => (v + 1) / 2));
  assert.is(psnr(r, r), Infinity);
  assert.ok(Math.abs(ssim(r, r) - 1) < 1e-12);
});

test('mismatched sizes and images smaller than the SSIM window are refused', () => {
  assert.throws(() => psnr(createRaster(4, 4), createRaster(4, 5)), /differ in size/);
  assert.throws(() => ssim(createRaster(10, 20), createRaster(10, 20)), /at least 11×11/);
});

test.run();
